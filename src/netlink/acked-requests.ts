// SPDX-License-Identifier: Apache-2.0
/**
 * Netlink requests that are answered by an ack or an error only (rtnetlink's address add and
 * delete), over one `NetlinkTransport`: each request gets the next sequence number and resolves
 * with the kernel's errno for it (0: done). A request the kernel never answers resolves ETIMEDOUT;
 * a lost receive queue (ENOBUFS) fails everything in flight, as GenlClient does.
 */
import type { Buffer } from 'node:buffer';
import { decodeAcks } from './rtnl-addr.js';
import type { NetlinkTransport } from './transport.js';

const ETIMEDOUT = 110;
const ENOBUFS = 105;
const EPROTO = 71;

interface Pending {
  resolve: (errno: number) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class AckedRequests {
  readonly #transport: NetlinkTransport;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;

  constructor(transport: NetlinkTransport, timeoutMs = 10_000) {
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
    transport.onMessage((d) => {
      for (const a of decodeAcks(d)) this.#settle(a.seq, a.errno);
    });
    transport.onError((e) => this.#failAll(e.code === 'ENOBUFS' ? ENOBUFS : EPROTO));
  }

  /**
   * Send the message `build` makes for a sequence number; resolves with the kernel's errno (0: ok),
   * rejects with the socket's error when it could not be sent.
   */
  request(build: (seq: number) => Buffer): Promise<number> {
    this.#seq = this.#seq >= 0xffffffff ? 1 : this.#seq + 1;
    const seq = this.#seq;
    const message = build(seq);
    return new Promise<number>((resolve, reject) => {
      try {
        this.#transport.send(message);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e))); // not sent (the socket's own error, e.g. EBADF once closed)
        return;
      }
      const timer = setTimeout(() => this.#settle(seq, ETIMEDOUT), this.#timeoutMs);
      if (this.#pending.size === 0) this.#transport.keepAlive(true);
      this.#pending.set(seq, { resolve, timer });
    });
  }

  /** Close the socket; requests in flight resolve EPROTO. */
  close(): void {
    this.#failAll(EPROTO);
    this.#transport.close();
  }

  #settle(seq: number, errno: number): void {
    const p = this.#pending.get(seq);
    if (!p) return; // not ours, or already settled (timed out)
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    if (this.#pending.size === 0) this.#transport.keepAlive(false);
    p.resolve(errno);
  }

  #failAll(errno: number): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, errno);
  }
}
