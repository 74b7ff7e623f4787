// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper: minimal IPv4/IPv6 header build and parse for VRRP (protocol 112), so tests can
 * read captured packets (golden vectors) and reproduce them byte for byte. lvsd itself never sees
 * an IP header: the addon hands it the VRRP payload with source, destination and TTL.
 */
import { inetChecksum } from '../../../src/net/wire.js';
import { addrBytesOf, addrText } from '../../../src/core/addr.js';
import { IPPROTO_VRRP, VRRP_TTL } from '../../../src/vrrp/packet.js';
import type { DropReason, VrrpFamily } from '../../../src/vrrp/types.js';

export interface Ipv4HeaderFields {
  readonly src: string;
  readonly dst: string;
  readonly payloadLen: number;
  /** [0xc0] keepalived sends network control. */
  readonly tos?: number;
  readonly id?: number;
  readonly ttl?: number;
  readonly protocol?: number;
}

/** A 20-byte IPv4 header (no options, DF clear) with its header checksum. */
export function buildIpv4Header(f: Ipv4HeaderFields): Uint8Array {
  const h = new Uint8Array(20);
  const total = 20 + f.payloadLen;
  h[0] = 0x45;
  h[1] = f.tos ?? 0xc0;
  h[2] = total >>> 8;
  h[3] = total & 0xff;
  const id = f.id ?? 0;
  h[4] = id >>> 8;
  h[5] = id & 0xff;
  h[8] = f.ttl ?? VRRP_TTL;
  h[9] = f.protocol ?? IPPROTO_VRRP;
  h.set(addrBytesOf(f.src, 'inet'), 12);
  h.set(addrBytesOf(f.dst, 'inet'), 16);
  const c = inetChecksum(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return h;
}

export interface Ipv6HeaderFields {
  readonly src: string;
  readonly dst: string;
  readonly payloadLen: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly hopLimit?: number;
  readonly nextHeader?: number;
}

/** A 40-byte IPv6 header. */
export function buildIpv6Header(f: Ipv6HeaderFields): Uint8Array {
  const h = new Uint8Array(40);
  const tc = f.trafficClass ?? 0xc0;
  const fl = f.flowLabel ?? 0;
  h[0] = 0x60 | (tc >>> 4);
  h[1] = ((tc & 0x0f) << 4) | ((fl >>> 16) & 0x0f);
  h[2] = (fl >>> 8) & 0xff;
  h[3] = fl & 0xff;
  h[4] = f.payloadLen >>> 8;
  h[5] = f.payloadLen & 0xff;
  h[6] = f.nextHeader ?? IPPROTO_VRRP;
  h[7] = f.hopLimit ?? VRRP_TTL;
  h.set(addrBytesOf(f.src, 'inet6'), 8);
  h.set(addrBytesOf(f.dst, 'inet6'), 24);
  return h;
}

export interface ParsedIp {
  readonly family: VrrpFamily;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly protocol: number;
  /** IPv6 only. */
  readonly flowLabel: number;
  readonly payload: Uint8Array;
}

/**
 * Split an IP packet (v4 or v6, no extension headers) into header fields and payload, trimming
 * link-layer padding by the IP length. Malformed → DropReason.
 */
export function parseIpPacket(
  buf: Uint8Array,
): { readonly ok: true; readonly value: ParsedIp } | { readonly ok: false; readonly reason: DropReason } {
  if (buf.length < 1) return { ok: false, reason: 'truncated' };
  const v = (buf[0] ?? 0) >>> 4;
  if (v === 4) {
    const ihl = ((buf[0] ?? 0) & 0x0f) * 4;
    if (ihl < 20 || buf.length < ihl) return { ok: false, reason: 'truncated' };
    const total = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
    if (total < ihl || total > buf.length) return { ok: false, reason: 'badLength' };
    return {
      ok: true,
      value: {
        family: 'inet',
        src: addrText(buf.subarray(12, 16)),
        dst: addrText(buf.subarray(16, 20)),
        ttl: buf[8] ?? 0,
        protocol: buf[9] ?? 0,
        flowLabel: 0,
        payload: buf.subarray(ihl, total),
      },
    };
  }
  if (v === 6) {
    if (buf.length < 40) return { ok: false, reason: 'truncated' };
    const plen = ((buf[4] ?? 0) << 8) | (buf[5] ?? 0);
    if (40 + plen > buf.length) return { ok: false, reason: 'badLength' };
    return {
      ok: true,
      value: {
        family: 'inet6',
        src: addrText(buf.subarray(8, 24)),
        dst: addrText(buf.subarray(24, 40)),
        ttl: buf[7] ?? 0,
        protocol: buf[6] ?? 0,
        flowLabel: (((buf[1] ?? 0) & 0x0f) << 16) | ((buf[2] ?? 0) << 8) | (buf[3] ?? 0),
        payload: buf.subarray(40, 40 + plen),
      },
    };
  }
  return { ok: false, reason: 'badVersion' };
}
