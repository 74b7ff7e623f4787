// SPDX-License-Identifier: Apache-2.0
/**
 * The DNS subset DNS_CHECK needs: encode one query (RD set, class IN), and check a reply: same id,
 * QR set, RCODE 0, question echoed, at least one answer of the queried type. Pure. Hand-written
 * because the maintained npm codecs (dns-packet etc.) decode everything into objects; the check
 * needs ~80 lines and must never throw on malformed input (a bad reply is a reason, not an error).
 */
import { Buffer } from 'node:buffer';

export function encodeName(name: string): Buffer | undefined {
  const labels = name === '.' || name === '' ? [] : name.replace(/\.$/, '').split('.');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length === 0 || b.length > 63) return undefined;
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  return out.length > 255 ? undefined : out;
}

export function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const qname = encodeName(name);
  if (!qname) throw new RangeError(`bad DNS name ${name}`);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id & 0xffff, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([head, qname, tail]);
}

/** Skip a (possibly compressed) name at `off`; returns the offset after it or -1. */
function skipName(b: Uint8Array, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= b.length) return -1;
    const len = b[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= b.length ? off + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    off += 1 + len;
  }
  return -1;
}

export type DnsVerdict = { ok: true; answers: number } | { ok: false; reason: string };

/** Check a reply against the query; never throws. */
export function checkReply(reply: Uint8Array, id: number, qtype: number): DnsVerdict {
  if (reply.length < 12) return { ok: false, reason: 'short reply' };
  const v = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  if (v.getUint16(0) !== (id & 0xffff)) return { ok: false, reason: 'id mismatch' };
  const flags = v.getUint16(2);
  if ((flags & 0x8000) === 0) return { ok: false, reason: 'not a response' };
  const rcode = flags & 0x000f;
  if (rcode !== 0) return { ok: false, reason: `rcode ${rcode}` };
  const qd = v.getUint16(4);
  const an = v.getUint16(6);
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(reply, off);
    if (off < 0 || off + 4 > reply.length) return { ok: false, reason: 'malformed question' };
    off += 4;
  }
  let matching = 0;
  for (let i = 0; i < an; i++) {
    off = skipName(reply, off);
    if (off < 0 || off + 10 > reply.length) return { ok: false, reason: 'malformed answer' };
    const type = v.getUint16(off);
    const rdlen = v.getUint16(off + 8);
    off += 10 + rdlen;
    if (off > reply.length) return { ok: false, reason: 'malformed answer' };
    if (type === qtype) matching++;
  }
  return matching > 0 ? { ok: true, answers: matching } : { ok: false, reason: 'no answer' };
}
