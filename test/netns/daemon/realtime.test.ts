// SPDX-License-Identifier: Apache-2.0
/**
 * Realtime VRRP on the real kernel (src/daemon/process-schedule.ts): `lvsd run --realtime` under the
 * systemd unit's own privileges (its CapabilityBoundingSet, LimitRTPRIO and LimitNICE, read from
 * systemd/lvsd.service and applied with setpriv and prlimit) gives the VRRP worker SCHED_RR 40, its
 * vrrp_priority nice and RLIMIT_RTTIME, and nothing to the supervisor and the LVS worker; a reload
 * changes them in place; a limit the kernel will not raise is reported and the worker goes on; a
 * SIGXCPU is counted. Without the unit's limits the kernel refuses SCHED_RR: the worker says so and
 * still holds its VIP. Needs root (namespaces, raw sockets); CI runs as root.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { createLab, repoRoot, waitFor, type Lab, type LabNode } from '../harness.js';
import { startLvsdRun, type Supervised } from '../supervised.js';
import { vrrpConf } from '../vrrp/conf.js';

const run = promisify(execFile);
const labs: Lab[] = [];
const daemons: Supervised[] = [];
test.after.always(async () => {
  for (const d of daemons) if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
  for (const l of labs) await l.destroy();
});

/** Whether this machine lets root raise RLIMIT_RTPRIO (a container without CAP_SYS_RESOURCE does not). */
const canRaiseLimits = spawnSync('prlimit', ['--rtprio=1', '--', 'true']).status === 0;

/**
 * The unit's privileges as a command prefix: its capability bounding set and its limits. Where the
 * limits cannot be raised (this test's container lacks CAP_SYS_RESOURCE, which systemd has),
 * CAP_SYS_NICE stands in for LimitRTPRIO and LimitNICE: the kernel allows the same calls for either.
 */
function unitPrivileges(limits: boolean): string[] {
  const unit = readFileSync(join(repoRoot, 'systemd', 'lvsd.service'), 'utf8');
  const value = (k: string): string => new RegExp(`^${k}=(.*)$`, 'm').exec(unit)?.[1]?.trim() ?? '';
  const caps = value('CapabilityBoundingSet')
    .split(/\s+/)
    .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
  // the limits first, as systemd sets them: raising one needs the CAP_SYS_RESOURCE the unit drops
  const drop = (extra: string[] = []) => [
    'setpriv',
    `--bounding-set=-all,${[...caps, ...extra].join(',')}`,
    '--',
  ];
  if (!limits) return ['prlimit', '--rtprio=0', '--nice=0', '--', ...drop()];
  if (!canRaiseLimits) return drop(['+sys_nice']);
  // systemd's LimitNICE=-20 is RLIMIT_NICE 40 (20 - nice)
  const nice = 20 - Number(value('LimitNICE'));
  return ['prlimit', `--rtprio=${value('LimitRTPRIO')}`, `--nice=${nice}`, '--', ...drop()];
}

/** policy (0 SCHED_OTHER, 2 SCHED_RR), rt_priority and nice of a process, from /proc/PID/stat. */
function sched(pid: number): { policy: number; rtPriority: number; nice: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { nice: Number(f[16]), rtPriority: Number(f[37]), policy: Number(f[38]) };
}

/** RLIMIT_RTTIME of a process, soft and hard (µs). */
function rttime(pid: number): [string, string] {
  const m = /^Max realtime timeout\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return [m?.[1] ?? '?', m?.[2] ?? '?'];
}

async function vrrpStatus(d: Supervised): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'status',
    '--json',
    '--run-dir',
    d.runDir,
  ]);
  return (JSON.parse(stdout) as { vrrp: { process: Record<string, unknown> } }).vrrp.process;
}

async function lab(): Promise<{ l: Lab; n1: LabNode; vip: string; conf: (globals: string[]) => string }> {
  const l = await createLab(1);
  labs.push(l);
  const [n1] = l.nodes as [LabNode];
  const vip = `10.${l.net}.0.100`;
  const conf = (globals: string[]) =>
    vrrpConf(n1, [{ priority: 150, version: 3, advertInt: 0.1, vips: [`${vip}/32`] }], globals);
  return { l, n1, vip, conf };
}

async function reload(d: Supervised): Promise<void> {
  await run(process.execPath, [join(repoRoot, 'bin', 'lvsd'), 'reload', '--run-dir', d.runDir]);
}

