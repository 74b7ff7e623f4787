// SPDX-License-Identifier: Apache-2.0
/**
 * Generic netlink client over a `NetlinkTransport`: family resolution through nlctrl, requests
 * matched to replies by sequence number, dumps, and pipelined batches (many requests in one
 * datagram before any ack is read; the kernel runs each message of a datagram in order).
 * Shell: owns timers and the socket; the byte work is in codec.ts.
 */
import { Buffer } from 'node:buffer';
import {
  AttrDecoder,
  AttrWriter,
  Ctrl,
  GENL_HDRLEN,
  NLMSG_HDRLEN,
  NlFlags,
  NlMsgType,
  align4,
  decodeErrorPayload,
  genlRequestSize,
  wellFormedMessages,
  writeGenlRequest,
} from './codec.js';
import type { NetlinkTransport } from './transport.js';

export interface GenlMessage {
  cmd: number;
  attrs: Uint8Array;
  /** NLM_F_DUMP: the kernel replies with many messages ending in NLMSG_DONE. */
  dump?: boolean;
}

export interface GenlReply {
  cmd: number;
  attrs: Buffer;
}

/** Result of one request: its replies, or the kernel's errno (ETIMEDOUT = 110 when no answer came). */
export type GenlOutcome = { ok: true; replies: GenlReply[] } | { ok: false; errno: number };

export interface ExchangeOptions {
  /** Requests per datagram. @default 64 */
  window?: number;
  /** Send no further datagram after one that held a failure. */
  stopOnError?: boolean;
  /**
   * Ask for an ACK only on the last request of each datagram (the kernel still answers every
   * failure). For requests without replies (NEW/SET/DEL): far fewer messages to read.
   */
  ackLastOnly?: boolean;
}

export interface GenlClientOptions {
  /** Give up on an unanswered request after this many ms. @default 15000 */
  timeoutMs?: number;
}

const ETIMEDOUT = 110;
const ENOBUFS = 105;
const EBUSY = 16;
const EPROTO = 71;

interface Pending {
  replies: GenlReply[];
  resolve: (o: GenlOutcome) => void;
  /** Earlier requests of the same datagram sent without NLM_F_ACK: done when this one is. */
  covers?: number[];
}

/** Generic netlink requests over one socket. Equivalent of libnl's genl_* calls. */
export class GenlClient {
  private seq = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly timeoutMs: number;

  constructor(
    private readonly transport: NetlinkTransport,
    opts: GenlClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    transport.onMessage((d) => this.receive(d));
    transport.onError((e) => {
      // A receive-queue overflow loses replies we can never match: fail everything in flight.
      const errno = e.code === 'ENOBUFS' ? ENOBUFS : EPROTO;
      this.failAll(errno);
    });
  }

  /** Family id of a generic netlink family (`genl-ctrl-list`), or undefined if not registered. */
  async resolveFamily(name: string): Promise<number | undefined> {
    const attrs = new AttrWriter().string(Ctrl.ATTR_FAMILY_NAME, name).toBuffer();
    const [out] = await this.exchange(Ctrl.ID, Ctrl.VERSION, [{ cmd: Ctrl.CMD_GETFAMILY, attrs }]);
    if (out === undefined || !out.ok) return undefined;
    for (const r of out.replies) {
      const d = new AttrDecoder(r.attrs);
      while (d.next()) if (d.type() === Ctrl.ATTR_FAMILY_ID) return d.u16();
    }
    return undefined;
  }

  /**
   * Send `msgs` in order, up to `window` per datagram, and return one outcome per message.
   * With `stopOnError`, no further datagram is sent after one holding a failure; messages not sent
   * get `undefined`. Messages after a failure in the same datagram were still run by the kernel.
   */
  async exchange(
    family: number,
    version: number,
    msgs: readonly GenlMessage[],
    opts: ExchangeOptions = {},
  ): Promise<(GenlOutcome | undefined)[]> {
    const window = Math.max(1, opts.window ?? 64);
    const out: (GenlOutcome | undefined)[] = new Array<GenlOutcome | undefined>(msgs.length).fill(undefined);
    for (let start = 0; start < msgs.length; start += window) {
      const chunk = msgs.slice(start, start + window);
      const results = await this.sendDatagram(family, version, chunk, opts.ackLastOnly === true);
      results.forEach((r, i) => (out[start + i] = r));
      if (opts.stopOnError === true && results.some((r) => !r.ok)) break;
    }
    return out;
  }

