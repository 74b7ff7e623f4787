// SPDX-License-Identifier: Apache-2.0
/**
 * The RFC 1071 Internet checksum, shared by the pure codecs (VRRP, ARP, ND). Pure. Addresses as
 * bytes are in core/addr.ts, hex in core/bytes.ts.
 */

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
