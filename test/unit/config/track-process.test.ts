// SPDX-License-Identifier: Apache-2.0
// `vrrp_track_process` and `track_process`: parsing, keepalived's defaults, located errors, and the
// trackers an instance gets from them (src/vrrp/config.ts).
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import { trackersFromModel } from '../../../src/vrrp/config.js';

function parse(text: string) {
  return parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient: false });
}

/** An instance (priority `prio`) with `track` inside its track_process block. */
const inst = (track: string, prio = 100, name = 'VI_1', vrid = 9): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${prio}\n` +
  `  track_process {\n${track}\n  }\n  virtual_ipaddress {\n    10.9.9.${vrid}\n  }\n}\n`;

const msgs = (r: ReturnType<typeof parse>) =>
  r.diagnostics.map((d) => `${d.severity} ${d.line}:${d.col} ${d.message}`);

test('every keyword, and an instance with references overriding weight and reverse', (t) => {
  const r = parse(
    [
      'vrrp_track_process haproxy {',
      '  process /usr/sbin/haproxy -f "/etc/haproxy/a b.cfg"',
      '  param_match initial',
      '  weight -30 reverse',
      '  quorum 2',
      '  quorum_max 4',
      '  delay 2',
      '  fork_delay 0.5',
      '}',
      'vrrp_track_process sshd {',
      '  process sshd',
      '}',
      inst('    haproxy\n    sshd weight 20\n    haproxy weight 10 noreverse'),
    ].join('\n'),
  );
  t.deepEqual(msgs(r), ['warning 20:5 `track_process`: haproxy is already tracked here; ignored']);
  const [hp, ssh] = r.model?.trackProcesses ?? [];
  t.like(hp, {
    name: 'haproxy',
    process: '/usr/sbin/haproxy',
    params: ['-f', '/etc/haproxy/a b.cfg'],
    paramMatch: 'initial',
    fullCommand: true,
    weight: -30,
    weightReverse: true,
    quorum: 2,
    quorumMax: 4,
    forkDelayMs: 500,
    terminateDelayMs: 2000,
  });
  t.deepEqual(
    { ...ssh, loc: undefined },
    {
      name: 'sshd',
      process: 'sshd',
      params: [],
      fullCommand: false,
      weight: 0,
      weightReverse: false,
      quorum: 1,
      forkDelayMs: 0,
      terminateDelayMs: 0,
      loc: undefined,
    },
    'keepalived defaults: quorum 1, quorum_max unlimited, weight 0, no delays, the comm',
  );
  const i = r.model?.vrrpInstances[0];
  t.deepEqual(
    i?.trackProcesses.map((x) => [x.name, x.weight, x.reverse]),
    [
      ['haproxy', undefined, undefined],
      ['sshd', 20, undefined],
    ],
  );
  if (!i || !r.model) return t.fail();
  t.deepEqual(trackersFromModel(i, r.model), [
    { kind: 'process', name: 'haproxy', weight: -30, reverse: true },
    { kind: 'process', name: 'sshd', weight: 20, reverse: false },
  ]);
});

test('parameters imply an exact match on the command line; param_match alone means "no parameters"', (t) => {
  const r = parse(
    'vrrp_track_process a {\n  process nginx -g x\n}\nvrrp_track_process b {\n  process nginx\n  param_match\n}\n' +
      'vrrp_track_process c {\n  process nginx\n  full_command\n  param_match partial\n}\n',
  );
  t.deepEqual(msgs(r), []);
  t.deepEqual(
    r.model?.trackProcesses.map((p) => [p.name, p.paramMatch, p.fullCommand, p.params]),
    [
      ['a', 'exact', true, ['-g', 'x']],
      ['b', 'exact', true, []],
      ['c', 'partial', true, []],
    ],
  );
});

test('quorum_max 0 means none may run (quorum 0); delays are at least 1 ms; the global buffer keywords', (t) => {
  const r = parse(
    'global_defs {\n  process_monitor_rcv_bufs 500000\n  process_monitor_rcv_bufs_force\n}\n' +
      'vrrp_track_process a {\n  process x\n  quorum_max 0\n  terminate_delay 0.0001\n}\n',
  );
  t.deepEqual(msgs(r), []);
  t.like(r.model?.trackProcesses[0], { quorum: 0, quorumMax: 0, forkDelayMs: 0, terminateDelayMs: 1 });
  t.deepEqual(r.model?.global.processMonitorRcvBufs, { bytes: 500000, force: true });
});

const errorRows: Array<{ name: string; text: string; want: string[] }> = [
  {
    name: 'no process',
    text: 'vrrp_track_process a {\n  weight 10\n}\n',
    want: ['error 1:1 vrrp_track_process `a` needs `process`'],
  },
  {
    name: 'quorum above quorum_max',
    text: 'vrrp_track_process a {\n  process x\n  quorum 3\n  quorum_max 2\n}\n',
    want: ['error 4:3 vrrp_track_process `a`: `quorum_max` 2 is less than `quorum` 3'],
  },
  {
    name: 'ranges and words',
    text:
      'vrrp_track_process a {\n  process x\n  weight 255\n  quorum 0\n  delay 3601\n  param_match all\n' +
      '  weight 1 backwards\n  process y\n}\n',
    want: [
      'error 3:10 `weight` must be a weight in -254..254 (got 255)',
      'error 4:10 `quorum` must be an integer in 1..65535 (got 0)',
      'error 5:9 `delay` must be a number of seconds in 0.000001..3600 (got 3601)',
      'error 6:15 `param_match` takes no value, initial or partial (got all)',
      'error 7:12 `weight` takes `reverse` after the value (got backwards)',
      'error 8:3 vrrp_track_process `a`: `process` is already set',
    ],
  },
  {
    name: 'a name longer than a comm never matches (warning)',
    text: 'vrrp_track_process a {\n  process a-very-long-name16\n}\n',
    want: [
      "warning 2:11 vrrp_track_process `a`: `a-very-long-name16` is longer than a process name can be (15 bytes), so it never matches; add `full_command` to match the command's first word",
    ],
  },
  {
    name: 'references: unknown name, bad weight, bad words',
    text:
      'vrrp_track_process a {\n  process x\n}\n' +
      inst('    nosuch\n    a weight -300\n    a weight\n    a wait 3\n    a weight 3 sideways'),
    want: [
      'error 9:5 `track_process`: no vrrp_track_process named `nosuch`',
      'error 10:14 `track_process weight` must be a weight in -254..254 (got -300)',
      'error 11:7 `track_process`: `weight` needs a value in -254..254',
      'error 12:7 `track_process`: expected `weight N [reverse|noreverse]` after a (got wait)',
      'warning 13:5 `track_process`: a is already tracked here; ignored',
      'error 13:16 `track_process`: expected reverse or noreverse after the weight (got sideways)',
    ],
  },
  {
    name: 'an address owner cannot track with a weight',
    text: 'vrrp_track_process a {\n  process x\n}\n' + inst('    a weight 5', 255),
    want: [
      'error 9:5 vrrp_instance `VI_1`: an address owner (priority 255) cannot track with a weight (got weight 5 for a)',
    ],
  },
  {
    name: 'duplicate vrrp_track_process; a top-level track_process is not a keyword',
    text: 'vrrp_track_process a {\n  process x\n}\nvrrp_track_process a {\n  process y\n}\ntrack_process {\n}\n',
    want: [
      'error 4:1 duplicate vrrp_track_process `a` (first defined at mem.conf:1:1)',
      'error 7:1 unknown keyword `track_process` in the top level',
    ],
  },
];
for (const row of errorRows) {
  test(`located findings: ${row.name}`, (t) => {
    t.deepEqual(msgs(parse(row.text)), row.want);
  });
}

test("sync groups: a member's weighted track_process is set to 0 with a warning; the group may track one", (t) => {
  const r = parse(
    'vrrp_track_process a {\n  process x\n  weight 10\n}\n' +
      inst('    a', 100, 'VI_1', 9) +
      inst('    a weight 0', 100, 'VI_2', 10) +
      'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  track_process {\n    a weight 0\n  }\n}\n',
  );
  t.deepEqual(msgs(r), [
    'warning 10:5 vrrp_instance `VI_1` is in vrrp_sync_group `G`: `track_process` a weight 10 is ignored (set to 0)',
  ]);
  t.is(r.model?.vrrpInstances[0]?.trackProcesses[0]?.weight, 0);
  t.deepEqual(
    r.model?.syncGroups[0]?.trackProcesses.map((x) => [x.name, x.weight]),
    [['a', 0]],
  );
});
