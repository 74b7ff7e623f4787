// SPDX-License-Identifier: Apache-2.0
/**
 * Unsolicited Neighbor Advertisement frame builder (RFC 4861 §7.2.6), as keepalived sends it
 * (vrrp_ndisc.c): Ethernet to 33:33:00:00:00:01, IPv6 src = the VIP, dst ff02::1, hop limit 255,
 * Override flag (+ Router if forwarding), target = VIP, option 2 (target link-layer address),
 * ICMPv6 checksum computed here. Pure. Hand-written: 86 fixed bytes; no npm package fits.
 */
import { finishChecksum, sum16 } from './wire.js';
import { addrBytesOf, macBytes } from '../core/addr.js';

export const ETH_P_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
export const NA_FRAME_LEN = 86;
const ALL_NODES = 'ff02::1';
const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_OVERRIDE = 0x20;

export interface NaInput {
  readonly mac: string | Uint8Array;
  /** The IPv6 VIP announced (also the IPv6 source). */
  readonly vip: string;
  /** Set the Router flag (the interface forwards IPv6) [false]. */
  readonly router?: boolean;
}

/** The full Ethernet frame with the ICMPv6 checksum filled in. For AF_PACKET send. */
export function buildUnsolicitedNa(input: NaInput): Uint8Array {
  const mac = macBytes(input.mac);
  const vip = addrBytesOf(input.vip, 'inet6');
  const dst = addrBytesOf(ALL_NODES, 'inet6');
  const f = new Uint8Array(NA_FRAME_LEN);
  const dv = new DataView(f.buffer);
  f.set(ALL_NODES_MAC, 0);
  f.set(mac, 6);
  dv.setUint16(12, ETH_P_IPV6);
  // IPv6 header at 14: version 6, traffic class 0, flow label 0.
  f[14] = 0x60;
  const icmpLen = 32;
  dv.setUint16(18, icmpLen);
  f[20] = IPPROTO_ICMPV6;
  f[21] = 255;
  f.set(vip, 22);
  f.set(dst, 38);
  // ICMPv6 at 54.
  const icmp = 54;
  f[icmp] = ND_NEIGHBOR_ADVERT;
  f[icmp + 1] = 0;
  f[icmp + 4] = NA_FLAG_OVERRIDE | (input.router ? NA_FLAG_ROUTER : 0);
  f.set(vip, icmp + 8);
  f[icmp + 24] = 2; // option: target link-layer address
  f[icmp + 25] = 1; // length in units of 8 bytes
  f.set(mac, icmp + 26);
  let s = sum16(vip, sum16(dst));
  s += icmpLen + IPPROTO_ICMPV6;
  s = sum16(f.subarray(icmp, icmp + icmpLen), s);
  dv.setUint16(icmp + 2, finishChecksum(s));
  return f;
}
