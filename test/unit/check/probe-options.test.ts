// SPDX-License-Identifier: Apache-2.0
/**
 * `fwmark` / `bind_if` of health checkers: config text → Model → check spec → probe target, and
 * the config rule that keeps them on TCP_CHECK (the only probe whose socket lvsd opens itself).
 */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { probeTarget } from '../../../src/check/probe.js';

function parse(text: string, lenient = false) {
  return parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient });
}

const vs = (checkers: string): string =>
  `virtual_server 192.0.2.10 80 {\n  real_server 10.0.0.1 80 {\n${checkers}  }\n}\n`;

test('TCP_CHECK fwmark and bind_if reach the check spec and the probe target', (t) => {
  const { model, diagnostics } = parse(
    vs('    TCP_CHECK {\n      fwmark 4294967295\n      bind_if veth1\n      connect_port 81\n    }\n'),
  );
  t.deepEqual(diagnostics, []);
  if (!model) return t.fail();
  const rs = checkSpecFromModel(model).virtualServers[0]?.reals[0];
  const c = rs?.checkers[0];
  if (!rs || !c) return t.fail();
  t.is(c.kind, 'tcp');
  t.is(c.fwmark, 4294967295);
  t.is(c.bindIf, 'veth1');
  t.deepEqual(probeTarget(rs, c), {
    host: '10.0.0.1',
    port: 81,
    family: 4,
    fwmark: 4294967295,
    bindIf: 'veth1',
  });
});

test('without the options the spec and target carry neither', (t) => {
  const { model } = parse(vs('    TCP_CHECK {\n    }\n'));
  if (!model) return t.fail();
  const rs = checkSpecFromModel(model).virtualServers[0]?.reals[0];
  const c = rs?.checkers[0];
  if (!rs || !c) return t.fail();
  t.false('fwmark' in c);
  t.false('bindIf' in c);
  t.deepEqual(probeTarget(rs, c), { host: '10.0.0.1', port: 80, family: 4 });
});

test('fwmark out of range is an error', (t) => {
  const { model, diagnostics } = parse(vs('    TCP_CHECK {\n      fwmark 0\n    }\n'));
  t.is(model, undefined);
  t.is(diagnostics[0]?.keyword, 'fwmark');
});

for (const [type, body, why] of [
  ['HTTP_GET', '      url {\n        path /\n      }\n', 'Node sockets'],
  ['SSL_GET', '      url {\n        path /\n      }\n', 'Node sockets'],
  ['DNS_CHECK', '', 'Node sockets'],
  ['UDP_CHECK', '', 'Node sockets'],
  ['MISC_CHECK', '      misc_path /bin/true\n', 'opens no socket'],
] as const) {
  test(`${type}: fwmark and bind_if are located errors naming TCP_CHECK`, (t) => {
    const text = vs(`    ${type} {\n${body}      fwmark 5\n      bind_if eth0\n    }\n`);
    const { model, diagnostics } = parse(text);
    t.is(model, undefined);
    // at the keywords themselves (file:line:column), after the checker's own body lines
    const at = 4 + body.split('\n').length - 1;
    t.deepEqual(
      diagnostics.map((d) => [d.severity, d.line, d.col, d.keyword]),
      [
        ['error', at, 7, 'fwmark'],
        ['error', at + 1, 7, 'bind_if'],
      ],
    );
    for (const d of diagnostics) {
      t.regex(d.message, new RegExp(`^\`${type}\`: \`(fwmark|bind_if)\` is supported on TCP_CHECK only`));
      t.true(d.message.includes(why), d.message);
    }
  });

  test(`${type}: with --lenient they are warnings and dropped from the model`, (t) => {
    const text = vs(`    ${type} {\n${body}      fwmark 5\n      bind_if eth0\n    }\n`);
    const { model, diagnostics } = parse(text, true);
    t.deepEqual(
      diagnostics.map((d) => [d.severity, d.keyword]),
      [
        ['warning', 'fwmark'],
        ['warning', 'bind_if'],
      ],
    );
    t.true(diagnostics.every((d) => d.message.endsWith('; ignored')));
    if (!model) return t.fail();
    const ck = model.virtualServers[0]?.realServers[0]?.checkers[0];
    t.is(ck?.type, type);
    t.is(ck?.fwmark, undefined);
    t.is(ck?.bindIf, undefined);
    const c = checkSpecFromModel(model).virtualServers[0]?.reals[0]?.checkers[0];
    t.truthy(c);
    t.false(c !== undefined && 'fwmark' in c);
    t.false(c !== undefined && 'bindIf' in c);
  });
}

test('a programmatic Model with fwmark on a non-TCP checker does not carry it into the spec', (t) => {
  const { model } = parse(vs('    HTTP_GET {\n      url {\n        path /\n      }\n    }\n'));
  if (!model) return t.fail();
  const ck = model.virtualServers[0]?.realServers[0]?.checkers[0];
  if (!ck) return t.fail();
  ck.fwmark = 9;
  ck.bindIf = 'eth0';
  const c = checkSpecFromModel(model).virtualServers[0]?.reals[0]?.checkers[0];
  t.is(c?.kind, 'http');
  t.false(c !== undefined && 'fwmark' in c);
  t.false(c !== undefined && 'bindIf' in c);
});
