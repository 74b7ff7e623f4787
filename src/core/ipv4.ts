// SPDX-License-Identifier: Apache-2.0
/**
 * Canonical dotted-quad IPv4 text ("10.0.0.1": four decimal parts 0..255, no leading zeros) as a
 * 32-bit number, without a general parser: hot paths (10,000 reals) meet only these, and anything
 * else falls back to ipaddr.js at the caller. Pure.
 */

/** The address as an unsigned 32-bit number, or undefined when `text` is not a canonical quad. */
export function canonicalQuadValue(text: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return undefined; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else if (c === 46 && digits > 0) {
      if (part > 255) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      if (++dots > 4) return undefined;
    } else {
      return undefined;
    }
  }
  return dots === 4 ? n : undefined;
}
