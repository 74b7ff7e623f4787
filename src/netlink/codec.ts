// SPDX-License-Identifier: Apache-2.0
/**
 * Netlink wire codec: nlmsghdr, genlmsghdr, nlattr TLVs (4-byte aligned), NLMSG_ERROR -> errno.
 * Pure. Hand-written because the formats are four tiny fixed structs and the one library found
 * (netlink@0.3.0) keeps its codec internal and unversioned; owning it lets replies be decoded
 * with a sticky-error AttrDecoder (mdlayher/netlink style) and requests be built without copies.
 * Byte order: every netlink field is host order (little-endian on the machines lvsd runs on),
 * except where a caller explicitly writes network order (`u16be`, `u32be`).
 */
import { Buffer } from 'node:buffer';

export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;

export const NlMsgType = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

export const NlFlags = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
} as const;

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

/** nlctrl (generic netlink controller) constants used to resolve families. */
export const Ctrl = {
  ID: 0x10,
  VERSION: 1,
  CMD_GETFAMILY: 3,
  ATTR_FAMILY_ID: 1,
  ATTR_FAMILY_NAME: 2,
} as const;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Builds a flat run of attributes in one growing buffer (nested attributes are written in place and
 * their length patched). Throws only on programmer error (value out of range).
 */
export class AttrWriter {
  private buf: Buffer;
  private off = 0;

  constructor(initialSize = 256) {
    // Unsafe (pooled) is fine: every byte up to `off` is written, padding included.
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Writes the header, zero-fills the padding; returns the payload offset. */
  private header(type: number, payloadLen: number): number {
    const len = NLA_HDRLEN + payloadLen;
    const total = align4(len);
    this.ensure(total);
    const at = this.off;
    this.buf.writeUInt16LE(len, at);
    this.buf.writeUInt16LE(type, at + 2);
    for (let i = at + len; i < at + total; i++) this.buf[i] = 0; // at most 3 bytes: no call into C++
    this.off += total;
    return at + NLA_HDRLEN;
  }

  u8(type: number, v: number): this {
    const p = this.header(type, 1); // header() may grow (replace) this.buf: call it first
    this.buf.writeUInt8(v, p);
    return this;
  }
  u16(type: number, v: number): this {
    const p = this.header(type, 2);
    this.buf.writeUInt16LE(v, p);
    return this;
  }
  u16be(type: number, v: number): this {
    const p = this.header(type, 2);
    this.buf.writeUInt16BE(v, p);
    return this;
  }
  u32(type: number, v: number): this {
    const p = this.header(type, 4);
    this.buf.writeUInt32LE(v >>> 0, p);
    return this;
  }
  u32be(type: number, v: number): this {
    const p = this.header(type, 4);
    this.buf.writeUInt32BE(v >>> 0, p);
    return this;
  }
  /** Two host-order u32 (e.g. `struct ip_vs_flags { flags; mask; }`). */
  u32pair(type: number, a: number, b: number): this {
    const p = this.header(type, 8);
    this.buf.writeUInt32LE(a >>> 0, p);
    this.buf.writeUInt32LE(b >>> 0, p + 4);
    return this;
  }
  /** NUL-terminated string. */
  string(type: number, s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    const p = this.header(type, n + 1);
    this.buf.write(s, p, 'utf8');
    this.buf[p + n] = 0;
    return this;
  }
  bytes(type: number, b: Uint8Array | readonly number[]): this {
    const p = this.header(type, b.length);
    this.buf.set(b, p);
    return this;
  }
  /** Attributes already encoded (whole, padded: e.g. another writer's `toBuffer()`), copied as they are. */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }
  nested(type: number, build: (w: AttrWriter) => void): this {
    this.ensure(NLA_HDRLEN);
    const at = this.off;
    this.off += NLA_HDRLEN;
    build(this);
    this.buf.writeUInt16LE(this.off - at, at);
    this.buf.writeUInt16LE(type | NLA_F_NESTED, at + 2);
    return this;
  }
  get length(): number {
    return this.off;
  }
  /** The attributes written so far (a view: do not write to this writer afterwards). */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.off);
  }
}

export interface GenlRequest {
  family: number;
  cmd: number;
  version: number;
  flags: number;
  seq: number;
  /** Local port (nlmsg_pid). */
  port: number;
  attrs: Uint8Array;
}

