// SPDX-License-Identifier: Apache-2.0
/**
 * rtnetlink requests over one `NetlinkTransport`: each gets the next sequence number. A `request`
 * (an address add or delete) is answered by an ack or an error and resolves with the kernel's
 * errno (0: done); a `dump` (every link, every address) resolves with its messages once NLMSG_DONE
 * ends it. A request the kernel never answers resolves ETIMEDOUT; a lost receive queue (ENOBUFS)
 * fails everything in flight, as GenlClient does.
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

interface Pending {
  resolve: (r: DumpResult) => void;
  timer: ReturnType<typeof setTimeout>;
  /** A dump's messages so far (undefined for a request answered by an ack). */
  messages?: NlMessage[];
}

export class AckedRequests {
  readonly #transport: NetlinkTransport;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;

  constructor(transport: NetlinkTransport, timeoutMs = 10_000) {
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
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

  /** Close the socket; requests in flight resolve EPROTO. */
  close(): void {
    this.#failAll(EPROTO);
    this.#transport.close();
  }

  #send(build: (seq: number) => Buffer, dump: boolean): Promise<DumpResult> {
    this.#seq = this.#seq >= 0xffffffff ? 1 : this.#seq + 1;
    const seq = this.#seq;
    const message = build(seq);
    return new Promise<DumpResult>((resolve, reject) => {
      try {
        this.#transport.send(message);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e))); // not sent (e.g. EBADF once closed)
        return;
      }
      const timer = setTimeout(() => this.#settle(seq, ETIMEDOUT), this.#timeoutMs);
      if (this.#pending.size === 0) this.#transport.keepAlive(true);
      this.#pending.set(seq, { resolve, timer, ...(dump ? { messages: [] } : {}) });
    });
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
    if (this.#pending.size === 0) this.#transport.keepAlive(false);
    p.resolve({ errno, messages: p.messages ?? [] });
  }

  #failAll(errno: number): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, errno);
  }
}
