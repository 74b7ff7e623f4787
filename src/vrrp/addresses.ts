// SPDX-License-Identifier: Apache-2.0
/**
 * Addresses of a VRRP instance as the kernel takes them: a configured VIP as an rtnetlink address
 * (scope, label, `brd +`), and the source address of adverts chosen as keepalived chooses it. Pure.
 */
import type { Vip, VrrpInstanceConfig as InstanceConfig } from '../config/model.js';
import { SCOPES, type AddrEntry, type AddrSpec } from '../netlink/rtnl.js';

/** IPv4 broadcast for `brd +`: the address with every host bit set. */
export function broadcastOf(address: string, prefix: number): string {
  const n = address.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const b = (n | ~mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 255).join('.');
}

/** A configured VIP on interface `ifindex` (`ip addr add V/P [brd B] [scope S] [label L] dev IF`). */
export function vipSpec(v: Vip, ifindex: number): AddrSpec {
  const scope =
    v.scope === undefined ? undefined : ((SCOPES as Record<string, number>)[v.scope] ?? Number(v.scope));
  const brd = v.brd === '+' ? broadcastOf(v.address, v.prefix) : v.brd === '-' ? undefined : v.brd;
  return {
    family: v.family,
    address: v.address,
    prefixLen: v.prefix,
    ifindex,
    ...(v.label !== undefined ? { label: v.label } : {}),
    ...(scope !== undefined && Number.isFinite(scope) ? { scope } : {}),
    ...(brd !== undefined && v.family === 'inet' ? { broadcast: brd } : {}),
  };
}

/**
 * keepalived's choice of advert source: `unicast_src_ip` / `mcast_src_ip` (with `track_src_ip`,
 * only while the interface has it), else the interface's own address of the instance's family that
 * is not one of its VIPs, excluded ones included (IPv6: the link-local one;
 * IPv4: the primary before a secondary), and not one still tentative (IPv6 DAD). Undefined when the
 * interface has none yet.
 */
export function sourceAddress(i: InstanceConfig, addrs: readonly AddrEntry[]): string | undefined {
  const set = i.unicastSrcIp ?? i.mcastSrcIp;
  // track_src_ip: the configured source counts only while it is on the interface (else FAULT)
  if (set && i.trackSrcIp) return addrs.some((a) => a.address === set && !a.tentative) ? set : undefined;
  if (set) return set;
  // One pass that stops at the first fit: the engine asks every instance on an interface after each
  // address event, and 200 instances taking over at once add 200 addresses there.
  const own = (a: AddrEntry): boolean =>
    a.family === i.family &&
    !a.tentative &&
    !i.vips.some((v) => v.address === a.address) &&
    !i.excludedVips.some((v) => v.address === a.address);
  if (i.family === 'inet6') return addrs.find((a) => a.address.startsWith('fe80:') && own(a))?.address;
  let firstSecondary: string | undefined;
  for (const a of addrs) {
    if (!own(a)) continue;
    if (!a.secondary) return a.address;
    firstSecondary ??= a.address;
  }
  return firstSecondary;
}
