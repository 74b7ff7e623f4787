// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run` under a systemd stand-in (a real NOTIFY_SOCKET listener, WATCHDOG_USEC set), in a
 * network namespace: READY once the workers run, STATUS with the instance states, RELOADING +
 * MONOTONIC_USEC then READY around a reload, `lvsd reload` waiting for the outcome (exit 0 on a good
 * file; exit 1 with the located diagnostics on a bad one, the running configuration unchanged),
 * WATCHDOG pings that stop while the VRRP worker is SIGSTOPped, STOPPING on SIGTERM, and a worker
 * crash loop that makes the supervisor exit non-zero. Also `systemd-analyze verify` of the unit.
 * Needs root (namespaces, raw sockets); CI runs as root.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { createLab, repoRoot, sleep, waitFor, type Lab, type LabNode } from '../harness.js';
import { notifyListener, startLvsdRun } from '../supervised.js';
import { vrrpConf } from '../vrrp/conf.js';

const run = promisify(execFile);
const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

const lvsd = (...args: string[]) => [process.execPath, join(repoRoot, 'bin', 'lvsd'), ...args];

test('sd_notify: READY, STATUS, RELOADING/READY, lvsd reload on a good and a bad file, WATCHDOG stops while a worker is stopped, STOPPING', async (t) => {
  const l = await createLab(1);
  labs.push(l);
  const [n1] = l.nodes as [LabNode];
  const vip = `10.${l.net}.0.100`;
  const conf = (p: number) =>
    vrrpConf(n1, [{ priority: p, version: 3, advertInt: 0.1, vips: [`${vip}/32`] }]);
  const sd = await notifyListener(l.dir);
  t.teardown(() => sd.stop());
  const d = startLvsdRun(l, n1, conf(150), { NOTIFY_SOCKET: sd.path, WATCHDOG_USEC: '300000' });
  const texts = () => sd.messages().map((m) => m.text);
  await waitFor('READY', () => texts().some((m) => m.includes('READY=1')), 15_000);
  await waitFor('VRRP status line', () => texts().some((m) => /STATUS=VRRP: VI_1 MASTER/.test(m)), 5000);
  await waitFor('watchdog pings', () => texts().filter((m) => m === 'WATCHDOG=1').length >= 3, 5000);

  // a good edit through `lvsd reload`: RELOADING with a timestamp, then READY; exit 0
  writeFileSync(d.file, conf(160));
  let from = sd.messages().length;
  const ok = await run(
    lvsd('reload', '--run-dir', d.runDir)[0] ?? '',
    lvsd('reload', '--run-dir', d.runDir).slice(1),
  );
  t.regex(ok.stdout, /worker vrrp: reloaded/);
  const around = texts().slice(from);
  const reloading = around.findIndex((m) => /RELOADING=1\|MONOTONIC_USEC=\d+/.test(m));
  t.true(reloading >= 0, around.join('\n'));
  t.true(around.slice(reloading + 1).some((m) => m.includes('READY=1')));

  // a bad edit: refused with the located error, exit 1; the running configuration stays
  writeFileSync(d.file, `${conf(170)}\nvrrp_instance BROKEN {\n  priority banana\n}\n`);
  from = sd.messages().length;
  const bad = await run(process.execPath, lvsd('reload', '--run-dir', d.runDir).slice(1)).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.is(bad?.code, 1);
  t.regex(bad?.stderr ?? '', /lvsd\.conf:\d+:\d+: error: .*priority/);
  t.true(
    texts()
      .slice(from)
      .some((m) => /READY=1\|STATUS=reload failed/.test(m)),
  );
  t.true(await l.hasAddress(n1, vip));

  // the watchdog is fed only while the VRRP worker answers
  const worker = await d.workerPid('vrrp');
  process.kill(worker, 'SIGSTOP');
  await sleep(300);
  const stoppedAt = Date.now();
  await sleep(1000);
  const during = sd.messages().filter((m) => m.at >= stoppedAt && m.text === 'WATCHDOG=1').length;
  process.kill(worker, 'SIGCONT');
  t.is(during, 0, 'no watchdog ping while a worker is stopped');
  const contAt = Date.now();
  await waitFor(
    'pings again',
    () => sd.messages().some((m) => m.at >= contAt && m.text === 'WATCHDOG=1'),
    5000,
  );

  from = sd.messages().length;
  d.proc.kill('SIGTERM');
  t.is(await d.exited(), 0);
  t.true(texts().slice(from).includes('STOPPING=1'));
  t.false(await l.hasAddress(n1, vip), 'released on stop');
});

test('a worker that keeps crashing makes the supervisor exit non-zero (the unit shows the failure)', async (t) => {
  const l = await createLab(1);
  labs.push(l);
  const [n1] = l.nodes as [LabNode];
  const d = startLvsdRun(
    l,
    n1,
    vrrpConf(n1, [{ priority: 100, version: 3, advertInt: 0.1, vips: [`10.${l.net}.0.100/32`] }]),
  );
  let last = 0;
  for (let i = 0; i < 5 && d.proc.exitCode === null; i++) {
    const pid = await waitFor(
      'a new worker',
      async () => {
        const p = await d.workerPid('vrrp').catch(() => 0);
        return p !== last && p > 0 ? p : undefined;
      },
      30_000,
    );
    last = pid;
    process.kill(pid, 'SIGKILL');
  }
  t.is(await d.exited(), 1);
  t.regex(d.output(), /worker keeps crashing: giving up/);
});

test('systemd-analyze verify accepts the unit', async (t) => {
  // The unit names /usr/sbin/lvsd (the .deb installs it); verify a copy that names this checkout's.
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-unit-'));
  const unit = readFileSync(join(repoRoot, 'systemd', 'lvsd.service'), 'utf8');
  t.true(unit.includes('ExecReload=/usr/sbin/lvsd reload'));
  writeFileSync(join(dir, 'lvsd.service'), unit.replaceAll('/usr/sbin/lvsd', join(repoRoot, 'bin', 'lvsd')));
  // The man pages it names are installed by the .deb (test/package verifies the unit with them).
  const r = await run('systemd-analyze', ['verify', '--man=no', join(dir, 'lvsd.service')]).then(
    (x) => ({ code: 0, out: x.stdout + x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  t.is(r.code, 0, r.out);
  t.is(r.out.trim(), '', 'no warning either');
});
