// SPDX-License-Identifier: Apache-2.0
/**
 * The whole daemon (`lvsd run`) failing safe, in network namespaces next to a real keepalived peer:
 * SIGKILL of the supervisor alone (its VRRP worker hears it die and releases, the peer takes over in
 * skew time, no lvsd process is left); a second `lvsd run` on the same run directory (refused at
 * once, the first keeps the VIP and answers `lvsd status`); SIGUSR1/SIGUSR2 to every lvsd process
 * (dumps written, no inspector socket, the VIP held); the run directory's and model.json's modes; a
 * run directory others can write, a symlink at the dump path, a regular file at the FIFO path; 100
 * timed-out vrrp_script runs; the boot order (the VRRP worker forked before the validation, none left
 * by an invalid file).
 * Needs root (namespaces, raw sockets); CI runs as root. Namespaces use a unique prefix and are
 * deleted in teardown even on failure.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { repoRoot, sniff, startKeepalived, waitFor, type Lab } from '../harness.js';
import { processesWith, startLvsdRun } from '../supervised.js';
import { type VipPair, vipPair, vrrpConf } from '../vrrp/conf.js';

const run = promisify(execFile);

/** A process that exists and is not a zombie (an orphan's exit is reaped by whoever adopts it). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

const pair = (): Promise<VipPair> => vipPair(labs, 0.1);

test('SIGKILL of the supervisor alone: its VRRP worker releases at once, the keepalived peer takes over in skew time; no lvsd process is left', async (t) => {
  const { l, n1, n2, vip, conf } = await pair();
  const d = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const ka = startKeepalived(l, n2, conf(n2, 100));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  const worker = await d.workerPid('vrrp');
  const sn = await sniff(l);
  t.teardown(() => sn.stop());
  await new Promise((r) => setTimeout(r, 500));
  const killedAt = Date.now();
  d.proc.kill('SIGKILL');
  const release = await waitFor('priority-0 advert from lvsd', () =>
    sn.frames.find((f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.priority === 0 && f.ts >= killedAt),
  );
  const takeover = await waitFor('keepalived advertises as master', () =>
    sn.frames.find(
      (f) => f.kind === 'vrrp4' && f.srcMac === n2.mac && f.priority === 100 && f.ts >= killedAt,
    ),
  );
  // skew time of priority 100 at 0.1 s adverts: (256 - 100) / 256 × 100 ms ≈ 61 ms
  t.log(
    `priority-0 advert ${release.ts - killedAt} ms, keepalived master ${takeover.ts - killedAt} ms after the SIGKILL`,
  );
  // Master_Down_Interval is 361 ms: a takeover well under it shows keepalived acted on the priority-0
  // advert, not on silence (not a timing benchmark: the margin is for a loaded machine).
  t.true(takeover.ts - killedAt < 300, 'the peer takes over well before Master_Down_Interval');
  await waitFor('keepalived holds the VIP', () => l.hasAddress(n2, vip), 2000);
  await waitFor('the VRRP worker is gone', () => processesWith(d.runDir).length === 0, 5000);
  t.false(await l.hasAddress(n1, vip), 'the released VIP is gone from lvsd');
  t.false(alive(worker), 'the worker exited');
});

test('a second lvsd run on the same run directory exits 1 at once; the first keeps the VIP and still answers lvsd status', async (t) => {
  const { l, n1, vip, conf } = await pair();
  const d = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const t0 = Date.now();
  const second = await l.exec(
    n1.ns,
    ['env', `LVSD_RUN_DIR=${d.runDir}`, process.execPath, join(repoRoot, 'bin', 'lvsd'), 'run', '-f', d.file],
    { allowFail: true },
  );
  const ms = Date.now() - t0;
  t.is(second.code, 1);
  t.regex(second.stderr, new RegExp(`another lvsd is running \\(pid ${d.proc.pid}\\)`));
  t.true(ms < 2000, `refused in ${ms} ms`);
  // a standalone VRRP worker on the same directory is refused too (the supervisor's worker holds it)
  const worker = await d.workerPid('vrrp');
  const third = await l.exec(
    n1.ns,
    [
      'env',
      `LVSD_RUN_DIR=${d.runDir}`,
      process.execPath,
      join(repoRoot, 'bin', 'lvsd'),
      'run',
      '--vrrp-only',
      '-f',
      d.file,
    ],
    { allowFail: true },
  );
  t.is(third.code, 1);
  t.regex(third.stderr, new RegExp(`another lvsd vrrp worker is running \\(pid ${worker}\\)`));
  t.true(await l.hasAddress(n1, vip));
  const status = await run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'status',
    '--run-dir',
    d.runDir,
  ]);
  t.regex(status.stdout, /VI_1\s+51\s+IPv4\s+MASTER/);
  t.true(existsSync(join(d.runDir, 'vrrp.sock')) && existsSync(join(d.runDir, 'vrrp.pid')));
});

/** When a process started, in ms since the epoch (to the kernel's 10 ms tick, rounded down). */
function startedAtMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return btime * 1000 + ticks * 10; // USER_HZ is 100 on Linux
}

