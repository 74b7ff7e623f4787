// SPDX-License-Identifier: Apache-2.0
/**
 * SIGHUP reload of the VRRP worker (`lvsd run --vrrp-only`) on a two-node pair in network
 * namespaces: an unchanged config changes nothing (no state change, no VIP flap, no GARP, no
 * priority-0 advert); an added VIP is added and GARPed by the master, which stays master; an
 * invalid config is logged with file:line:col and the worker keeps running as before; an added
 * instance starts and a removed one releases (priority-0 advert, VIP gone); `lvsd status
 * --run-dir DIR` reads the instance states over `vrrp.sock`.
 * Needs root (namespaces, raw sockets); CI runs as root. Namespaces use a unique prefix and are
 * deleted in teardown even on failure.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import {
  createLab,
  repoRoot,
  sleep,
  sniff,
  startLvsd,
  waitFor,
  type Daemon,
  type LabNode,
} from '../harness.js';
import { vrrpConf, type InstanceConf } from './conf.js';

const run = promisify(execFile);

interface InstanceView {
  name: string;
  state: string;
  transitions: number;
}

/** The parts of an instance that a reload must not change (counters do change). */
async function view(d: Daemon): Promise<InstanceView | undefined> {
  const s = await d.stats();
  const i = (s.instances as unknown as InstanceView[]).find((x) => x.name === 'VI_1');
  return i && { name: i.name, state: i.state, transitions: i.transitions };
}

/** Count of lines in the daemon's output matching `re`. */
function count(d: Daemon, re: RegExp): number {
  return d
    .output()
    .split('\n')
    .filter((l) => re.test(l)).length;
}

/** Send SIGHUP and wait until the worker logged the outcome of that reload. */
async function hup(d: Daemon, outcome: RegExp): Promise<void> {
  const before = count(d, outcome);
  d.kill('SIGHUP');
  await waitFor('reload handled', () => count(d, outcome) > before, 10_000);
}

