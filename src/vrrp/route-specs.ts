// SPDX-License-Identifier: Apache-2.0
/**
 * Configured routes and rules (Model: `virtual_routes`, `static_routes`, `virtual_rules`,
 * `static_rules`) as rtnetlink takes them, and the identity under which lvsd remembers what it added.
 * Pure.
 */
import type { IpRoute, IpRule } from '../config/model.js';
import { canonicalAddr } from '../core/addr.js';
import type { NexthopSpec, RouteEntry, RouteSpec, RuleSpec } from '../netlink/rtnl.js';

/** The interfaces a route names (its `dev` and its nexthops'). */
export function routeDevs(r: IpRoute): string[] {
  const devs = r.dev === undefined ? [] : [r.dev];
  for (const nh of r.nexthops ?? []) if (nh.dev !== undefined) devs.push(nh.dev);
  return devs;
}

/** A configured route, every interface it names resolved by `ifindexOf`. */
export function routeSpecOf(r: IpRoute, ifindexOf: (dev: string) => number): RouteSpec {
  const nexthops = r.nexthops?.map((nh) => ({
    ...(nh.via !== undefined ? { gateway: nh.via } : {}),
    ...(nh.dev !== undefined ? { ifindex: ifindexOf(nh.dev) } : {}),
    ...(nh.weight !== undefined ? { hops: nh.weight - 1 } : {}),
    ...(nh.onlink ? { onlink: true } : {}),
  }));
  return {
    family: r.family,
    dst: r.to.address,
    dstLen: r.to.prefix,
    type: r.type,
    table: r.table,
    protocol: r.protocol,
    ...(r.scope !== undefined ? { scope: r.scope } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
    ...(r.src !== undefined ? { prefsrc: r.src } : {}),
    ...(r.from !== undefined ? { src: r.from.address, srcLen: r.from.prefix } : {}),
    ...(r.via !== undefined ? { gateway: r.via } : {}),
    ...(r.dev !== undefined ? { ifindex: ifindexOf(r.dev) } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    ...(r.onlink ? { onlink: true } : {}),
    ...(nexthops !== undefined ? { nexthops } : {}),
  };
}

export function ruleSpecOf(r: IpRule): RuleSpec {
  return {
    family: r.family,
    action: r.action,
    priority: r.priority,
    ...(r.table !== undefined ? { table: r.table } : {}),
    ...(r.goto !== undefined ? { goto: r.goto } : {}),
    ...(r.from !== undefined ? { src: r.from.address, srcLen: r.from.prefix } : {}),
    ...(r.to !== undefined ? { dst: r.to.address, dstLen: r.to.prefix } : {}),
    ...(r.invert ? { invert: true } : {}),
    ...(r.fwmark !== undefined ? { fwmark: r.fwmark } : {}),
    ...(r.fwmask !== undefined ? { fwmask: r.fwmask } : {}),
    ...(r.iif !== undefined ? { iifname: r.iif } : {}),
    ...(r.oif !== undefined ? { oifname: r.oif } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
    ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
  };
}

/** Identity of a route or rule: every field (specs are built by the functions above, in one key order). */
export function specKey(s: RouteSpec | RuleSpec): string {
  return JSON.stringify(s);
}

const sameAddr = (a: string | undefined, b: string | undefined): boolean =>
  a === undefined || b === undefined ? a === b : canonicalAddr(a) === canonicalAddr(b);

/** A path of a configured route and one the kernel shows: an interface not configured is the kernel's to choose. */
function samePath(want: NexthopSpec, got: NexthopSpec): boolean {
  return (
    sameAddr(want.gateway, got.gateway) &&
    (want.ifindex === undefined || want.ifindex === got.ifindex) &&
    (want.hops ?? 0) === (got.hops ?? 0) &&
    (want.onlink ?? false) === (got.onlink ?? false)
  );
}

/**
 * Whether a route the kernel shows is this configured one: every field the configuration sets is
 * the same, and those it leaves to the kernel (the interface a gateway resolves to, the scope, an
 * IPv6 route's default metric 1024) may be anything the kernel chose. This is the identity a
 * hitless restart adopts under: adding an existing route again is not a reliable test, since the
 * kernel first checks the gateway through the policy rules, which an adopted `unreachable` rule may
 * already answer (ENETUNREACH).
 */
export function routeMatches(want: RouteSpec, got: RouteEntry): boolean {
  const metric = want.metric ?? (want.family === 'inet6' ? 1024 : 0);
  return (
    want.family === got.family &&
    sameAddr(want.dst, got.dst) &&
    want.dstLen === got.dstLen &&
    want.type === got.type &&
    want.table === got.table &&
    want.protocol === got.protocol &&
    (want.scope === undefined || want.scope === got.scope) &&
    (want.tos ?? 0) === got.tos &&
    sameAddr(want.prefsrc, got.prefsrc) &&
    sameAddr(want.src, got.src) &&
    (want.srcLen ?? 0) === got.srcLen &&
    sameAddr(want.gateway, got.gateway) &&
    (want.ifindex === undefined || want.ifindex === got.ifindex) &&
    metric === (got.metric ?? 0) &&
    (want.onlink ?? false) === got.onlink &&
    (want.nexthops === undefined
      ? got.nexthops === undefined
      : want.nexthops.length === got.nexthops?.length &&
        want.nexthops.every((nh, i) => {
          const other = got.nexthops?.[i];
          return other !== undefined && samePath(nh, other);
        }))
  );
}

/** `ip route` style text for logs. */
export function routeText(r: RouteSpec): string {
  const parts = [r.type === 'unicast' ? '' : `${r.type} `, `${r.dst}/${r.dstLen}`];
  if (r.gateway) parts.push(` via ${r.gateway}`);
  for (const nh of r.nexthops ?? []) parts.push(` nexthop via ${nh.gateway ?? '-'}`);
  if (r.ifindex !== undefined) parts.push(` dev#${r.ifindex}`);
  if (r.table !== 254) parts.push(` table ${r.table}`);
  return parts.join('');
}

/** `ip rule` style text for logs. */
export function ruleText(r: RuleSpec): string {
  const from = r.src !== undefined ? `from ${r.src}/${r.srcLen ?? 0}` : 'from all';
  const to = r.dst !== undefined ? ` to ${r.dst}/${r.dstLen ?? 0}` : '';
  const action = r.action === 'table' ? `lookup ${r.table ?? 254}` : r.action;
  return `${r.priority}: ${r.invert ? 'not ' : ''}${from}${to} ${action}`;
}
