// SPDX-License-Identifier: Apache-2.0
/**
 * The advert source keepalived would choose (`sourceAddress`), held to its definition written
 * the plain way (filter the interface's own addresses, then pick) over random interfaces: the
 * one-pass version the engine calls after every address event must choose the same.
 */
import test from 'ava';
import fc from 'fast-check';
import type { VrrpInstanceConfig } from '../../../src/config/model.js';
import type { AddrEntry } from '../../../src/netlink/rtnl.js';
import { sourceAddress } from '../../../src/vrrp/addresses.js';

/** The definition: own addresses of the family (not a VIP, excluded or not; not tentative), then IPv6 link-local / IPv4 primary first. */
function byDefinition(i: VrrpInstanceConfig, addrs: readonly AddrEntry[]): string | undefined {
  const vips = new Set([...i.vips, ...i.excludedVips].map((v) => v.address));
  const mine = addrs.filter((a) => a.family === i.family && !a.tentative && !vips.has(a.address));
  if (i.family === 'inet6') return mine.find((a) => a.address.startsWith('fe80:'))?.address;
  return (mine.find((a) => !a.secondary) ?? mine[0])?.address;
}

const v4 = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.100', '192.168.1.1', '192.168.1.2');
const v6 = fc.constantFrom('fe80::1', 'fe80::2', '2001:db8::1', '2001:db8::100', 'fd00::1');
const entry = fc.record({
  family: fc.constantFrom('inet' as const, 'inet6' as const),
  v4,
  v6,
  secondary: fc.boolean(),
  tentative: fc.boolean(),
});
const vip = (address: string) => ({ family: address.includes(':') ? 'inet6' : 'inet', address }) as never;

test('sourceAddress chooses as its definition does, on any interface', (t) => {
  let chosen = 0;
  fc.assert(
    fc.property(
      fc.constantFrom('inet' as const, 'inet6' as const),
      fc.array(entry, { maxLength: 12 }),
      fc.subarray(['10.0.0.1', '10.0.0.100', 'fe80::1', '2001:db8::100']),
      fc.subarray(['10.0.0.2', '192.168.1.1', 'fe80::2']),
      (family, es, vips, excluded) => {
        const addrs: AddrEntry[] = es.map((e) => ({
          family: e.family,
          address: e.family === 'inet' ? e.v4 : e.v6,
          prefixLen: e.family === 'inet' ? 24 : 64,
          ifindex: 2,
          scope: 0,
          label: undefined,
          secondary: e.secondary,
          tentative: e.tentative,
        }));
        const cfg = {
          family,
          vips: vips.map(vip),
          excludedVips: excluded.map(vip),
        } as unknown as VrrpInstanceConfig;
        const want = byDefinition(cfg, addrs);
        if (want !== undefined) chosen++;
        return sourceAddress(cfg, addrs) === want;
      },
    ),
    { numRuns: 3000 },
  );
  t.true(chosen > 300, `a source was chosen in ${chosen} of 3000 cases`);
});