test('boot order: the VRRP worker is forked before the config is validated and runs the validated model; an invalid file leaves no process behind', async (t) => {
  const { l, n1, vip, conf } = await pair();
  const d = startLvsdRun(l, n1, conf(n1, 150));
  t.teardown(() => d.proc.kill('SIGTERM'));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const worker = await d.workerPid('vrrp');
  t.regex(d.output(), new RegExp(`worker started worker=vrrp proc=supervisor pid=${worker} forked=early`));
  t.true(
    readFileSync(`/proc/${worker}/cmdline`, 'utf8')
      .split('\0')
      .join(' ')
      .includes(`--model ${join(d.runDir, 'model.vrrp.json')}`),
    'the worker reads (its view of) the model the supervisor validated',
  );
  const modelWritten = statSync(join(d.runDir, 'model.vrrp.json')).mtimeMs;
  t.true(
    startedAtMs(worker) <= modelWritten,
    `the worker started ${modelWritten - startedAtMs(worker)} ms before the model was written`,
  );
  d.proc.kill('SIGTERM');
  t.is(await d.exited(), 0);

  // invalid: refused with its location; the worker forked early is gone when lvsd run has exited
  const bad = startLvsdRun(l, n1, conf(n1, 150).replace('priority 150', 'priority banana'));
  t.is(await bad.exited(), 1);
  t.regex(bad.output(), /lvsd\.conf:\d+:\d+: error: `priority` must be an integer/);
  t.deepEqual(processesWith(bad.runDir), [], 'no lvsd process left');
  t.false(existsSync(join(bad.runDir, 'vrrp.pid')), 'no worker pid file left');
  t.false(await l.hasAddress(n1, vip));
});

test('SIGUSR1 and SIGUSR2 to every lvsd process: dumps written, no inspector socket, the VIP held; run directory 0700, model.json 0600', async (t) => {
  const { l, n1, vip, conf } = await pair();
  const d = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const worker = await d.workerPid('vrrp');
  const listening = async () => (await l.exec(n1.ns, ['ss', '-Hltn'])).stdout.trim();
  const before = await listening();
  const dump = join(d.runDir, 'vrrp-stats.json');
  for (const [pid, sig] of [
    [d.proc.pid ?? 0, 'SIGUSR1'],
    [d.proc.pid ?? 0, 'SIGUSR2'],
    [worker, 'SIGUSR1'],
    [worker, 'SIGUSR2'],
  ] as const) {
    const mtime = existsSync(dump) ? statSync(dump).mtimeMs : 0;
    process.kill(pid, sig);
    await waitFor(
      `dump after ${sig} to ${pid}`,
      () => existsSync(dump) && statSync(dump).mtimeMs > mtime,
      5000,
    );
  }
  t.is(await listening(), before, 'no new listening socket (no inspector on 9229)');
  t.true(await l.hasAddress(n1, vip));
  t.is(d.proc.exitCode, null, 'the supervisor runs');
  t.deepEqual(processesWith(d.runDir).length, 2, 'supervisor and VRRP worker, nothing restarted');
  t.is(statSync(d.runDir).mode & 0o777, 0o700);
  t.is(statSync(join(d.runDir, 'model.json')).mode & 0o777, 0o600);
  t.is(statSync(join(d.runDir, 'model.vrrp.json')).mode & 0o777, 0o600);
});

