// SPDX-License-Identifier: Apache-2.0
/**
 * A fake kernel behind a NetlinkTransport: a function from each decoded generic netlink request
 * to its answer (mdlayher/netlink nltest.Dial style). It replies the way the kernel does: reply
 * messages then an ACK for doit requests, NLM_F_MULTI parts then NLMSG_DONE for dumps, an
 * NLMSG_ERROR for failures. Replies are delivered asynchronously, one datagram per message.
 */
import { Buffer } from 'node:buffer';
import { NlFlags, NlMsgType, decodeGenlPayload, decodeMessages } from '../../src/netlink/codec.js';
import type { NetlinkTransport } from '../../src/netlink/transport.js';

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

export function fakeTransport(kernel: (req: FakeRequest) => FakeAnswer): FakeTransport {
  let onMessage: (d: Buffer) => void = () => {};
  let onError: (e: Error & { code?: string }) => void = () => {};
  const requests: FakeRequest[] = [];
  const datagrams: number[] = [];
  return {
    port: 4242,
    requests,
    datagrams,
    send(datagram) {
      const msgs = decodeMessages(datagram);
      if (!msgs.ok) throw new Error(`fake kernel: bad datagram (${msgs.reason})`);
      datagrams.push(msgs.value.length);
      const out: Buffer[] = [];
      let off = 0;
      for (const m of msgs.value) {
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
        if (dump) out.push(nlmsg(NlMsgType.DONE, NlFlags.MULTI, m.seq, Buffer.alloc(4)));
        else if ((m.flags & NlFlags.ACK) !== 0) out.push(errorMsg(m.seq, 0, raw));
      }
      setImmediate(() => {
        for (const d of out) onMessage(d);
      });
    },
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
