// SPDX-License-Identifier: Apache-2.0
/**
 * Gratuitous ARP frame builder, as keepalived sends it (vrrp_arp.c): an ARP *request* (op 1),
 * Ethernet broadcast, sha = interface MAC, spa = tpa = VIP, tha = ff:ff:ff:ff:ff:ff. Pure.
 * Hand-written: 42 fixed bytes; no npm package builds this exact form.
 */
import { addrBytesOf, macBytes } from '../core/addr.js';

export const ETH_P_ARP = 0x0806;
export const ETH_P_IP = 0x0800;
export const ARP_FRAME_LEN = 42;
const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface GarpInput {
  /** Source MAC: the interface's (or the VMAC). */
  readonly mac: string | Uint8Array;
  /** The IPv4 VIP announced. */
  readonly vip: string;
}

/** The full Ethernet frame (no padding: the NIC pads to 60 bytes). For AF_PACKET SOCK_RAW send. */
export function buildGarp(input: GarpInput): Uint8Array {
  const mac = macBytes(input.mac);
  const ip = addrBytesOf(input.vip, 'inet');
  const f = new Uint8Array(ARP_FRAME_LEN);
  const dv = new DataView(f.buffer);
  f.set(BROADCAST, 0);
  f.set(mac, 6);
  dv.setUint16(12, ETH_P_ARP);
  dv.setUint16(14, 1); // htype Ethernet
  dv.setUint16(16, ETH_P_IP); // ptype
  f[18] = 6; // hlen
  f[19] = 4; // plen
  dv.setUint16(20, 1); // op: request
  f.set(mac, 22); // sha
  f.set(ip, 28); // spa
  f.set(BROADCAST, 32); // tha
  f.set(ip, 38); // tpa
  return f;
}
