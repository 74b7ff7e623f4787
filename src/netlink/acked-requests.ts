// SPDX-License-Identifier: Apache-2.0
/**
 * rtnetlink requests over one `NetlinkTransport`: each gets the next sequence number. A `request`
 * (an address add or delete) is answered by an ack or an error and resolves with the kernel's
 * errno (0: done); a `dump` (every link, every address) resolves with its messages once NLMSG_DONE
 * ends it. A request the kernel never answers resolves ETIMEDOUT; a lost receive queue (ENOBUFS)
 * fails everything in flight, as GenlClient does.
 *
 * At most `maxInFlight` requests are unanswered at once; later ones wait their turn, in order. The
 * kernel answers each request at once, into our receive queue: thousands sent in one turn (the VIPs
 * of a large instance taking over) would overrun it before the event loop reads an answer, and
 * every request in flight would be lost (and, on the netlink@0.3.0 socket lvsd used before, the
 * process with them: test/netns/net/rtnl-address.test.ts adds 5,000 in one turn).
 */
import type { Buffer } from 'node:buffer';
import { NlMsgType, decodeErrorPayload, decodeMessages, type NlMessage } from './codec.js';
import type { NetlinkTransport } from './transport.js';

const ETIMEDOUT = 110;
const ENOBUFS = 105;
const EPROTO = 71;

export interface DumpResult {
  /** 0, or the errno that ended the dump. */
  readonly errno: number;
  readonly messages: NlMessage[];
}

/** Requests unanswered at once: 256 acks are ~200 KB of receive queue, within the smallest default. */
export const MAX_IN_FLIGHT = 256;

interface Waiting {
  readonly seq: number;
  readonly message: Buffer;
  readonly dump: boolean;
  readonly resolve: (r: DumpResult) => void;
  readonly reject: (e: Error) => void;
}

interface Pending {
  resolve: (r: DumpResult) => void;
  timer: ReturnType<typeof setTimeout>;
  /** A dump's messages so far (undefined for a request answered by an ack). */
  messages?: NlMessage[];
}

export class AckedRequests {
  readonly #transport: NetlinkTransport;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #pending = new Map<number, Pending>();
  readonly #waiting: Waiting[] = [];
  #seq = 0;
  #closed = false;

  constructor(transport: NetlinkTransport, timeoutMs = 10_000, maxInFlight = MAX_IN_FLIGHT) {
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
    this.#maxInFlight = Math.max(1, maxInFlight);
    transport.onMessage((d) => this.#receive(d));
    transport.onError((e) => this.#failAll(e.code === 'ENOBUFS' ? ENOBUFS : EPROTO));
  }

  /**
   * Send the message `build` makes for a sequence number; resolves with the kernel's errno (0: ok),
   * rejects with the socket's error when it could not be sent.
   */
  async request(build: (seq: number) => Buffer): Promise<number> {
    return (await this.#send(build, false)).errno;
  }

  /** Send a dump request; resolves with its messages (or the errno that ended it). */
  dump(build: (seq: number) => Buffer): Promise<DumpResult> {
    return this.#send(build, true);
  }

  /** Close the socket; requests in flight or waiting resolve EPROTO. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w.resolve({ errno: EPROTO, messages: [] });
    this.#failAll(EPROTO);
    this.#transport.close();
  }

  /** Requests sent and not answered yet (for tests: never above the limit). */
  get inFlight(): number {
    return this.#pending.size;
  }

  #send(build: (seq: number) => Buffer, dump: boolean): Promise<DumpResult> {
    this.#seq = this.#seq >= 0xffffffff ? 1 : this.#seq + 1;
    const seq = this.#seq;
    const message = build(seq);
    return new Promise<DumpResult>((resolve, reject) => {
      const w: Waiting = { seq, message, dump, resolve, reject };
      if (this.#closed) resolve({ errno: EPROTO, messages: [] });
      else if (this.#pending.size < this.#maxInFlight && this.#waiting.length === 0) this.#transmit(w);
      else this.#waiting.push(w);
    });
  }

  #transmit(w: Waiting): void {
    try {
      this.#transport.send(w.message);
    } catch (e) {
      w.reject(e instanceof Error ? e : new Error(String(e))); // not sent (e.g. EBADF once closed)
      return;
    }
    const timer = setTimeout(() => this.#settle(w.seq, ETIMEDOUT), this.#timeoutMs);
    if (this.#pending.size === 0) this.#transport.keepAlive(true);
    this.#pending.set(w.seq, { resolve: w.resolve, timer, ...(w.dump ? { messages: [] } : {}) });
  }

  /** Send waiting requests while there is room. */
  #drain(): void {
    while (!this.#closed && this.#pending.size < this.#maxInFlight) {
      const w = this.#waiting.shift();
      if (!w) return;
      this.#transmit(w);
    }
  }

  #receive(datagram: Buffer): void {
    const d = decodeMessages(datagram);
    if (!d.ok) return; // malformed: dropped; its request times out
    for (const m of d.value) {
      if (m.type === NlMsgType.ERROR) {
        const e = decodeErrorPayload(m.payload);
        if (e.ok) this.#settle(e.value.seq, e.value.errno);
      } else if (m.type === NlMsgType.DONE) {
        // a dump may end with a negative errno in DONE's payload
        this.#settle(m.seq, m.payload.length >= 4 ? 0 - m.payload.readInt32LE(0) : 0);
      } else {
        this.#pending.get(m.seq)?.messages?.push(m);
      }
    }
  }

  #settle(seq: number, errno: number): void {
    const p = this.#pending.get(seq);
    if (!p) return; // not ours, or already settled (timed out)
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    this.#drain();
    if (this.#pending.size === 0) this.#transport.keepAlive(false);
    p.resolve({ errno, messages: p.messages ?? [] });
  }

  #failAll(errno: number): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, errno);
  }
}
