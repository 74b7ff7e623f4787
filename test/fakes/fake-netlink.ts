// SPDX-License-Identifier: Apache-2.0
/**
 * A fake kernel behind a NetlinkTransport: a function from each decoded generic netlink request
 * to its answer (mdlayher/netlink nltest.Dial style). It replies the way the kernel does: reply
 * messages then an ACK for doit requests, NLM_F_MULTI parts then NLMSG_DONE for dumps, an
 * NLMSG_ERROR for failures. Replies are delivered asynchronously, one datagram per message.
 */
import { Buffer } from 'node:buffer';
import { NlFlags, NlMsgType, decodeGenlPayload, decodeMessages } from '../../src/netlink/codec.js';
import type { InlineExchange, NetlinkTransport } from '../../src/netlink/transport.js';

export interface FakeRequest {
  family: number;
  flags: number;
  seq: number;
  cmd: number;
  version: number;
  attrs: Buffer;
}

/** `errno` > 0 fails the request; else `replies` (genl attribute payloads) answered with `cmd`. */
export type FakeAnswer = { errno: number } | { cmd?: number; replies?: Buffer[]; errno?: never } | 'drop';

export interface FakeTransport extends NetlinkTransport {
  /** Every request seen, in order. */
  readonly requests: FakeRequest[];
  /** Datagrams sent (how many requests were batched per send). */
  readonly datagrams: number[];
  /** Dump requests answered EBUSY because another dump of the socket was still being read. */
  readonly busyRefusals: number;
  /** Inject an asynchronous socket error (e.g. ENOBUFS). */
  raise(code: string): void;
}

/** A netlink message as the kernel sends it (from port 4242), padded to 4 bytes. */
export function nlmsg(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + payload.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  h.writeUInt32LE(4242, 12);
  const pad = Buffer.alloc((4 - (payload.length % 4)) % 4);
  return Buffer.concat([h, payload, pad]);
}

/** NLMSG_ERROR answering the request `req` (its header is echoed) with `errno`; 0 is an ACK. */
export function errorMsg(seq: number, errno: number, req: Buffer): Buffer {
  const p = Buffer.alloc(4);
  p.writeInt32LE(-errno, 0);
  return nlmsg(NlMsgType.ERROR, 0, seq, Buffer.concat([p, req.subarray(0, 16)]));
}

/**
 * How the fake answers `exchangeNow` (absent: it has none, as a transport that cannot answer inline).
 * `dryAt`: the answer of that request (0-based, counted over the fake's life) is cut after its first
 * message, the rest coming through `onMessage` later; `sendErrnoAt`: that request's send fails;
 * `overrunAt`: reading that request's answer overruns the queue (ENOBUFS, its answer lost).
 */
export interface FakeInline {
  dryAt?: number;
  sendErrnoAt?: { index: number; errno: number };
  overrunAt?: number;
}

export interface FakeTransportOptions {
  inline?: FakeInline;
}

