// SPDX-License-Identifier: Apache-2.0
/**
 * `fwmark` and `bind_if` of TCP_CHECK on the real kernel: config text → check spec → probe target →
 * the native engine's SO_MARK / SO_BINDTODEVICE, probing through namespaces built so that only
 * the option makes the probe reach the listener. Needs root (namespaces); CI runs as root.
 *
 *   director ──<p>a── realA   (10.N.1.0/24; realA refuses: the real addresses on lo, no listener)
 *            ──<p>b── realB   (10.N.2.0/24; realB listens on the real addresses)
 *
 * fwmark: 10.N.9.1 is `unreachable` in the director's main table; `ip rule fwmark 7` selects
 * table 100, which routes it via <p>b. bind_if: 10.N.8.1 is routed via <p>a (metric 10) and via
 * <p>b (metric 20). Traffic stays inside the lab's namespaces.
 */
import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { probeTarget, type ProbeTarget } from '../../../src/check/probe.js';
import type { ProbeResult } from '../../../src/check/result.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import { createLab, type Lab } from '../harness.js';

const child = fileURLToPath(new URL('./probe-options-child.js', import.meta.url));
const port = 8080;

let lab: Lab;
let dir = '';
let ifA = '';
let ifB = '';
let markAddr = '';
let ifAddr = '';
let listener: ChildProcess | undefined;

test.before(async () => {
  lab = await createLab(3);
  const [d, a, b] = lab.nodes.map((n) => n.ns);
  if (!d || !a || !b) throw new Error('lab has no nodes');
  dir = d;
  const n = lab.net;
  ifA = `${lab.prefix}a`;
  ifB = `${lab.prefix}b`;
  markAddr = `10.${n}.9.1`;
  ifAddr = `10.${n}.8.1`;
  const ip = (ns: string, ...args: string[]) => lab.exec(ns, ['ip', ...args]);
  for (const [peer, ifname, sub] of [
    [a, ifA, 1],
    [b, ifB, 2],
  ] as const) {
    await ip(dir, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', peer);
    await ip(dir, 'addr', 'add', `10.${n}.${sub}.1/24`, 'dev', ifname);
    await ip(dir, 'link', 'set', ifname, 'up');
    await ip(peer, 'addr', 'add', `10.${n}.${sub}.2/24`, 'dev', 'eth1');
    await ip(peer, 'link', 'set', 'eth1', 'up');
  }
  // replies come back on the "wrong" interface for the main table: no reverse-path filter
  for (const k of ['all', 'default', ifA, ifB])
    await lab.exec(dir, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
  await ip(dir, 'route', 'add', 'unreachable', `${markAddr}/32`);
  await ip(dir, 'route', 'add', `${markAddr}/32`, 'via', `10.${n}.2.2`, 'dev', ifB, 'table', '100');
  await ip(dir, 'rule', 'add', 'fwmark', '7', 'table', '100', 'priority', '100');
  await ip(dir, 'route', 'add', `${ifAddr}/32`, 'via', `10.${n}.1.2`, 'dev', ifA, 'metric', '10');
  await ip(dir, 'route', 'add', `${ifAddr}/32`, 'via', `10.${n}.2.2`, 'dev', ifB, 'metric', '20');
  await ip(a, 'addr', 'add', `${ifAddr}/32`, 'dev', 'lo');
  await ip(b, 'addr', 'add', `${ifAddr}/32`, 'dev', 'lo');
  await ip(b, 'addr', 'add', `${markAddr}/32`, 'dev', 'lo');
  const l = lab.spawn(b, [
    process.execPath,
    '-e',
    `require('node:net').createServer((s) => s.destroy()).listen(${port}, '0.0.0.0', () => console.log('ready'))`,
  ]);
  listener = l;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('listener did not start')), 10_000);
    l.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    l.once('exit', (code) => reject(new Error(`listener exited ${code}`)));
  });
});

test.after.always(async () => {
  listener?.kill('SIGKILL');
  await lab?.destroy();
});

/** The probe target of the TCP_CHECK in `options` for a real at `addr`, through the config layer. */
function targetFromConfig(addr: string, options: string): ProbeTarget {
  const text = `virtual_server 192.0.2.10 80 {\n  real_server ${addr} ${port} {\n    TCP_CHECK {\n${options}    }\n  }\n}\n`;
  const { model, diagnostics } = parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {} });
  if (!model) throw new Error(diagnostics.map((d) => d.message).join('; '));
  const rs = checkSpecFromModel(model).virtualServers[0]?.reals[0];
  const c = rs?.checkers[0];
  if (!rs || !c) throw new Error('no checker');
  return probeTarget(rs, c);
}

/** First result of each target, probed by the native engine inside the director namespace. */
async function probe(targets: ProbeTarget[]): Promise<ProbeResult[]> {
  const arg = JSON.stringify(targets.map((target, id) => ({ id, target })));
  const r = await lab.exec(dir, [process.execPath, child, arg]);
  const got = JSON.parse(r.stdout) as Record<string, ProbeResult>;
  return targets.map((_, id) => got[id] ?? { ok: false, reason: 'no result' });
}

test('fwmark: only the marked probe is routed (by ip rule) to the listener', async (t) => {
  const marked = targetFromConfig(markAddr, '      fwmark 7\n');
  t.is(marked.fwmark, 7);
  const [withMark, without, otherMark] = await probe([
    marked,
    targetFromConfig(markAddr, ''),
    targetFromConfig(markAddr, '      fwmark 8\n'),
  ]);
  t.deepEqual(withMark, { ok: true });
  t.deepEqual(without, { ok: false, reason: 'EHOSTUNREACH' });
  t.deepEqual(otherMark, { ok: false, reason: 'EHOSTUNREACH' });
});

test('bind_if: only the probe bound to the second veth reaches the listener', async (t) => {
  const bound = targetFromConfig(ifAddr, `      bind_if ${ifB}\n`);
  t.is(bound.bindIf, ifB);
  const [viaB, byDefault, viaA] = await probe([
    bound,
    targetFromConfig(ifAddr, ''),
    targetFromConfig(ifAddr, `      bind_if ${ifA}\n`),
  ]);
  t.deepEqual(viaB, { ok: true });
  t.deepEqual(byDefault, { ok: false, reason: 'ECONNREFUSED' });
  t.deepEqual(viaA, { ok: false, reason: 'ECONNREFUSED' });
});

test('bind_if naming a missing interface fails the probe with ENODEV', async (t) => {
  const [r] = await probe([targetFromConfig(ifAddr, '      bind_if lvsdnosuchif0\n')]);
  t.deepEqual(r, { ok: false, reason: 'ENODEV' });
});
