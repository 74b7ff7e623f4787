// SPDX-License-Identifier: Apache-2.0
// keepalived's process keywords in global_defs: vrrp_/checker_ priority, rt_priority, rlimit_rttime
// become the Model's ProcessSettings (src/daemon/process-schedule.ts applies them); *_no_swap is
// refused with its reason (V8 aborts under mlockall), a warning with --lenient.
import test from 'ava';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { parseConfigText } from '../../../src/config/load.io.js';

const conf = (lines: string[]): string =>
  `global_defs {\n${lines.map((l) => `  ${l}\n`).join('')}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 9\n  priority 100\n  virtual_ipaddress {\n    10.9.9.9\n  }\n}\n`;

const parse = (lines: string[], lenient = false) =>
  parseConfigText(conf(lines), 'mem.conf', { configId: 'lvs1', env: {}, lenient });
const errors = (lines: string[]): string =>
  parse(lines)
    .diagnostics.map((d) => formatDiagnostic(d))
    .join('\n');

test('the VRRP and checker settings are read apart', (t) => {
  const { model, diagnostics } = parse([
    'vrrp_priority -5',
    'vrrp_rt_priority 40',
    'vrrp_rlimit_rttime 250000',
    'checker_priority 10',
    'checker_rlimit_rtime 300000',
  ]);
  t.deepEqual(diagnostics, []);
  t.deepEqual(model?.global.vrrpProcess, { nice: -5, rtPriority: 40, rlimitRttimeUs: 250000 });
  t.deepEqual(model?.global.checkerProcess, { nice: 10, rlimitRttimeUs: 300000 });
});

test('without them the Model has no process settings', (t) => {
  const { model } = parse(['router_id a']);
  t.is(model?.global.vrrpProcess, undefined);
  t.is(model?.global.checkerProcess, undefined);
});

test('an RLIMIT_RTTIME of 1 µs counts as 2, as keepalived (its half must not be 0)', (t) => {
  t.deepEqual(parse(['vrrp_rlimit_rttime 1']).model?.global.vrrpProcess, { rlimitRttimeUs: 2 });
});

test('an RLIMIT_RTTIME below 100 ms is accepted with a located warning (keepalived’s 10 ms killed the worker)', (t) => {
  const { model, diagnostics } = parse(['vrrp_rlimit_rttime 10000']);
  t.deepEqual(model?.global.vrrpProcess, { rlimitRttimeUs: 10000 });
  t.deepEqual(
    diagnostics.map((d) => d.severity),
    ['warning'],
  );
  t.regex(
    formatDiagnostic(diagnostics[0]!),
    /mem\.conf:2:22: warning: .*vrrp_rlimit_rttime 10000.*kills it at the limit.*200000/,
  );
  t.deepEqual(parse(['checker_rlimit_rttime 100000']).diagnostics, [], 'from 100 ms on, nothing to say');
});

const bad: Array<[string, RegExp]> = [
  ['vrrp_priority -21', /mem\.conf:2:17: .*vrrp_priority.*-20\.\.19/],
  ['checker_priority 20', /mem\.conf:2:20: .*checker_priority.*-20\.\.19/],
  ['vrrp_rt_priority 0', /mem\.conf:2:20: .*vrrp_rt_priority.*1\.\.99/],
  ['vrrp_rt_priority 100', /mem\.conf:2:20: .*1\.\.99/],
  ['vrrp_rt_priority', /mem\.conf:2:3: .*vrrp_rt_priority.*needs/],
  ['vrrp_rlimit_rttime 0', /mem\.conf:2:22: .*vrrp_rlimit_rttime/],
  ['vrrp_rlimit_rttime ten', /mem\.conf:2:22: .*vrrp_rlimit_rttime/],
  ['vrrp_rt_priority 40 50', /unexpected `50`/],
  ['vrrp_no_swap', /mem\.conf:2:3: .*vrrp_no_swap.*cannot be carried out.*mlockall.*vrrp_rt_priority/],
  ['checker_no_swap', /mem\.conf:2:3: .*checker_no_swap.*cannot be carried out.*checker_rt_priority/],
];
for (const [line, want] of bad)
  test(`refused with its place: ${line}`, (t) => {
    t.is(parse([line]).model, undefined);
    t.regex(errors([line]), want);
  });

test('--lenient: *_no_swap is a warning and ignored, the rest still applies', (t) => {
  const { model, diagnostics } = parse(['vrrp_no_swap', 'vrrp_rt_priority 30'], true);
  t.deepEqual(model?.global.vrrpProcess, { rtPriority: 30 });
  t.deepEqual(
    diagnostics.map((d) => d.severity),
    ['warning'],
  );
  t.regex(diagnostics[0]?.message ?? '', /\(ignored\)/);
});

test('bfd_ keywords stay unsupported (lvsd has no BFD)', (t) => {
  t.regex(errors(['bfd_rt_priority 40']), /bfd_rt_priority.*keepalived keyword that lvsd does not support/);
});
