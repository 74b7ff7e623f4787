// SPDX-License-Identifier: Apache-2.0
/**
 * The `global_defs` keywords of keepalived's VRRP firewall: `nftables [TABLE]`, `nftables_priority`,
 * `nftables_counters` and `nftables_ifindex` are carried out by lvsd's own nftables table
 * (src/vrrp/firewall-table.ts); `vrrp_iptables` and `vrrp_ipsets` are refused with a located error
 * that says why (lvsd has no iptables backend; keepalived itself uses nftables instead of them when
 * built without iptables, as Debian's package is). Pure.
 */
import type { VrrpNftables } from '../model.js';
import type { AstNode } from '../parser.js';
import { type Ctx, type KeywordDef, type KeywordTable, intArg, noExtra } from '../values.js';

export interface NftablesDraft {
  table?: string;
  priority?: number;
  counters?: boolean;
}

/** keepalived's default table name and chain priority. */
export const NFT_DEFAULTS = { table: 'keepalived', priority: -1 } as const;

/** Names nft takes without quoting (and keepalived's length limit, 255). */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const iptablesRefused = (what: string): KeywordDef<unknown> => ({
  run: (c: Ctx, n: AstNode) =>
    c.diags.add(
      c.lenient ? 'warning' : 'error',
      'LVSD_E_CONFIG_INVALID',
      n.loc,
      `\`${n.keyword}\`: lvsd has no ${what} backend; its VRRP firewall is an nftables table (use \`nftables [TABLE]\`, or nothing: lvsd turns it on by itself for no_accept and use_vmac)${c.lenient ? ' (ignored)' : ''}`,
      n.keyword,
    ),
});

export const nftablesKeywords: KeywordTable<{ nftables?: NftablesDraft }> = {
  nftables: {
    run: (c, n, g) => {
      noExtra(c, n, 1);
      const t = n.args[0];
      g.nftables ??= {};
      if (!t) g.nftables.table = NFT_DEFAULTS.table;
      else if (!TABLE_NAME.test(t.text)) {
        c.diags.error(
          t.loc,
          `\`nftables\`: table name must be a letter or '_' then up to 62 letters, digits or '_' (got ${t.text})`,
          n.keyword,
        );
      } else g.nftables.table = t.text;
    },
  },
  nftables_priority: {
    run: (c, n, g) => {
      const p = intArg(c, n, -2147483648, 2147483647);
      if (p === undefined) return;
      g.nftables ??= {};
      g.nftables.priority = p;
    },
  },
  nftables_counters: {
    run: (c, n, g) => {
      noExtra(c, n, 0);
      g.nftables ??= {};
      g.nftables.counters = true;
    },
  },
  // keepalived's choice of the interface index over its name in link-local sets: lvsd's sets always
  // key on the index, so the keyword asks for what lvsd does.
  nftables_ifindex: { run: (c, n) => noExtra(c, n, 0) },
  vrrp_iptables: iptablesRefused('iptables'),
  vrrp_ipsets: iptablesRefused('ipset'),
};

/** The resolved table settings, or undefined when no `nftables*` keyword was written. */
export function finalizeNftables(d: NftablesDraft | undefined): VrrpNftables | undefined {
  if (!d) return undefined;
  return {
    table: d.table ?? NFT_DEFAULTS.table,
    priority: d.priority ?? NFT_DEFAULTS.priority,
    counters: d.counters ?? false,
  };
}
