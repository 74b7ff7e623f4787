// SPDX-License-Identifier: Apache-2.0
/**
 * IP and MAC addresses as lvsd uses them everywhere: one family name (`IpFamily`), text <-> bytes
 * with fast paths for the plain forms the hot paths meet (dotted quads, hex groups), canonical text
 * (RFC 5952 for IPv6), comparison. Pure. ipaddr.js handles every other form.
 */
import ipaddr from 'ipaddr.js';
import { canonicalQuadValue } from './ipv4.js';

/** An address family by its iproute2 name. */
export type IpFamily = 'inet' | 'inet6';

/** Bytes of a canonical dotted quad (no leading zeros, which ipaddr.js reads as octal); else undefined. */
function dottedQuad(text: string): Uint8Array | undefined {
  const v = canonicalQuadValue(text);
  return v === undefined ? undefined : Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** Fast path for plain IPv6 text (hex groups, at most one `::`; no zone, no embedded IPv4). */
function hexGroups(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 39 || !/^[0-9a-fA-F:]+$/.test(text)) return undefined;
  const dbl = text.indexOf('::');
  if (dbl !== text.lastIndexOf('::')) return undefined;
  const head = dbl < 0 ? text : text.slice(0, dbl);
  const tail = dbl < 0 ? '' : text.slice(dbl + 2);
  const hg = head === '' ? [] : head.split(':');
  const tg = tail === '' ? [] : tail.split(':');
  if (dbl < 0 ? hg.length !== 8 : hg.length + tg.length > 7) return undefined;
  const out = new Uint8Array(16);
  const put = (g: string, i: number): boolean => {
    if (g.length < 1 || g.length > 4) return false;
    const v = parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
    return true;
  };
  for (let i = 0; i < hg.length; i++) if (!put(hg[i] ?? '', i)) return undefined;
  for (let i = 0; i < tg.length; i++) if (!put(tg[i] ?? '', 8 - tg.length + i)) return undefined;
  return out;
}

/** RFC 5952 text of 16 bytes: lowercase, no leading zeros, the longest (first) run of ≥ 2 zero groups as `::`. */
function v6Text(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  let start = -1;
  for (let i = 0; i < 8; i++) {
    if (g[i] !== 0) {
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (i - start + 1 > bestLen) {
      bestLen = i - start + 1;
      bestStart = start;
    }
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** IPv4 (4 bytes) or IPv6 (16 bytes) address bytes from text; undefined if not an address. */
export function addrBytes(text: string): Uint8Array | undefined {
  const fast = dottedQuad(text) ?? hexGroups(text);
  if (fast) return fast;
  if (!ipaddr.isValid(text)) return undefined;
  const a = ipaddr.parse(text);
  return Uint8Array.from(a.toByteArray());
}

/** Address bytes from text for a family; throws on programmer error (bad configured address). */
export function addrBytesOf(text: string, family: IpFamily): Uint8Array {
  const b = addrBytes(text);
  if (!b || b.length !== (family === 'inet' ? 4 : 16)) {
    throw new TypeError(`not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address: ${text}`);
  }
  return b;
}

/** Text form of 4 or 16 address bytes (dotted quad / RFC 5952). */
export function addrText(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length === 16) return v6Text(bytes);
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

/** The family of an address text, or undefined when it is not an address. */
export function familyOf(text: string): IpFamily | undefined {
  const b = addrBytes(text);
  return b === undefined ? undefined : b.length === 4 ? 'inet' : 'inet6';
}

/** `aa:bb:cc:dd:ee:ff` of 6 bytes; '' for anything else (a link without an L2 address). */
export function macText(b: Uint8Array | undefined): string {
  if (!b || b.length !== 6) return '';
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