  /**
   * Send `msgs` one at a time, each answered before the next is sent (a socket runs one dump at a
   * time: a second dump in flight gets EBUSY), and return one outcome per message. Where the
   * transport can (`exchangeNow`), up to `batch` of them go in one call without a turn of the event
   * loop each, fewer once `maxBytes` of answers are read (what is decoded before the loop's next
   * turn: a batch of very large dumps does not hold it for long); the loop gets a turn between
   * batches. Else one `exchange` each.
   */
  async exchangeEach(
    family: number,
    version: number,
    msgs: readonly GenlMessage[],
    opts: { batch?: number; maxBytes?: number } = {},
  ): Promise<GenlOutcome[]> {
    const now = this.transport.exchangeNow?.bind(this.transport);
    if (now === undefined) {
      const out: GenlOutcome[] = [];
      for (const m of msgs) {
        const [o] = await this.exchange(family, version, [m], { window: 1 });
        out.push(o ?? { ok: false, errno: EPROTO });
      }
      return out;
    }
    const batch = Math.max(1, opts.batch ?? 64);
    const maxBytes = Math.max(1, opts.maxBytes ?? 4 << 20);
    const out = new Array<GenlOutcome>(msgs.length);
    // indices to send, from `head`; one that met another caller's dump (EBUSY) is queued again, 3 times at most
    const todo = msgs.map((_m, i) => i);
    let head = 0;
    const busy = new Map<number, number>();
    while (head < todo.length) {
      if (head > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      await this.idle(); // a dump of ours still being read would make the next one EBUSY
      const idx = todo.slice(head, head + batch);
      const { datagram, seqs } = this.encode(
        family,
        version,
        idx.map((i) => msgs[i] as GenlMessage),
        false,
      );
      let r;
      try {
        r = now(datagram, maxBytes);
      } catch {
        r = { received: Buffer.alloc(0), sent: 0, answered: 0, errno: EPROTO };
      }
      const sent = seqs.slice(0, r.sent);
      const tracked = this.track(sent);
      if (r.received.length > 0) this.receive(r.received);
      if (r.errno === ENOBUFS)
        this.failAll(ENOBUFS); // answers were lost, to any request
      else if (r.errno !== 0) for (const seq of sent) this.settle(seq, { ok: false, errno: r.errno });
      // the one sent whose answer the socket had not finished comes through onMessage
      const outcomes = await this.awaitAnswers(sent, tracked);
      outcomes.forEach((o, k) => {
        const i = idx[k] as number;
        const tries = busy.get(i) ?? 0;
        if (!o.ok && o.errno === EBUSY && tries < 3) {
          busy.set(i, tries + 1);
          todo.push(i);
        } else out[i] = o;
      });
      head += r.sent;
      if (r.errno !== 0 || r.sent === 0) {
        const errno = r.errno !== 0 ? r.errno : EPROTO;
        for (const i of todo.slice(head)) out[i] = { ok: false, errno };
        break;
      }
    }
    return out;
  }

  /** Resolves once no request of this client awaits an answer. */
  private idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private sendDatagram(
    family: number,
    version: number,
    chunk: readonly GenlMessage[],
    ackLastOnly: boolean,
  ): Promise<GenlOutcome[]> {
    // Without NLM_F_ACK the kernel answers only failures; the ACK of the datagram's last request
    // (messages of a datagram run in order) then proves every earlier one succeeded.
    const lastOnly = ackLastOnly && chunk.every((m) => m.dump !== true);
    const { datagram, seqs } = this.encode(family, version, chunk, lastOnly);
    const outcomes = this.track(seqs);
    const last = this.pending.get(seqs[seqs.length - 1] ?? -1);
    if (lastOnly && last !== undefined) last.covers = seqs.slice(0, -1);
    try {
      this.transport.send(datagram);
    } catch {
      for (const s of seqs) this.settle(s, { ok: false, errno: EPROTO });
    }
    return this.awaitAnswers(seqs, outcomes);
  }

  /** The requests of `chunk` in one datagram, each with a fresh sequence number. */
  private encode(
    family: number,
    version: number,
    chunk: readonly GenlMessage[],
    lastOnly: boolean,
  ): { datagram: Buffer; seqs: number[] } {
    const seqs: number[] = [];
    let size = 0;
    for (const m of chunk) size += genlRequestSize(m.attrs.length);
    const datagram = Buffer.allocUnsafe(size);
    let off = 0;
    for (const [i, m] of chunk.entries()) {
      const seq = this.nextSeq();
      seqs.push(seq);
      // Dumps end with NLMSG_DONE; no ACK is asked for (older kernels never send one after DONE).
      const ack = !lastOnly || i === chunk.length - 1 ? NlFlags.ACK : 0;
      const flags = NlFlags.REQUEST | (m.dump === true ? NlFlags.DUMP : ack);
      off = writeGenlRequest(datagram, off, {
        family,
        cmd: m.cmd,
        version,
        flags,
        seq,
        port: this.transport.port,
        attrs: m.attrs,
      });
    }
    return { datagram, seqs };
  }

  /** Await answers to these sequence numbers: one promise each, settled by `receive` or `settle`. */
  private track(seqs: readonly number[]): Promise<GenlOutcome>[] {
    if (this.pending.size === 0 && seqs.length > 0) this.transport.keepAlive(true);
    return seqs.map(
      (seq) => new Promise<GenlOutcome>((resolve) => this.pending.set(seq, { replies: [], resolve })),
    );
  }

  /** The tracked answers, or ETIMEDOUT for those that do not come within the timeout. */
  private awaitAnswers(seqs: readonly number[], outcomes: Promise<GenlOutcome>[]): Promise<GenlOutcome[]> {
    if (seqs.every((s) => !this.pending.has(s))) return Promise.all(outcomes);
    const timer = setTimeout(() => {
      for (const s of seqs) this.settle(s, { ok: false, errno: ETIMEDOUT });
    }, this.timeoutMs);
    return Promise.all(outcomes).finally(() => clearTimeout(timer));
  }

  /** The next sequence number no tracked request has (a datagram's own are consecutive). */
  private nextSeq(): number {
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    } while (this.pending.has(this.seq));
    return this.seq;
  }

