// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine's nftables table as text for `nft -f -`. Pure.
 *
 * It holds what keepalived's own table holds (vrrp_nftables.c), in the `ip` and `ip6` families
 * under one name (`nftables TABLE`, default `keepalived`):
 * - no_accept: the VIPs of a non-owner MASTER in a `vips` set; the input chain drops packets to
 *   them and the output chain packets from them. IPv6 link-local VIPs are keyed on (address,
 *   interface index) in `vips_link_local`, and neighbour solicitations and advertisements are
 *   always let through, or the VIPs could not be resolved;
 * - VMACs: IGMP (IPv4) and MLDv2 reports (IPv6) the kernel would send from a VMAC, with its
 *   virtual MAC, are sent from its parent instead (`dup to ... device` the parent, then dropped),
 *   and IPv6 router solicitations from a VMAC are dropped: a BACKUP must not make switches learn
 *   the virtual MAC on its port.
 * Each change replaces the whole table in one transaction (`table X {}` + `delete table X` + the new
 * table, so the delete never fails); a family with nothing to hold has no table. Interfaces are
 * written as indexes, which need not resolve when nft reads the script.
 */
export interface FirewallVmac {
  readonly ifindex: number;
  readonly parentIndex: number;
  readonly family: 'inet' | 'inet6';
}

export interface FirewallDrop {
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  /** The interface of an IPv6 link-local address (its scope). */
  readonly ifindex: number;
}

export interface FirewallState {
  readonly table: string;
  readonly priority: number;
  readonly counters: boolean;
  readonly vmacs: readonly FirewallVmac[];
  readonly drops: readonly FirewallDrop[];
}

const isLinkLocal = (a: string): boolean => /^fe[89ab][0-9a-f]:/i.test(a);

function hook(kind: 'input' | 'output', priority: number): string {
  return `    type filter hook ${kind} priority ${priority}; policy accept;`;
}

/** `set NAME { type T; elements = { ... } }` (no elements line when empty). */
function set(name: string, type: string, elements: readonly string[], map = false): string[] {
  const kw = map ? 'map' : 'set';
  return [`  ${kw} ${name} {`, `    type ${type};`, `    elements = { ${elements.join(', ')} }`, '  }'];
}

function family4(s: FirewallState, rule: (r: string) => string): string[] {
  const vmacs = s.vmacs.filter((v) => v.family === 'inet');
  const drops = [...new Set(s.drops.filter((d) => d.family === 'inet').map((d) => d.address))];
  if (vmacs.length === 0 && drops.length === 0) return [];
  const out = [`table ip ${s.table} {`];
  if (vmacs.length > 0)
    out.push(
      ...set(
        'vmac_map',
        'iface_index : iface_index',
        vmacs.map((v) => `${v.ifindex} : ${v.parentIndex}`),
        true,
      ),
    );
  if (drops.length > 0) out.push(...set('vips', 'ipv4_addr', drops));
  out.push('  chain out {', hook('output', s.priority));
  if (vmacs.length > 0)
    out.push(rule('ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop'));
  if (drops.length > 0) out.push(rule('ip saddr @vips drop'));
  out.push('  }');
  if (drops.length > 0)
    out.push('  chain in {', hook('input', s.priority), rule('ip daddr @vips drop'), '  }');
  out.push('}');
  return out;
}

function family6(s: FirewallState, rule: (r: string) => string): string[] {
  const vmacs = s.vmacs.filter((v) => v.family === 'inet6');
  const mine = s.drops.filter((d) => d.family === 'inet6');
  const global = [...new Set(mine.filter((d) => !isLinkLocal(d.address)).map((d) => d.address))];
  const local = [
    ...new Set(mine.filter((d) => isLinkLocal(d.address)).map((d) => `${d.address} . ${d.ifindex}`)),
  ];
  const dropping = global.length + local.length > 0;
  if (vmacs.length === 0 && !dropping) return [];
  const out = [`table ip6 ${s.table} {`];
  if (vmacs.length > 0) {
    out.push(
      ...set(
        'vmac_map',
        'iface_index : iface_index',
        vmacs.map((v) => `${v.ifindex} : ${v.parentIndex}`),
        true,
      ),
    );
    out.push(
      ...set(
        'vmac_set',
        'iface_index',
        vmacs.map((v) => `${v.ifindex}`),
      ),
    );
  }
  if (global.length > 0) out.push(...set('vips', 'ipv6_addr', global));
  if (local.length > 0) out.push(...set('vips_link_local', 'ipv6_addr . iface_index', local));
  const nd = rule('icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept');
  out.push('  chain out {', hook('output', s.priority));
  if (vmacs.length > 0) {
    out.push(
      rule(
        'icmpv6 type mld2-listener-report meta oifkind "macvlan" dup to ip6 daddr device oif map @vmac_map drop',
      ),
      rule('icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop'),
    );
  }
  if (dropping) out.push(nd);
  if (local.length > 0) out.push(rule('ip6 saddr fe80::/10 goto out_link_local'));
  if (global.length > 0) out.push(rule('ip6 saddr @vips drop'));
  out.push('  }');
  if (dropping) {
    out.push('  chain in {', hook('input', s.priority), nd);
    if (local.length > 0) out.push(rule('ip6 daddr fe80::/10 goto in_link_local'));
    if (global.length > 0) out.push(rule('ip6 daddr @vips drop'));
    out.push('  }');
  }
  if (local.length > 0) {
    out.push('  chain in_link_local {', rule('ip6 daddr . iif @vips_link_local drop'), '  }');
    out.push('  chain out_link_local {', rule('ip6 saddr . oif @vips_link_local drop'), '  }');
  }
  out.push('}');
  return out;
}

/** Table names nft takes without quoting (the config checker allows no others). */
export function validTableName(table: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table);
}

/** The script that makes the table exactly `s` (no table at all when it holds nothing). */
export function firewallScript(s: FirewallState): string {
  if (!validTableName(s.table)) throw new Error(`invalid nftables table name '${s.table}'`);
  // `counter` goes just before the verdict (drop, accept, goto)
  const rule = (r: string): string =>
    `    ${s.counters ? r.replace(/ (drop|accept|goto \S+)$/, ' counter $1') : r}`;
  const lines = [
    `table ip ${s.table} {}`,
    `delete table ip ${s.table}`,
    `table ip6 ${s.table} {}`,
    `delete table ip6 ${s.table}`,
    ...family4(s, rule),
    ...family6(s, rule),
  ];
  return lines.join('\n') + '\n';
}
