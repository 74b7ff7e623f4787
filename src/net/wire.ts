// SPDX-License-Identifier: Apache-2.0
/**
 * Small wire helpers shared by the pure codecs (VRRP, ARP, ND): the RFC 1071 Internet checksum,
 * IP and MAC address <-> bytes. Pure. ipaddr.js parses and formats addresses (RFC 5952 for IPv6).
 */
import { Buffer } from 'node:buffer';
import ipaddr from 'ipaddr.js';

/** One's-complement sum of 16-bit big-endian words, not yet folded or inverted. */
export function sum16(buf: Uint8Array, acc = 0): number {
  let s = acc;
  const n = buf.length & ~1;
  for (let i = 0; i < n; i += 2) s += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
  if (buf.length & 1) s += (buf[buf.length - 1] ?? 0) << 8;
  return s;
}

/** Fold a running sum and return the Internet checksum (RFC 1071) of everything summed. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The Internet checksum of one buffer. */
export function inetChecksum(buf: Uint8Array): number {
  return finishChecksum(sum16(buf));
}

/** IPv4 (4 bytes) or IPv6 (16 bytes) address bytes from text; undefined if not an address. */
export function addrBytes(text: string): Uint8Array | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const a = ipaddr.parse(text);
  return Uint8Array.from(a.toByteArray());
}

/** Address bytes from text for a family; throws on programmer error (bad configured address). */
export function addrBytesOf(text: string, family: 'inet' | 'inet6'): Uint8Array {
  const b = addrBytes(text);
  if (!b || b.length !== (family === 'inet' ? 4 : 16)) {
    throw new TypeError(`not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address: ${text}`);
  }
  return b;
}

/** Text form of 4 or 16 address bytes (dotted quad / RFC 5952). */
export function addrText(bytes: Uint8Array): string {
  return ipaddr.fromByteArray(Array.from(bytes)).toString();
}

/** Canonical text of an address (so `fd00:99:0::100` equals `fd00:99::100`); input if not an address. */
export function canonicalAddr(text: string): string {
  const b = addrBytes(text);
  return b ? addrText(b) : text;
}

/** Compare two addresses as unsigned big-endian numbers (same family): <0, 0, >0. */
export function compareAddr(a: string, b: string): number {
  const x = addrBytes(a);
  const y = addrBytes(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** MAC text (`02:99:00:00:00:01`, also `-` separated) or 6 bytes → 6 bytes; throws if malformed. */
export function macBytes(mac: string | Uint8Array): Uint8Array {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new TypeError(`MAC must be 6 bytes (got ${mac.length})`);
    return mac;
  }
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${mac}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Lowercase hex of bytes (tests, logs). */
export function toHex(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex');
}

/** Bytes from hex (whitespace ignored). */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}