test('--realtime under the unit’s privileges: SCHED_RR 40 for the VRRP worker alone, changed by reloads in place', async (t) => {
  const { l, n1, vip, conf } = await lab();
  const d = startLvsdRun(
    l,
    n1,
    conf(['vrrp_priority -5']),
    {},
    undefined,
    ['--realtime'],
    unitPrivileges(true),
  );
  daemons.push(d);
  await waitFor('VIP', () => l.hasAddress(n1, vip), 15_000);
  const pid = await d.workerPid('vrrp');
  await waitFor('realtime', () => sched(pid).policy === 2, 5000).catch(() => undefined);
  t.deepEqual(sched(pid), { policy: 2, rtPriority: 40, nice: -5 }, d.output());
  t.deepEqual(rttime(pid), ['100000', '200000'], 'SIGXCPU at half, killed at the whole');
  // `ip netns exec`, setpriv and prlimit each exec the next: the spawned pid is the supervisor's
  t.like(sched(d.proc.pid ?? 0), { policy: 0, nice: 0 }, 'the supervisor runs as it was started');
  t.like(await vrrpStatus(d), {
    policy: 'SCHED_RR',
    rtPriority: 40,
    nice: -5,
    rlimitRttimeUs: 200000,
    refused: [],
  });

  // a reload changes the priority and lowers the limit, in the same process
  writeFileSync(d.file, conf(['vrrp_rt_priority 60', 'vrrp_rlimit_rttime 100000']));
  await reload(d);
  t.deepEqual(sched(pid), { policy: 2, rtPriority: 60, nice: 0 });
  t.deepEqual(rttime(pid), ['50000', '100000']);
  t.is(await d.workerPid('vrrp'), pid);

  // raising a hard limit needs CAP_SYS_RESOURCE, which the unit does not give: reported, kept running
  writeFileSync(d.file, conf(['vrrp_rlimit_rttime 300000']));
  await reload(d);
  t.deepEqual(rttime(pid), ['50000', '100000']);
  const st = await vrrpStatus(d);
  t.like(st, { policy: 'SCHED_RR', rtPriority: 40, rlimitRttimeUs: 100000 });
  t.regex(JSON.stringify(st['refused']), /setrlimit\(RLIMIT_RTTIME, 300000 us\): .*not permitted/);
  t.regex(d.output(), /vrrp worker's scheduling: refused/);

  // SIGXCPU (the kernel's at half the limit) is counted and logged, the soft limit put back
  process.kill(pid, 'SIGXCPU');
  await waitFor('overrun counted', async () => (await vrrpStatus(d))['overruns'] === 1, 5000);
  t.regex(d.output(), /vrrp_rlimit_rttime may need to be increased/);
  t.true(await l.hasAddress(n1, vip));

  // --no-realtime after it (LVSD_OPTS in the unit) wins
  d.proc.kill('SIGTERM');
  t.is(await d.exited(), 0);
});

test('without the unit’s limits the kernel refuses SCHED_RR: said once, and the worker holds its VIP', async (t) => {
  const { l, n1, vip, conf } = await lab();
  const d = startLvsdRun(l, n1, conf([]), {}, undefined, ['--realtime'], unitPrivileges(false));
  daemons.push(d);
  await waitFor('VIP', () => l.hasAddress(n1, vip), 15_000);
  const pid = await d.workerPid('vrrp');
  t.like(sched(pid), { policy: 0 });
  const st = await vrrpStatus(d);
  t.like(st, { policy: 'SCHED_OTHER' });
  t.regex(JSON.stringify(st['refused']), /sched_setscheduler\(SCHED_RR, 40\): .*not permitted/);
  d.proc.kill('SIGTERM');
  t.is(await d.exited(), 0);
});

test('--no-realtime after --realtime: the VRRP worker runs as keepalived’s would without vrrp_rt_priority', async (t) => {
  const { l, n1, vip, conf } = await lab();
  const d = startLvsdRun(
    l,
    n1,
    conf([]),
    {},
    undefined,
    ['--realtime', '--no-realtime'],
    unitPrivileges(true),
  );
  daemons.push(d);
  await waitFor('VIP', () => l.hasAddress(n1, vip), 15_000);
  const pid = await d.workerPid('vrrp');
  t.like(sched(pid), { policy: 0, nice: 0 });
  t.deepEqual(rttime(pid), ['unlimited', 'unlimited']);
  d.proc.kill('SIGTERM');
  t.is(await d.exited(), 0);
});
