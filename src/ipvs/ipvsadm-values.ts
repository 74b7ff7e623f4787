// SPDX-License-Identifier: Apache-2.0
/**
 * ipvsadm's readers of option values: numbers (string_to_number), IPv4 addresses as inet_aton
 * takes them, and `host[:port]` / `[v6]:port` services (parse_service). Pure.
 */
import ipaddr from 'ipaddr.js';
import { addrBytes, addrText } from '../core/addr.js';
import { canonicalQuadValue } from '../core/ipv4.js';
import type { IpvsProtocol } from './model.js';
import type { IpFamily } from '../core/addr.js';
import type { ArgResolver } from './ipvsadm-options.js';

/** strtol-based string_to_number: whole string decimal, within [min, max], else undefined. */
export function toNumber(s: string, min: number, max: number): number | undefined {
  if (!/^\s*[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** inet_aton: accepts a, a.b, a.b.c, a.b.c.d in decimal, octal or hex. */
export function inetAton(s: string): string | undefined {
  // A canonical dotted quad (what save files hold) is its own answer: ipaddr.js costs ~50 µs a call.
  if (canonicalQuadValue(s) !== undefined) return s;
  if (!/^[0-9a-fA-FxX.]+$/.test(s)) return undefined;
  try {
    if (!ipaddr.IPv4.isValid(s)) return undefined;
    return ipaddr.IPv4.parse(s).toString();
  } catch {
    return undefined;
  }
}

export interface ParsedService {
  family: IpFamily;
  address: string;
  port: number | undefined;
}

/**
 * inet_pton(AF_INET6) as ipvsadm tries it first: the canonical text, or undefined. Only text with a
 * colon and no dot before its last colon can be IPv6 (dots belong to a trailing IPv4 part), which
 * spares `10.0.0.1:80` the slow general parser; plain hex groups take the fast path of core/addr.
 */
function ipv6Address(host: string): string | undefined {
  const c = host.lastIndexOf(':');
  if (c < 0 || host.lastIndexOf('.', c) >= 0) return undefined;
  if (/^[0-9a-fA-F:]+$/.test(host)) {
    const b = addrBytes(host);
    if (b?.length === 16) return addrText(b);
  }
  return ipaddr.IPv6.isValid(host) ? ipaddr.IPv6.parse(host).toString() : undefined;
}

/** parse_service: `host[:port]`, `[v6]:port`, bare v6; undefined = SERVICE_NONE. */
export function parseService(buf: string, protocol: IpvsProtocol, r: ArgResolver): ParsedService | undefined {
  if (/^\d*$/.test(buf)) return undefined;
  let host = buf;
  let portText: string | undefined;
  if (buf.startsWith('[')) {
    const close = buf.indexOf(']');
    if (close < 0 || buf[close + 1] !== ':') return undefined;
    host = buf.slice(1, close);
    portText = buf.slice(close + 2);
  }
  let family: IpFamily;
  let address: string;
  const v6 = ipv6Address(host);
  if (v6 !== undefined) {
    family = 'inet6';
    address = v6;
  } else {
    if (portText === undefined) {
      const c = host.lastIndexOf(':');
      if (c >= 0) {
        portText = host.slice(c + 1);
        host = host.slice(0, c);
      }
    }
    const a = inetAton(host) ?? r.hostToAddr?.(host);
    if (a === undefined) return undefined;
    family = 'inet';
    if (canonicalQuadValue(a) !== undefined) address = a;
    else if (ipaddr.IPv4.isValid(a)) address = ipaddr.IPv4.parse(a).toString();
    else return undefined;
  }
  if (portText === undefined) return { family, address, port: undefined };
  const port = toNumber(portText, 0, 65535) ?? r.serviceToPort?.(portText, protocol);
  if (port === undefined) return undefined;
  return { family, address, port };
}