/** Bytes one request takes in a datagram (messages are 4-byte aligned). */
export function genlRequestSize(attrsLength: number): number {
  return align4(NLMSG_HDRLEN + GENL_HDRLEN + attrsLength);
}

/**
 * Write a struct nlmsghdr at `off`: the message's whole length, its type, flags and sequence number,
 * and the sender's port (0: the kernel fills in ours).
 */
export function writeNlHeader(
  b: Buffer,
  off: number,
  len: number,
  type: number,
  flags: number,
  seq: number,
  port = 0,
): void {
  b.writeUInt32LE(len, off);
  b.writeUInt16LE(type, off + 4);
  b.writeUInt16LE(flags, off + 6);
  b.writeUInt32LE(seq >>> 0, off + 8);
  b.writeUInt32LE(port >>> 0, off + 12);
}

/** Write nlmsghdr + genlmsghdr + attributes at `off` (padding zeroed); returns the next offset. */
export function writeGenlRequest(b: Buffer, off: number, r: GenlRequest): number {
  const len = NLMSG_HDRLEN + GENL_HDRLEN + r.attrs.length;
  writeNlHeader(b, off, len, r.family, r.flags, r.seq, r.port);
  b.writeUInt8(r.cmd, off + 16);
  b.writeUInt8(r.version, off + 17);
  b.writeUInt16LE(0, off + 18);
  b.set(r.attrs, off + NLMSG_HDRLEN + GENL_HDRLEN);
  const end = off + align4(len);
  b.fill(0, off + len, end);
  return end;
}

/** nlmsghdr + genlmsghdr + attributes, as one buffer (unpadded length). */
export function encodeGenlRequest(r: GenlRequest): Buffer {
  const b = Buffer.alloc(genlRequestSize(r.attrs.length));
  writeGenlRequest(b, 0, r);
  return b.subarray(0, NLMSG_HDRLEN + GENL_HDRLEN + r.attrs.length);
}

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  port: number;
  /** Everything after the 16-byte header. */
  payload: Buffer;
}

export type NlDropReason = 'shortHeader' | 'badLength' | 'shortError' | 'shortGenlHeader';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: NlDropReason };

/** The length of the message at `off` of `buf` (its header's), or why there is none whole there. */
function messageLength(buf: Buffer, off: number): number | NlDropReason {
  if (buf.length - off < NLMSG_HDRLEN) return 'shortHeader';
  const len = buf.readUInt32LE(off);
  return len < NLMSG_HDRLEN || off + len > buf.length ? 'badLength' : len;
}