export function fakeTransport(
  kernel: (req: FakeRequest) => FakeAnswer,
  opts: FakeTransportOptions = {},
): FakeTransport {
  let onMessage: (d: Buffer) => void = () => {};
  let onError: (e: Error & { code?: string }) => void = () => {};
  const requests: FakeRequest[] = [];
  const datagrams: number[] = [];
  /** A dump whose answer is not read yet (IPVS ends a dump only then): another dump gets EBUSY. */
  let dumping = false;
  let busyRefusals = 0;
  /** Each message of `datagram` run by the kernel function: its answer messages, in order. */
  const answers = (datagram: Buffer): Buffer[][] => {
    const msgs = decodeMessages(datagram);
    if (!msgs.ok) throw new Error(`fake kernel: bad datagram (${msgs.reason})`);
    const all: Buffer[][] = [];
    let off = 0;
    for (const m of msgs.value) {
      const out: Buffer[] = [];
      all.push(out);
      const raw = datagram.subarray(off, off + 16 + m.payload.length);
      off += (16 + m.payload.length + 3) & ~3;
      const g = decodeGenlPayload(m.payload);
      if (!g.ok) throw new Error('fake kernel: no genl header');
      const req: FakeRequest = {
        family: m.type,
        flags: m.flags,
        seq: m.seq,
        cmd: g.value.cmd,
        version: g.value.version,
        attrs: g.value.attrs,
      };
      requests.push(req);
      if (dumping && (m.flags & NlFlags.DUMP) === NlFlags.DUMP) {
        busyRefusals++;
        out.push(errorMsg(m.seq, 16, raw)); // as the kernel: one dump at a time per socket (EBUSY)
        continue;
      }
      const a = kernel(req);
      if (a === 'drop') continue;
      if ('errno' in a && a.errno > 0) {
        out.push(errorMsg(m.seq, a.errno, raw));
        continue;
      }
      const ok = a as { cmd?: number; replies?: Buffer[] };
      const dump = (m.flags & NlFlags.DUMP) === NlFlags.DUMP;
      for (const r of ok.replies ?? []) {
        const gh = Buffer.from([ok.cmd ?? g.value.cmd, 1, 0, 0]);
        out.push(nlmsg(m.type, dump ? NlFlags.MULTI : 0, m.seq, Buffer.concat([gh, r])));
      }
      if (dump) {
        out.push(nlmsg(NlMsgType.DONE, NlFlags.MULTI, m.seq, Buffer.alloc(4)));
        dumping = true; // until its answer is read
      } else if ((m.flags & NlFlags.ACK) !== 0) out.push(errorMsg(m.seq, 0, raw));
    }
    return all;
  };
  const later = (msgs: Buffer[], endsDump = false): void => {
    setImmediate(() => {
      if (endsDump) dumping = false;
      for (const d of msgs) onMessage(d);
    });
  };
  let inlineCount = 0;
  const inline = opts.inline;
  const exchangeNow =
    inline === undefined
      ? undefined
      : (reqs: Buffer, maxBytes = Infinity): InlineExchange => {
          const parsed = decodeMessages(reqs);
          if (!parsed.ok) throw new Error(`fake kernel: bad requests (${parsed.reason})`);
          const got: Buffer[] = [];
          let off = 0;
          let sent = 0;
          let answered = 0;
          let errno = 0;
          let bytes = 0;
          for (const m of parsed.value) {
            if (bytes >= maxBytes) break; // as the addon: no request sent once that much was read
            const len = (16 + m.payload.length + 3) & ~3;
            const one = reqs.subarray(off, off + len);
            off += len;
            const index = inlineCount++;
            if (inline.sendErrnoAt?.index === index) {
              errno = inline.sendErrnoAt.errno;
              break;
            }
            datagrams.push(1);
            sent++;
            const out = answers(one)[0] ?? [];
            if (inline.overrunAt === index) {
              errno = 105;
              break;
            }
            if (out.length === 0) break; // 'drop': never answered
            if (inline.dryAt === index) {
              got.push(...out.slice(0, 1));
              later(out.slice(1), true);
              break;
            }
            dumping = false; // its answer read here, whole
            got.push(...out);
            for (const d of out) bytes += d.length;
            answered++;
          }
          return { received: Buffer.concat(got), sent, answered, errno };
        };
  return {
    port: 4242,
    requests,
    datagrams,
    get busyRefusals() {
      return busyRefusals;
    },
    send(datagram) {
      const all = answers(datagram);
      datagrams.push(all.length);
      later(all.flat(), true);
    },
    ...(exchangeNow === undefined ? {} : { exchangeNow }),
    onMessage(cb) {
      onMessage = cb;
    },
    onError(cb) {
      onError = cb;
    },
    keepAlive() {},
    close() {},
    raise(code) {
      const e: Error & { code?: string } = new Error(code);
      e.code = code;
      onError(e);
    },
  };
}
