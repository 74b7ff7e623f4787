// SPDX-License-Identifier: Apache-2.0
// FULLNAT: the nftables script builder (pure) and the shell's ownership rules with a fake nft/sysctl.
// The script is loaded by the real nft against the real kernel in test/vm/ipvs/fullnat.test.ts.
import test from 'ava';
import { isLvsdError } from '../../../src/core/errors.js';
import { CONNTRACK_SYSCTL, FullNat, parseRouteSource } from '../../../src/ipvs/fullnat.js';
import type { FullNatDeps } from '../../../src/ipvs/fullnat.js';
import { fullNatRemovalScript, fullNatRule, fullNatScript } from '../../../src/ipvs/rules.js';

test('script replaces lvsd_fullnat atomically, one rule per service', (t) => {
  t.is(
    fullNatScript([
      {
        key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
        snatAddress: '10.2.0.1',
      },
      {
        key: { kind: 'addr', family: 'inet6', protocol: 'udp', address: '2001:db8::1', port: 53 },
        snatAddress: '2001:DB8:2:0::1',
      },
      { key: { kind: 'fwmark', family: 'inet', fwmark: 100 }, snatAddress: '10.2.0.1' },
    ]),
    [
      'table inet lvsd_fullnat {}',
      'delete table inet lvsd_fullnat',
      'table inet lvsd_fullnat {',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      '    meta nfproto ipv4 ct original ip daddr 10.0.0.1 ct original protocol tcp ct original proto-dst 80 snat ip to 10.2.0.1 comment "lvsd TCP 10.0.0.1:80"',
      '    meta nfproto ipv6 ct original ip6 daddr 2001:db8::1 ct original protocol udp ct original proto-dst 53 snat ip6 to 2001:db8:2::1 comment "lvsd UDP [2001:db8::1]:53"',
      '    meta nfproto ipv4 meta mark 0x00000064 snat ip to 10.2.0.1 comment "lvsd FWM 100"',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
});

test('removal deletes only lvsd_fullnat (and never fails when it is absent)', (t) => {
  t.is(fullNatRemovalScript(), 'table inet lvsd_fullnat {}\ndelete table inet lvsd_fullnat\n');
  t.is(fullNatScript([]), fullNatRemovalScript());
});

test('a port-zero service matches every port; family mismatch and bad names are refused', (t) => {
  t.is(
    fullNatRule({
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 0 },
      snatAddress: '10.2.0.1',
    }),
    'meta nfproto ipv4 ct original ip daddr 10.0.0.1 ct original protocol tcp snat ip to 10.2.0.1 comment "lvsd TCP 10.0.0.1:0"',
  );
  const e = t.throws(() =>
    fullNatRule({
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
      snatAddress: '2001:db8::1',
    }),
  );
  t.true(isLvsdError(e, 'LVSD_E_FULLNAT'));
  t.throws(() =>
    fullNatRule({ key: { kind: 'fwmark', family: 'inet', fwmark: 1 }, snatAddress: 'director' }),
  );
  t.throws(() => fullNatScript([], 'bad name; flush ruleset'));
});

function fakeDeps(conntrack = '0') {
  const calls: string[] = [];
  const sysctl = new Map([[CONNTRACK_SYSCTL, `${conntrack}\n`]]);
  const deps: FullNatDeps = {
    nft: (args, input) => {
      calls.push(`nft ${args.join(' ')}${input ? `\n${input}` : ''}`);
      return Promise.resolve('');
    },
    readSysctl: (p) => Promise.resolve(sysctl.get(p) ?? ''),
    writeSysctl: (p, v) => {
      calls.push(`sysctl ${p}=${v}`);
      sysctl.set(p, v);
      return Promise.resolve();
    },
    routeSource: (a) => Promise.resolve(a.startsWith('192.168.0.') ? '192.168.0.100' : undefined),
  };
  return { deps, calls, sysctl };
}

const svc = {
  key: {
    kind: 'addr' as const,
    family: 'inet' as const,
    protocol: 'tcp' as const,
    address: '10.0.0.1',
    port: 80,
  },
  snatAddress: '10.2.0.1',
};

test('FullNat turns conntrack on, and back off on remove only if it changed it', async (t) => {
  const f = fakeDeps('0');
  const fn = new FullNat(f.deps);
  await fn.apply([svc]);
  await fn.apply([svc]);
  t.is(f.sysctl.get(CONNTRACK_SYSCTL), '1');
  t.is(f.calls.filter((c) => c.startsWith('sysctl')).length, 1);
  await fn.remove();
  t.is(f.sysctl.get(CONNTRACK_SYSCTL), '0');
  t.is(f.calls.at(-2), `nft -f -\n${fullNatRemovalScript()}`);

  const g = fakeDeps('1');
  const gn = new FullNat(g.deps);
  await gn.apply([svc]);
  await gn.apply([]);
  t.is(g.sysctl.get(CONNTRACK_SYSCTL), '1\n', 'an operator setting is left alone');
  t.false(g.calls.some((c) => c.startsWith('sysctl')));
});

test('nft failures become LVSD_E_FULLNAT with nft’s message', async (t) => {
  const f = fakeDeps('1');
  f.deps.nft = () => Promise.reject(new Error('Error: Could not process rule: No such file or directory'));
  const e = await t.throwsAsync(new FullNat(f.deps).apply([svc]));
  t.true(isLvsdError(e, 'LVSD_E_FULLNAT'));
  t.regex(e.message, /No such file or directory/);
});

test("applyByReals takes the director's source address toward the first real", async (t) => {
  const f = fakeDeps('1');
  const fn = new FullNat(f.deps);
  const applied = await fn.applyByReals([
    { key: svc.key, reals: ['192.168.0.101', '192.168.0.102'] },
    { key: { kind: 'fwmark', family: 'inet', fwmark: 3 }, reals: [] },
  ]);
  t.deepEqual(applied, [{ key: svc.key, snatAddress: '192.168.0.100' }]);
  t.regex(f.calls.at(-1)!, /snat ip to 192\.168\.0\.100 comment "lvsd TCP 10\.0\.0\.1:80"/);
  const e = await t.throwsAsync(fn.applyByReals([{ key: svc.key, reals: ['10.9.9.9'] }]));
  t.true(isLvsdError(e, 'LVSD_E_FULLNAT'));
  t.regex(e.message, /no route from the director to real server 10\.9\.9\.9/);
});

test('parseRouteSource reads prefsrc from `ip -j route get`', (t) => {
  t.is(
    parseRouteSource(
      '[{"type":"local","dst":"127.0.0.5","dev":"lo","prefsrc":"127.0.0.1","flags":[],"uid":0}]',
    ),
    '127.0.0.1',
  );
  t.is(parseRouteSource('[{"dst":"10.0.0.1","dev":"eth0"}]'), undefined);
  t.is(parseRouteSource('not json'), undefined);
});
