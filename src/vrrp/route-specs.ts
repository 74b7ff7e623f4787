// SPDX-License-Identifier: Apache-2.0
/**
 * Configured routes and rules (Model: `virtual_routes`, `static_routes`, `virtual_rules`,
 * `static_rules`) as rtnetlink takes them, and the identity under which lvsd remembers what it added.
 * Pure.
 */
import type { IpRoute, IpRule } from '../config/model.js';
import type { RouteSpec, RuleSpec } from '../netlink/rtnl.js';

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