test('files: a run directory others can write is refused; a symlink planted at the dump path is replaced, never written through; a regular file at the notify FIFO path is left untouched', async (t) => {
  const { l, n1, vip, conf } = await pair();
  // a world-writable run directory: refused at once with the reason
  const open = join(l.dir, 'open-run');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const refused = await l.exec(
    n1.ns,
    [
      'env',
      `LVSD_RUN_DIR=${open}`,
      process.execPath,
      join(repoRoot, 'bin', 'lvsd'),
      'run',
      '-f',
      '/nonexistent.conf',
    ],
    { allowFail: true },
  );
  t.is(refused.code, 1);
  t.regex(refused.stderr, /refusing .*open-run: .* is writable by group or others \(mode 777\)/);

  // a regular file where the notify FIFO should be, and a symlink planted at the dump path
  const notFifo = join(l.dir, 'not-a-fifo');
  writeFileSync(notFifo, 'precious\n');
  const target = join(l.dir, 'target');
  writeFileSync(target, 'precious\n');
  const d = startLvsdRun(
    l,
    n1,
    conf(n1, 150).replace('global_defs {', `global_defs {\n  vrrp_notify_fifo ${notFifo}`),
  );
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const worker = await d.workerPid('vrrp');
  const dump = join(d.runDir, 'vrrp-stats.json');
  rmSync(dump, { force: true });
  symlinkSync(target, dump);
  process.kill(worker, 'SIGUSR1');
  await waitFor('dump written', () => existsSync(dump) && !lstatSync(dump).isSymbolicLink(), 5000);
  t.is(readFileSync(target, 'utf8'), 'precious\n', 'the symlink target was not written');
  t.regex(readFileSync(dump, 'utf8'), /"instances"/);
  t.is(readFileSync(notFifo, 'utf8'), 'precious\n', 'the regular file at the FIFO path is untouched');
  t.regex(d.output(), /notify FIFO not used.*regular file is at the path, not a FIFO/);
});

test('100 timed-out vrrp_script runs under lvsd run leave no process behind', async (t) => {
  const { l, n1, vip } = await pair();
  const marker = '30.0123';
  const scripts = Array.from(
    { length: 100 },
    (_, i) =>
      `vrrp_script chk${i} {\n  script "/bin/sh -c 'sleep ${marker} & sleep ${marker}'"\n  interval 60\n  timeout 1\n}\n`,
  ).join('');
  const tracked = Array.from({ length: 100 }, (_, i) => `chk${i} weight 0`).join('\n    ');
  const conf =
    scripts +
    vrrpConf(n1, [
      {
        priority: 100,
        version: 3,
        advertInt: 0.1,
        vips: [`${vip}/32`],
        extra: [`track_script {\n    ${tracked}\n  }`],
      },
    ]);
  const d = startLvsdRun(l, n1, conf);
  await waitFor('the scripts started', () => processesWith(marker).length >= 100, 20_000);
  await waitFor('every run timed out and was killed', () => processesWith(marker).length === 0, 20_000);
  const s = JSON.parse(
    (await run(process.execPath, [join(repoRoot, 'bin', 'lvsd'), 'status', '--json', '--run-dir', d.runDir]))
      .stdout,
  ) as { vrrp: { instances: Array<{ state: string }> } };
  t.is(s.vrrp.instances[0]?.state, 'fault', 'weight-0 scripts that failed hold the instance in FAULT');
  t.deepEqual(processesWith(marker), []);
  d.proc.kill('SIGTERM');
  t.is(await d.exited(), 0);
});
