// SPDX-License-Identifier: Apache-2.0
/**
 * rtnetlink address requests (`ip addr add` / `ip addr del`) as whole netlink messages (their acks
 * are read by acked-requests.ts). Written by hand rather than through `netlink@0.3.0`'s generated structs:
 * a VIP's add is on the takeover path, and 200 instances taking over at once paid the library's
 * generic formatter, a `getsockname` and three promises per request (bench/results/failover.md
 * part 3). The bytes are checked against the library's own formatter (test/unit/netlink). Pure.
 */
import { Buffer } from 'node:buffer';
import { addrBytesOf } from '../core/addr.js';
import { AttrWriter, NLMSG_HDRLEN, NlFlags, writeNlHeader } from './codec.js';
import type { AddrSpec } from './rtnl.js';
import {
  IFADDRMSG_LEN,
  IFA_ADDRESS,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  RTM_DELADDR,
  RTM_NEWADDR,
} from './rtnl-messages.js';

const AF_INET = 2;
const AF_INET6 = 10;
const IFA_BROADCAST = 4;
const IFA_CACHEINFO = 6;
const IFA_F_NODAD = 0x02;
/** NLM_F_CREATE | NLM_F_EXCL: what `ip addr add` asks (an existing address is EEXIST). */
const CREATE_EXCL = 0x400 | 0x200;

/**
 * One RTM_NEWADDR (`op` add: NLM_F_CREATE | NLM_F_EXCL) or RTM_DELADDR request for `a`, with
 * NLM_F_REQUEST | NLM_F_ACK and sequence number `seq`. IPv6 addresses are added without duplicate
 * address detection (`nodad`), as keepalived adds VIPs; `deprecated` gives preferred_lft 0.
 */
export function encodeAddrRequest(op: 'add' | 'del', a: AddrSpec, seq: number): Buffer {
  const bytes = addrBytesOf(a.address, a.family);
  const v6 = a.family === 'inet6';
  const attrs = new AttrWriter(64).bytes(IFA_LOCAL, bytes).bytes(IFA_ADDRESS, bytes);
  if (op === 'add') {
    if (!v6 && a.label !== undefined) attrs.string(IFA_LABEL, a.label);
    if (!v6 && a.broadcast !== undefined) attrs.bytes(IFA_BROADCAST, addrBytesOf(a.broadcast, 'inet'));
    if (v6) attrs.u32(IFA_FLAGS, IFA_F_NODAD);
    if (v6 && a.deprecated) {
      // struct ifa_cacheinfo: preferred 0, valid forever (0xffffffff), two timestamps the kernel sets
      const ci = Buffer.alloc(16);
      ci.writeUInt32LE(0xffffffff, 4);
      attrs.bytes(IFA_CACHEINFO, ci);
    }
  }
  const body = attrs.toBuffer();
  const len = NLMSG_HDRLEN + IFADDRMSG_LEN + body.length;
  const m = Buffer.allocUnsafe(len);
  const flags = NlFlags.REQUEST | NlFlags.ACK | (op === 'add' ? CREATE_EXCL : 0);
  writeNlHeader(m, 0, len, op === 'add' ? RTM_NEWADDR : RTM_DELADDR, flags, seq);
  m.writeUInt8(v6 ? AF_INET6 : AF_INET, 16);
  m.writeUInt8(a.prefixLen, 17);
  m.writeUInt8(op === 'add' && v6 ? IFA_F_NODAD : 0, 18);
  m.writeUInt8(op === 'add' ? (a.scope ?? 0) : 0, 19);
  m.writeUInt32LE(a.ifindex >>> 0, 20);
  body.copy(m, NLMSG_HDRLEN + IFADDRMSG_LEN);
  return m;
}
