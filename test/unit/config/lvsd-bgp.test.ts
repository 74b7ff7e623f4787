// SPDX-License-Identifier: Apache-2.0
// `lvsd_bgp_*`, `lvsd_sloppy_*` in global_defs and `lvsd_bgp_announce` in virtual_server (lvsd
// extensions): the Model's settings, or a located error; and what the check layer makes of them.
import test from 'ava';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import { checkSpecFromModel } from '../../../src/check/from-model.js';

const conf = (global: string, vs = 'lvsd_bgp_announce', header = '192.0.2.10 80', algo = 'mh'): string =>
  `global_defs {\n${global
    .split('\n')
    .map((l) => `  ${l}`)
    .join(
      '\n',
    )}\n}\nvirtual_server ${header} {\n  lb_algo ${algo}\n  lb_kind DR\n  ${vs}\n  real_server 10.1.0.11 80 {\n    TCP_CHECK {\n    }\n  }\n}\n`;

const parse = (text: string) =>
  parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient: false });

const text = (ds: ReturnType<typeof parse>['diagnostics']): string =>
  ds.map((d) => formatDiagnostic(d)).join('\n');

test('lvsd_bgp_table with defaults: grace 5 s, no BIRD socket; the virtual server is announced', (t) => {
  const { model, diagnostics } = parse(conf('lvsd_bgp_table 100'));
  t.deepEqual(diagnostics, []);
  t.like(model?.global.lvsdBgp, { table: 100, withdrawGraceMs: 5000 });
  t.is(model?.global.lvsdBgp?.birdSocket, undefined);
  t.truthy(model?.virtualServers[0]?.bgpAnnounce);
});

test('every lvsd_bgp_* keyword, and the sloppy modes', (t) => {
  const { model, diagnostics } = parse(
    conf(
      'lvsd_bgp_table 4000000000\nlvsd_bgp_withdraw_grace 2.5\nlvsd_bgp_bird_socket /run/bird/bird.ctl\nlvsd_sloppy_tcp\nlvsd_sloppy_sctp',
    ),
  );
  t.deepEqual(diagnostics, []);
  t.like(model?.global.lvsdBgp, {
    table: 4000000000,
    withdrawGraceMs: 2500,
    birdSocket: '/run/bird/bird.ctl',
  });
  t.deepEqual(model?.global.lvsdSloppy, { tcp: true, sctp: true });
});

const errors: Array<{ name: string; text: string; want: RegExp }> = [
  {
    name: 'table 254 (main)',
    text: conf('lvsd_bgp_table 254'),
    want: /mem\.conf:2:18: .*253 default, 254 main, 255 local/,
  },
  {
    name: 'table 0',
    text: conf('lvsd_bgp_table 0'),
    want: /mem\.conf:2:18: .*lvsd_bgp_table.*1\.\.4294967295/,
  },
  { name: 'table past 2^32-1', text: conf('lvsd_bgp_table 4294967296'), want: /mem\.conf:2:18: / },
  {
    name: 'grace out of range',
    text: conf('lvsd_bgp_table 100\nlvsd_bgp_withdraw_grace 61'),
    want: /mem\.conf:3:27: .*lvsd_bgp_withdraw_grace.*0\.\.60/,
  },
  {
    name: 'relative BIRD socket',
    text: conf('lvsd_bgp_table 100\nlvsd_bgp_bird_socket bird.ctl'),
    want: /mem\.conf:3:24: .*absolute path/,
  },
  {
    name: 'announce without a table',
    text: conf('router_id a'),
    want: /mem\.conf:7:3: .*lvsd_bgp_announce.*needs `lvsd_bgp_table N`/,
  },
  {
    name: 'grace without a table',
    text: conf('lvsd_bgp_withdraw_grace 3', 'quorum 1'),
    want: /mem\.conf:2:3: .*lvsd_bgp_withdraw_grace.*needs `lvsd_bgp_table N`/,
  },
  {
    name: 'announce on a fwmark virtual server',
    text: conf('lvsd_bgp_table 100', 'lvsd_bgp_announce', 'fwmark 7'),
    want: /mem\.conf:7:3: .*needs a virtual server with an address \(fwmark given\)/,
  },
  {
    name: 'announce takes no value',
    text: conf('lvsd_bgp_table 100', 'lvsd_bgp_announce yes'),
    want: /mem\.conf:7:21: error: unexpected `yes`/,
  },
];

for (const r of errors) {
  test(`located error: ${r.name}`, (t) => {
    const { model, diagnostics } = parse(r.text);
    t.is(model, undefined);
    t.regex(text(diagnostics), r.want);
  });
}

test('announced with a scheduler that moves flows: a located warning, the file is valid', (t) => {
  const { model, diagnostics } = parse(
    conf('lvsd_bgp_table 100', 'lvsd_bgp_announce', '192.0.2.10 80', 'rr'),
  );
  t.truthy(model);
  t.regex(text(diagnostics), /mem\.conf:7:3: warning: .*lb_algo rr.*lb_algo mh/);
});

test('announced: the check layer keeps failed reals at weight 0 (inhibited); not announced: as written', (t) => {
  const announced = checkSpecFromModel(parse(conf('lvsd_bgp_table 100')).model!);
  t.true(announced.virtualServers[0]?.bgpAnnounce);
  t.true(announced.virtualServers[0]?.reals[0]?.inhibitOnFailure);
  const plain = checkSpecFromModel(parse(conf('router_id a', 'quorum 1')).model!);
  t.is(plain.virtualServers[0]?.bgpAnnounce, undefined);
  t.false(plain.virtualServers[0]?.reals[0]?.inhibitOnFailure);
});
