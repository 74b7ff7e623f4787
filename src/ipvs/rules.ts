// SPDX-License-Identifier: Apache-2.0
/**
 * FULLNAT as nftables text (the documented lvsd extension `lb_kind FULLNAT`). Pure.
 *
 * Mainline IPVS has no FULLNAT. lvsd gets it from stock parts: the virtual service is programmed
 * as IPVS masquerading, `net.ipv4.vs.conntrack=1` makes IPVS keep conntrack entries for its
 * connections, and one source-NAT rule per FULLNAT service in postrouting rewrites the client's
 * address to the director's, so real servers answer the director and need no route back through
 * it. The rule matches the connection's original destination (the VIP and virtual port) through
 * conntrack, which IPVS leaves untouched; fwmark services match the packet mark.
 *
 * lvsd owns exactly one nftables table (`inet lvsd_fullnat`) and nothing else: every change
 * replaces that table atomically in one `nft -f` transaction (`table X {}` + `delete table X` +
 * the new table, so the delete never fails), and removal deletes only it. Text is written by
 * hand: nftables has no JSON-schema library on npm worth a dependency for a dozen lines, and
 * `nft -f` is the interface the nftables project documents for atomic replacement.
 */
import ipaddr from 'ipaddr.js';
import { LvsdError } from '../core/errors.js';
import type { ServiceKey } from './model.js';
import { describeService } from './model.js';

export const FULLNAT_TABLE = 'lvsd_fullnat';

export interface FullNatService {
  key: ServiceKey;
  /** The director's address on the real servers' side: the source they see. Same family as the service. */
  snatAddress: string;
}

const nfproto = { inet: 'ipv4', inet6: 'ipv6' } as const;
const ipKw = { inet: 'ip', inet6: 'ip6' } as const;

/** Table names nft accepts without quoting. */
function checkTableName(table: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(table)) {
    throw new LvsdError('LVSD_E_FULLNAT', `invalid nftables table name '${table}'`);
  }
}

/** One postrouting rule for one FULLNAT service. */
export function fullNatRule(s: FullNatService): string {
  const k = s.key;
  let snat: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    snat = ipaddr.parse(s.snatAddress);
  } catch {
    throw new LvsdError(
      'LVSD_E_FULLNAT',
      `${describeService(k)}: FULLNAT source address '${s.snatAddress}' is not an IP address`,
    );
  }
  const fam = snat.kind() === 'ipv4' ? 'inet' : 'inet6';
  if (fam !== k.family) {
    throw new LvsdError(
      'LVSD_E_FULLNAT',
      `${describeService(k)}: FULLNAT source address ${s.snatAddress} is not of the service's address family`,
    );
  }
  const to = `snat ${ipKw[fam]} to ${snat.toString()}`;
  const comment = `comment "lvsd ${describeService(k)}"`;
  if (k.kind === 'fwmark') {
    return `meta nfproto ${nfproto[fam]} meta mark 0x${k.fwmark.toString(16).padStart(8, '0')} ${to} ${comment}`;
  }
  const match = [
    `meta nfproto ${nfproto[fam]}`,
    `ct original ${ipKw[fam]} daddr ${k.address}`,
    `ct original protocol ${k.protocol}`,
  ];
  // port 0 = every port (a persistent port-zero service)
  if (k.port !== 0) match.push(`ct original proto-dst ${k.port}`);
  return `${match.join(' ')} ${to} ${comment}`;
}

/**
 * The `nft -f -` script that makes lvsd's table exactly `services` (atomic replace). With no
 * services it only removes the table.
 */
export function fullNatScript(services: readonly FullNatService[], table = FULLNAT_TABLE): string {
  checkTableName(table);
  const lines = [`table inet ${table} {}`, `delete table inet ${table}`];
  if (services.length > 0) {
    lines.push(
      `table inet ${table} {`,
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      ...services.map((s) => `    ${fullNatRule(s)}`),
      '  }',
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

/** The script that removes lvsd's table and nothing else. */
export function fullNatRemovalScript(table = FULLNAT_TABLE): string {
  return fullNatScript([], table);
}