  /** `fromKernel`: the kernel answered this request (so it ran everything before it). */
  private settle(seq: number, o: GenlOutcome, fromKernel = false): void {
    const p = this.pending.get(seq);
    if (p === undefined) return;
    this.pending.delete(seq);
    // The kernel ran the covered requests before this one; any failure among them was answered
    // (and settled) already, so the rest succeeded. A timeout or socket error leaves them unknown.
    for (const c of p.covers ?? []) this.settle(c, fromKernel ? { ok: true, replies: [] } : o);
    if (this.pending.size === 0) {
      this.transport.keepAlive(false);
      for (const w of this.idleWaiters.splice(0)) w();
    }
    p.resolve(o.ok ? { ok: true, replies: p.replies } : o);
  }

  private failAll(errno: number): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, { ok: false, errno });
  }

  /** Each message of a datagram from the kernel, read in place: only a reply's attributes are kept (a view). */
  private receive(datagram: Buffer): void {
    if (!wellFormedMessages(datagram)) return; // malformed kernel datagram: dropped; its request times out
    for (let off = 0; off < datagram.length;) {
      const len = datagram.readUInt32LE(off);
      const type = datagram.readUInt16LE(off + 4);
      const body = off + NLMSG_HDRLEN;
      if (type === NlMsgType.ERROR) {
        const e = decodeErrorPayload(datagram.subarray(body, off + len));
        if (e.ok) {
          const { errno, seq } = e.value;
          this.settle(seq, errno === 0 ? { ok: true, replies: [] } : { ok: false, errno }, true);
        }
      } else if (type === NlMsgType.DONE) {
        // A dump may end with a negative errno in DONE's payload.
        const err = len >= NLMSG_HDRLEN + 4 ? 0 - datagram.readInt32LE(body) : 0;
        const seq = datagram.readUInt32LE(off + 8);
        this.settle(seq, err > 0 ? { ok: false, errno: err } : { ok: true, replies: [] }, true);
      } else if (type >= 0x10 && len >= NLMSG_HDRLEN + GENL_HDRLEN) {
        const p = this.pending.get(datagram.readUInt32LE(off + 8));
        if (p !== undefined)
          p.replies.push({
            cmd: datagram.readUInt8(body),
            attrs: datagram.subarray(body + GENL_HDRLEN, off + len),
          });
      }
      off += align4(len);
    }
  }

  close(): void {
    this.failAll(EPROTO);
    this.transport.close();
  }
}
