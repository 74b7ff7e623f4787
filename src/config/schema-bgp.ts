// SPDX-License-Identifier: Apache-2.0
/**
 * The `lvsd_bgp_*` settings (an lvsd extension: VIPs announced over BGP through a kernel routing
 * table lvsd owns, docs/config.md "Announcing VIPs over BGP") resolved and checked against the
 * virtual servers that ask for an announcement. Pure.
 */
import type { LvsdBgp, VirtualServer } from './model.js';
import type { BgpDraft } from './keywords/global.js';
import type { Ctx } from './values.js';

/** Default pause between the withdrawal and the end of service at shutdown. */
export const defaultWithdrawGraceMs = 5000;

/** Schedulers that send a flow to the same real on every director (consistent or pure hashing). */
const sameRealEverywhere: ReadonlySet<string> = new Set(['mh', 'sh', 'dh']);

export function finalizeBgp(ctx: Ctx, d: BgpDraft, servers: readonly VirtualServer[]): LvsdBgp | undefined {
  const announced = servers.filter((vs) => vs.bgpAnnounce !== undefined);
  if (!d.table) {
    const written = { lvsd_bgp_withdraw_grace: d.withdrawGraceMs, lvsd_bgp_bird_socket: d.birdSocket };
    for (const [kw, s] of Object.entries(written))
      if (s)
        ctx.diags.error(
          s.loc,
          `\`${kw}\` needs \`lvsd_bgp_table N\` in global_defs (the table lvsd owns)`,
          kw,
        );
    for (const vs of announced)
      ctx.diags.error(
        vs.bgpAnnounce ?? vs.loc,
        '`lvsd_bgp_announce` needs `lvsd_bgp_table N` in global_defs (the table lvsd owns)',
        'lvsd_bgp_announce',
      );
    return undefined;
  }
  for (const vs of announced) {
    const loc = vs.bgpAnnounce ?? vs.loc;
    if (vs.key.kind !== 'addr') {
      ctx.diags.error(
        loc,
        `\`lvsd_bgp_announce\` needs a virtual server with an address (${vs.key.kind === 'fwmark' ? 'fwmark' : 'group'} given): announce its address with a virtual server of its own`,
        'lvsd_bgp_announce',
      );
      continue;
    }
    if (!sameRealEverywhere.has(vs.scheduler))
      ctx.diags.warning(
        loc,
        `\`lvsd_bgp_announce\` with \`lb_algo ${vs.scheduler}\`: a flow the router moves to another director goes to another real server and breaks; \`lb_algo mh\` keeps it`,
        'lvsd_bgp_announce',
      );
  }
  const out: LvsdBgp = {
    table: d.table.value,
    withdrawGraceMs: d.withdrawGraceMs?.value ?? defaultWithdrawGraceMs,
  };
  if (d.birdSocket) out.birdSocket = d.birdSocket.value;
  return out;
}