test('SIGHUP: unchanged config is a no-op; an added VIP is added and GARPed by the master; an invalid config is rejected; instances added and removed', async (t) => {
  const l = await createLab(2);
  t.teardown(() => l.destroy());
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip1 = `10.${l.net}.0.100`;
  const vip2 = `10.${l.net}.0.101`;
  const conf = (n: LabNode, p: number, vips: string[]): string => {
    const i: InstanceConf = { priority: p, version: 3, advertInt: 0.1, vips: vips.map((v) => `${v}/32`) };
    return vrrpConf(n, [i]);
  };
  const d1 = startLvsd(l, n1, conf(n1, 150, [vip1]));
  const d2 = startLvsd(l, n2, conf(n2, 100, [vip1]));
  const file1 = join(d1.runDir, 'lvsd.conf');
  const file2 = join(d2.runDir, 'lvsd.conf');
  await waitFor('n1 holds the VIP', () => l.hasAddress(n1, vip1), 10_000);
  await waitFor('n2 is backup', async () => (await view(d2))?.state === 'backup', 5000);
  const m0 = await view(d1);
  const b0 = await view(d2);
  t.is(m0?.state, 'master');
  const sn = await sniff(l);
  t.teardown(() => sn.stop());

  // 1. unchanged config (a comment added): nothing happens on the wire or in the states
  let since = Date.now();
  writeFileSync(file1, `# reloaded\n${conf(n1, 150, [vip1])}`);
  await hup(d1, /reload applied/);
  await hup(d2, /reload applied/);
  await sleep(300);
  t.deepEqual(await view(d1), m0, 'master: same state, no transition');
  t.deepEqual(await view(d2), b0, 'backup: same state, no transition');
  t.true(await l.hasAddress(n1, vip1));
  t.false(
    sn.frames.some((f) => f.kind === 'arp' && f.ts >= since - 20),
    'no GARP on an unchanged reload',
  );
  t.false(
    sn.frames.some((f) => f.kind === 'vrrp4' && f.priority === 0 && f.ts >= since - 20),
    'no priority-0 advert',
  );

  // 2. a VIP added on both nodes: the master adds it and GARPs only it, and stays master
  since = Date.now();
  writeFileSync(file1, conf(n1, 150, [vip1, vip2]));
  writeFileSync(file2, conf(n2, 100, [vip1, vip2]));
  await hup(d1, /reload applied/);
  await hup(d2, /reload applied/);
  await waitFor('n1 holds the new VIP', () => l.hasAddress(n1, vip2), 5000);
  const garp = await waitFor('GARP for the new VIP', () =>
    sn.frames.find((f) => f.kind === 'arp' && f.srcMac === n1.mac && f.target === vip2 && f.ts >= since - 20),
  );
  t.truthy(garp);
  await sleep(300);
  t.false(
    sn.frames.some((f) => f.kind === 'arp' && f.target === vip1 && f.ts >= since - 20),
    'no GARP for the VIP that was already held',
  );
  t.false(
    sn.frames.some((f) => f.kind === 'vrrp4' && f.priority === 0 && f.ts >= since - 20),
    'no priority-0 advert',
  );
  t.true(await l.hasAddress(n1, vip1), 'the old VIP did not flap away');
  t.deepEqual(await view(d1), m0, 'still master, no transition');
  t.deepEqual(await view(d2), b0, 'still backup, no transition');
  t.false(await l.hasAddress(n2, vip2));

  // 3. an invalid config: logged with file:line:col, the worker keeps running unchanged
  writeFileSync(file1, conf(n1, 150, [vip1, vip2]).replace('priority 150', 'priority banana'));
  await hup(d1, /reload: configuration invalid/);
  t.regex(d1.output(), /lvsd\.conf:\d+:\d+: error/);
  t.is(d1.proc.exitCode, null, 'still running');
  t.deepEqual(await view(d1), m0);
  t.true(await l.hasAddress(n1, vip1));
  t.true(await l.hasAddress(n1, vip2));

  // 4. an instance added, then removed: it starts (and becomes master alone), then releases with a
  // priority-0 advert and its VIP goes; VI_1 is untouched throughout
  const vip3 = `10.${l.net}.0.102`;
  const two = (withSecond: boolean): string =>
    vrrpConf(n1, [
      { priority: 150, version: 3, advertInt: 0.1, vips: [`${vip1}/32`, `${vip2}/32`] },
      ...(withSecond
        ? [{ vrid: 52, priority: 100, version: 3 as const, advertInt: 0.1, vips: [`${vip3}/32`] }]
        : []),
    ]);
  writeFileSync(file1, two(true));
  await hup(d1, /reload applied/);
  await waitFor('n1 holds the added instance VIP', () => l.hasAddress(n1, vip3), 5000);
  since = Date.now();
  writeFileSync(file1, two(false));
  await hup(d1, /reload applied/);
  await waitFor('the removed instance VIP is released', async () => !(await l.hasAddress(n1, vip3)), 5000);
  const prio0 = await waitFor('priority-0 advert for VRID 52', () =>
    sn.frames.find((f) => f.kind === 'vrrp4' && f.vrid === 52 && f.priority === 0 && f.ts >= since - 20),
  );
  t.truthy(prio0);
  t.false(
    sn.frames.some((f) => f.kind === 'vrrp4' && f.vrid === 51 && f.priority === 0),
    'VI_1 never released',
  );
  t.deepEqual(await view(d1), m0, 'VI_1 still master, no transition');
  t.true(await l.hasAddress(n1, vip1));

  // 5. `lvsd status --run-dir DIR` reads the states over vrrp.sock (the LVS part is absent here)
  const st = await run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'status',
    '--json',
    '--run-dir',
    d1.runDir,
  ]);
  const out = JSON.parse(st.stdout) as {
    vrrp: { instances?: { name: string; state: string; vipsHeld: string[] }[] };
  };
  const vi = out.vrrp.instances?.find((i) => i.name === 'VI_1');
  t.is(vi?.state, 'master');
  t.is(vi?.vipsHeld.length, 2);
  const st2 = await run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'status',
    '--json',
    '--run-dir',
    d2.runDir,
  ]);
  t.regex(st2.stdout, /"state": "backup"/);

  d1.kill('SIGTERM');
  d2.kill('SIGTERM');
  t.is(await d1.exited(), 0);
  t.is(await d2.exited(), 0);
});
