// SPDX-License-Identifier: Apache-2.0
/**
 * The rtnetlink messages the VRRP engine needs at every start and on every change of the host:
 * link and address dumps (`ip link`, `ip addr`), and link and address messages as they come from a
 * dump or from the `ip monitor` groups. Written by hand for the same reason as rtnl-addr.ts:
 * netlink@0.3.0's generated structs (~10 ms of a VRRP worker's start on Node 24) are loaded only
 * when a configuration needs routes, rules or VMACs; parsing each event through them was also a
 * cost of 200 instances taking over at once. Checked against the library's formatter by property
 * tests (test/unit/netlink/rtnl-messages.test.ts). Pure.
 */
import { Buffer } from 'node:buffer';
import { addrText, macText } from '../core/addr.js';
import { AttrDecoder, NLMSG_HDRLEN, NlFlags, writeNlHeader } from './codec.js';
import type { AddrEntry, LinkInfo } from './rtnl.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
/** rtnetlink multicast groups: links, IPv4 and IPv6 addresses (`ip monitor link address`). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

/** struct ifinfomsg: family, pad, type (u16), index (i32), flags (u32), change (u32). */
const IFINFOMSG_LEN = 16;
/** struct ifaddrmsg: family, prefixlen, flags, scope (u8 each), index (u32). */
export const IFADDRMSG_LEN = 8;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
/** Address attributes (IFA_*), shared with the address requests (rtnl-addr.ts). */
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_FLAGS = 8;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFA_F_SECONDARY = 0x01;
const IFA_F_TENTATIVE = 0x40;

/** A dump of every link (RTM_GETLINK) or address (RTM_GETADDR) of the namespace, all families. */
export function encodeDump(type: typeof RTM_GETLINK | typeof RTM_GETADDR, seq: number): Buffer {
  const len = NLMSG_HDRLEN + (type === RTM_GETLINK ? IFINFOMSG_LEN : IFADDRMSG_LEN);
  const m = Buffer.alloc(len);
  writeNlHeader(m, 0, len, type, NlFlags.REQUEST | NlFlags.DUMP, seq);
  return m;
}

/** A link message's payload (RTM_NEWLINK / RTM_DELLINK); undefined when too short to be one. */
export function decodeLink(payload: Buffer): LinkInfo | undefined {
  if (payload.length < IFINFOMSG_LEN) return undefined;
  const flags = payload.readUInt32LE(8);
  let name = '';
  let mac: Uint8Array | undefined;
  const d = new AttrDecoder(payload.subarray(IFINFOMSG_LEN));
  while (d.next()) {
    if (d.type() === IFLA_IFNAME) name = d.string();
    else if (d.type() === IFLA_ADDRESS) mac = d.bytes();
  }
  return {
    ifindex: payload.readInt32LE(4),
    name,
    mac: macText(mac),
    up: (flags & IFF_UP) !== 0 && (flags & IFF_RUNNING) !== 0,
  };
}

/** An address message's payload (RTM_NEWADDR / RTM_DELADDR); undefined without an IPv4/IPv6 address. */
export function decodeAddr(payload: Buffer): AddrEntry | undefined {
  if (payload.length < IFADDRMSG_LEN) return undefined;
  let local: Uint8Array | undefined;
  let address: Uint8Array | undefined;
  let label: string | undefined;
  // IFA_FLAGS (u32) when present: the header's u8 cannot hold every flag
  let flags = payload.readUInt8(2);
  const d = new AttrDecoder(payload.subarray(IFADDRMSG_LEN));
  while (d.next()) {
    const t = d.type();
    if (t === IFA_LOCAL) local = d.bytes();
    else if (t === IFA_ADDRESS) address = d.bytes();
    else if (t === IFA_LABEL) label = d.string();
    else if (t === IFA_FLAGS) flags = d.u32();
  }
  const raw = local ?? address;
  if (!raw || (raw.length !== 4 && raw.length !== 16)) return undefined;
  return {
    family: raw.length === 4 ? 'inet' : 'inet6',
    address: addrText(raw),
    prefixLen: payload.readUInt8(1),
    ifindex: payload.readUInt32LE(4),
    scope: payload.readUInt8(3),
    label,
    secondary: (flags & IFA_F_SECONDARY) !== 0,
    tentative: (flags & IFA_F_TENTATIVE) !== 0,
  };
}
