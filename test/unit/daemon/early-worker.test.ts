// SPDX-License-Identifier: Apache-2.0
// Runs real child processes (no root needed): the worker stands in is a small node script that,
// started with --await-model, waits for the supervisor's modelReady as lvsd's worker.ts does.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EarlyWorker } from '../../../src/daemon/early-worker.js';
import { Supervisor } from '../../../src/daemon/supervisor.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { alive, until } from '../../helpers/processes.js';

/** A worker stand-in: appends "PID start ARGS" and, once it may run, "PID ready" to `log`. */
function standIn(): { path: string; log: string; lines: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-early-'));
  const log = join(dir, 'log');
  const path = join(dir, 'worker.cjs');
  writeFileSync(
    path,
    `const fs = require('fs');
     const say = (s) => fs.appendFileSync(${JSON.stringify(log)}, process.pid + ' ' + s + '\\n');
     // the handler before the start line: a test signals as soon as it reads that line
     process.on('SIGTERM', () => { say('SIGTERM'); process.exit(0); });
     say('start ' + process.argv.slice(2).join(' '));
     const run = () => { say('ready'); process.send({ type: 'ready' }); setInterval(() => {}, 1000); };
     if (process.argv.includes('--await-model'))
       process.on('message', (m) => { if (m.type === 'modelReady') run(); });
     else run();
     setInterval(() => {}, 1000);`,
  );
  const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  return { path, log, lines };
}

test('the supervisor takes over the early worker at its first start, and forks anew when it crashes', async (t) => {
  const w = standIn();
  const spec = { name: 'vrrp', modulePath: w.path, args: ['--vrrp-only'] };
  const early = new EarlyWorker(spec);
  const earlyPid = early.pid ?? 0;
  t.true(await until(() => w.lines().includes(`${earlyPid} start --vrrp-only --await-model`)));
  await sleep(200);
  t.false(w.lines().includes(`${earlyPid} ready`), 'it waits for the model');
  const sup = new Supervisor({
    workers: [{ ...spec, early }],
    log: silentLogger,
    policy: { initialDelayMs: 50, maxDelayMs: 1000, stableMs: 60_000 },
    notify: () => {},
  });
  sup.start();
  t.teardown(() => sup.stop());
  t.true(await until(() => sup.status()[0]?.ready === true));
  t.is(sup.status()[0]?.pid, earlyPid, 'the early process is the worker');
  t.true(w.lines().includes(`${earlyPid} ready`));
  process.kill(earlyPid, 'SIGKILL');
  t.true(
    await until(() => (sup.status()[0]?.pid ?? earlyPid) !== earlyPid && sup.status()[0]?.ready === true),
  );
  const again = sup.status()[0]?.pid ?? 0;
  t.true(
    w.lines().includes(`${again} start --vrrp-only`),
    'the restart is an ordinary fork, without --await-model',
  );
  await sup.stop();
});

test('a dismissed early worker is stopped before it runs; taking it for another worker dismisses it too', async (t) => {
  const w = standIn();
  const a = new EarlyWorker({ name: 'vrrp', modulePath: w.path, args: ['x'] });
  const b = new EarlyWorker({ name: 'vrrp', modulePath: w.path, args: ['x'] });
  const [pa, pb] = [a.pid ?? 0, b.pid ?? 0];
  t.true(await until(() => w.lines().filter((l) => l.includes(' start ')).length === 2));
  await a.dismiss();
  t.false(alive(pa), 'dismiss resolves once it has exited');
  t.is(b.take({ name: 'vrrp', modulePath: w.path, args: ['y'] }), undefined, 'other arguments: not this one');
  t.true(await until(() => !alive(pa) && !alive(pb)));
  t.true(w.lines().includes(`${pa} SIGTERM`) && w.lines().includes(`${pb} SIGTERM`));
  t.false(
    w.lines().some((l) => l.endsWith(' ready')),
    'neither ever ran',
  );
  t.is(a.take({ name: 'vrrp', modulePath: w.path, args: ['x'] }), undefined, 'a dismissed one is not taken');
});

test('an early worker forked with other Node flags is not taken for a worker without them', async (t) => {
  const w = standIn();
  const c = new EarlyWorker({
    name: 'vrrp',
    modulePath: w.path,
    args: ['x'],
    nodeFlags: ['--v8-pool-size=1'],
  });
  const pc = c.pid ?? 0;
  t.true(await until(() => w.lines().some((l) => l.startsWith(`${pc} start`))));
  t.is(
    c.take({ name: 'vrrp', modulePath: w.path, args: ['x'] }),
    undefined,
    'other runtime flags: not this one',
  );
  t.true(await until(() => !alive(pc)));
  t.false(w.lines().includes(`${pc} ready`), 'it never ran');
});

test('an early worker that died before it was taken is not taken: the supervisor forks', async (t) => {
  const w = standIn();
  const spec = { name: 'vrrp', modulePath: w.path, args: [] };
  const early = new EarlyWorker(spec);
  const pid = early.pid ?? 0;
  t.true(await until(() => w.lines().length > 0));
  process.kill(pid, 'SIGKILL');
  t.true(await until(() => !alive(pid)));
  await sleep(100); // the exit event reaches the parent
  const sup = new Supervisor({ workers: [{ ...spec, early }], log: silentLogger, notify: () => {} });
  sup.start();
  t.teardown(() => sup.stop());
  t.true(await until(() => sup.status()[0]?.ready === true));
  t.not(sup.status()[0]?.pid, pid);
  await sup.stop();
});
