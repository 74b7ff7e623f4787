// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP nftables table as text (src/vrrp/firewall-table.ts): nothing to hold is only the
 * deletes; IPv6 link-local VIPs are keyed on (address, interface index) and neighbour discovery
 * passes. The same text is loaded by the real nft in test/netns/vrrp/vmac-accept.test.ts.
 */
import test from 'ava';
import { firewallScript } from '../../../src/vrrp/firewall-table.js';

const base = { table: 'keepalived', priority: -1, counters: false, vmacs: [], drops: [] };

test('an empty state only deletes both tables, in one transaction', (t) => {
  t.is(
    firewallScript(base),
    'table ip keepalived {}\ndelete table ip keepalived\ntable ip6 keepalived {}\ndelete table ip6 keepalived\n',
  );
});

test('IPv6 drops: global VIPs in `vips`, link-local ones by interface index, ND let through first', (t) => {
  const s = firewallScript({
    ...base,
    drops: [
      { family: 'inet6', address: 'fd00::100', ifindex: 7 },
      { family: 'inet6', address: 'fe80::100', ifindex: 7 },
    ],
  });
  t.false(s.includes('table ip keepalived {\n'), 'no IPv4 table');
  const chainIn = s.slice(s.indexOf('  chain in {'));
  t.regex(
    chainIn,
    /nd-neighbor-solicit, nd-neighbor-advert \} accept\n\s+ip6 daddr fe80::\/10 goto in_link_local\n\s+ip6 daddr @vips drop/,
  );
  t.regex(s, /elements = \{ fe80::100 \. 7 \}/);
  t.regex(s, /chain in_link_local \{\n\s+ip6 daddr \. iif @vips_link_local drop/);
  t.throws(() => firewallScript({ ...base, table: 'bad name' }));
});