/** Split a datagram into netlink messages. Never throws. */
export function decodeMessages(buf: Uint8Array): Decoded<NlMessage[]> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NlMessage[] = [];
  let off = 0;
  while (off < b.length) {
    const len = messageLength(b, off);
    if (typeof len === 'string') return { ok: false, reason: len };
    out.push({
      type: b.readUInt16LE(off + 4),
      flags: b.readUInt16LE(off + 6),
      seq: b.readUInt32LE(off + 8),
      port: b.readUInt32LE(off + 12),
      payload: b.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return { ok: true, value: out };
}

/**
 * Whether `buf` is whole netlink messages, each header's length within it: what `decodeMessages`
 * accepts, checked without making a message object (a reader then walks the headers in place).
 */
export function wellFormedMessages(buf: Buffer): boolean {
  for (let off = 0; off < buf.length;) {
    const len = messageLength(buf, off);
    if (typeof len === 'string') return false;
    off += align4(len);
  }
  return true;
}

/** NLMSG_ERROR payload: `int error` (0 = ACK, else -errno) then the original header. */
export function decodeErrorPayload(payload: Buffer): Decoded<{ errno: number; seq: number }> {
  if (payload.length < 4 + NLMSG_HDRLEN) return { ok: false, reason: 'shortError' };
  return { ok: true, value: { errno: 0 - payload.readInt32LE(0), seq: payload.readUInt32LE(4 + 8) } };
}

/** genlmsghdr then attributes. */
export function decodeGenlPayload(payload: Buffer): Decoded<{ cmd: number; version: number; attrs: Buffer }> {
  if (payload.length < GENL_HDRLEN) return { ok: false, reason: 'shortGenlHeader' };
  return {
    ok: true,
    value: { cmd: payload.readUInt8(0), version: payload.readUInt8(1), attrs: payload.subarray(GENL_HDRLEN) },
  };
}

/**
 * Walks a run of attributes. Errors are sticky: after the first problem every accessor returns a
 * zero value and `err()` reports the first problem (mdlayher/netlink AttributeDecoder style).
 */
export class AttrDecoder {
  private off = 0;
  private curType = 0;
  /** Payload of the current attribute as [curAt, curEnd) of `buf` (no per-attribute Buffer). */
  private curAt = 0;
  private curEnd = 0;
  private error: string | undefined;

  private readonly end: number;

  /** The attributes in [start, end) of `buf` (a nested one's payload is read in place, not copied). */
  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.off = start;
    this.end = end;
  }

  /** Advance to the next attribute; false at the end or after an error. */
  next(): boolean {
    if (this.error !== undefined || this.off >= this.end) return false;
    if (this.end - this.off < NLA_HDRLEN) return this.fail('truncated attribute header');
    const len = this.buf.readUInt16LE(this.off);
    if (len < NLA_HDRLEN || this.off + len > this.end)
      return this.fail(`attribute length ${len} out of range`);
    this.curType = this.buf.readUInt16LE(this.off + 2) & NLA_TYPE_MASK;
    this.curAt = this.off + NLA_HDRLEN;
    this.curEnd = this.off + len;
    this.off += align4(len);
    return true;
  }

  type(): number {
    return this.curType;
  }
  /** The buffer walked, and where the current attribute's payload starts and ends in it: read in place, no copy. */
  get buffer(): Buffer {
    return this.buf;
  }
  payloadStart(): number {
    return this.curAt;
  }
  payloadEnd(): number {
    return this.curEnd;
  }
  bytes(): Buffer {
    return this.buf.subarray(this.curAt, this.curEnd);
  }
  private need(n: number, what: string): boolean {
    if (this.error !== undefined) return false;
    if (this.curEnd - this.curAt < n) {
      this.fail(`attribute ${this.curType}: ${what} needs ${n} bytes, has ${this.curEnd - this.curAt}`);
      return false;
    }
    return true;
  }
  u8(): number {
    return this.need(1, 'u8') ? this.buf.readUInt8(this.curAt) : 0;
  }
  u16(): number {
    return this.need(2, 'u16') ? this.buf.readUInt16LE(this.curAt) : 0;
  }
  u16be(): number {
    return this.need(2, 'u16be') ? this.buf.readUInt16BE(this.curAt) : 0;
  }
  u32(): number {
    return this.need(4, 'u32') ? this.buf.readUInt32LE(this.curAt) : 0;
  }
  u32be(): number {
    return this.need(4, 'u32be') ? this.buf.readUInt32BE(this.curAt) : 0;
  }
  u64(): bigint {
    return this.need(8, 'u64') ? this.buf.readBigUInt64LE(this.curAt) : 0n;
  }
  /** NUL-terminated (or unterminated) string. */
  string(): string {
    if (this.error !== undefined) return '';
    const nul = this.buf.indexOf(0, this.curAt);
    return this.buf.toString('utf8', this.curAt, nul < 0 || nul > this.curEnd ? this.curEnd : nul);
  }
  /** Decode a nested attribute with its own decoder; its error becomes ours. */
  nested(fn: (d: AttrDecoder) => void): void {
    if (this.error !== undefined) return;
    const inner = new AttrDecoder(this.buf, this.curAt, this.curEnd);
    fn(inner);
    const e = inner.err();
    if (e !== undefined) this.fail(`in attribute ${this.curType}: ${e}`);
  }
  fail(msg: string): false {
    this.error ??= msg;
    return false;
  }
  err(): string | undefined {
    return this.error;
  }
}

/** Errno numbers (Linux x86/arm generic) netlink replies carry, and their names. */
const errnoNames: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  34: 'ERANGE',
  71: 'EPROTO',
  90: 'EMSGSIZE',
  93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  105: 'ENOBUFS',
  110: 'ETIMEDOUT',
  524: 'ENOTSUPP',
};

export function errnoName(errno: number): string {
  return errnoNames[errno] ?? `E${errno}`;
}
