// SPDX-License-Identifier: Apache-2.0
// Runs real child processes (no root needed): workers are small node scripts written to a temp dir.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from '../../../src/daemon/supervisor.js';
import { nextCrashHandoff } from '../../../src/daemon/worker-ipc.js';
import type { SdState } from '../../../src/daemon/systemd.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { until } from '../../helpers/processes.js';

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

test('READY is sent once every worker reported ready; a crashed worker is restarted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sup-'));
  const counter = join(dir, 'starts');
  const steady = script(
    dir,
    'steady.cjs',
    `process.send({type:'ready'}); setInterval(()=>{}, 1000); process.on('SIGTERM', ()=>process.exit(0));`,
  );
  const crashy = script(
    dir,
    'crashy.cjs',
    `const fs=require('fs'); fs.appendFileSync(${JSON.stringify(counter)}, 'x');
     process.send({type:'ready'});
     if (fs.readFileSync(${JSON.stringify(counter)}, 'utf8').length < 2) setTimeout(()=>process.exit(3), 50);
     else { setInterval(()=>{}, 1000); process.on('SIGTERM', ()=>process.exit(0)); }`,
  );
  const notes: SdState[][] = [];
  const sup = new Supervisor({
    workers: [
      { name: 'vrrp', modulePath: steady, args: [] },
      { name: 'lvs', modulePath: crashy, args: [] },
    ],
    log: silentLogger,
    policy: { initialDelayMs: 100, maxDelayMs: 1000, stableMs: 60_000 },
    notify: (s) => notes.push(s),
  });
  sup.start();
  t.teardown(() => sup.stop());
  t.true(await until(() => existsSync(counter) && readFileSync(counter, 'utf8').length >= 2));
  t.true(await until(() => sup.status().every((s) => s.ready)));
  const lvs = sup.status().find((s) => s.name === 'lvs');
  t.is(lvs?.restarts, 1);
  t.is(notes.filter((n) => n.includes('READY=1')).length, 1, 'READY=1 exactly once at start');
  await sup.stop();
  t.deepEqual(notes.at(-1), ['STOPPING=1']);
  t.true(
    sup.status().every((s) => s.pid === undefined),
    'no worker left running',
  );
});

test('stop() escalates to SIGKILL for a worker that ignores SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sup-'));
  const stubborn = script(
    dir,
    'stubborn.cjs',
    `process.on('SIGTERM', ()=>{}); process.send({type:'ready'}); setInterval(()=>{}, 1000);`,
  );
  const sup = new Supervisor({
    workers: [{ name: 'w', modulePath: stubborn, args: [] }],
    log: silentLogger,
    notify: () => {},
    stopTimeoutMs: 200,
  });
  sup.start();
  t.true(await until(() => sup.status()[0]?.ready === true));
  const pid = sup.status()[0]?.pid;
  t.truthy(pid);
  const t0 = Date.now();
  await sup.stop();
  t.true(Date.now() - t0 >= 150, 'waited for the SIGTERM grace period');
  t.throws(() => process.kill(pid ?? 0, 0), undefined, 'worker is gone');
});

test('VRRP state reports are relayed to the other workers and replayed to a worker that (re)starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sup-'));
  const seen = join(dir, 'seen');
  const vrrp = script(
    dir,
    'vrrp.cjs',
    // handlers before ready: the test signals as soon as the supervisor has seen it (Node's default
    // for SIGUSR2 is to exit; a stand-in killed that way once left the relay test with no line)
    `process.on('SIGUSR2', () => process.send({type:'vrrpState', instance:'VI_1', state:'MASTER'}));
     process.on('SIGTERM', ()=>process.exit(0));
     process.send({type:'ready'});
     setInterval(()=>{}, 1000);`,
  );
  const lvs = script(
    dir,
    'lvs.cjs',
    `const fs=require('fs');
     process.on('message', (m) => { if (m.type === 'vrrpState') fs.appendFileSync(${JSON.stringify(seen)}, process.pid + ' ' + m.instance + ' ' + m.state + '\\n'); });
     process.on('SIGTERM', ()=>process.exit(0));
     process.send({type:'ready'});
     setInterval(()=>{}, 1000);`,
  );
  const sup = new Supervisor({
    workers: [
      { name: 'vrrp', modulePath: vrrp, args: [] },
      { name: 'lvs', modulePath: lvs, args: [] },
    ],
    log: silentLogger,
    policy: { initialDelayMs: 50, maxDelayMs: 1000, stableMs: 60_000 },
    notify: () => {},
  });
  sup.start();
  t.teardown(() => sup.stop());
  t.true(await until(() => sup.status().every((s) => s.ready)));
  const pidOf = (name: string): number => sup.status().find((s) => s.name === name)?.pid ?? 0;
  const lines = (): string[] => (existsSync(seen) ? readFileSync(seen, 'utf8').trim().split('\n') : []);
  // the VRRP stand-in reports VI_1 MASTER on SIGUSR2
  process.kill(pidOf('vrrp'), 'SIGUSR2');
  t.true(await until(() => lines().length === 1));
  const first = pidOf('lvs');
  t.deepEqual(lines(), [`${first} VI_1 MASTER`], 'relayed to the LVS worker, not echoed to the sender');
  process.kill(first, 'SIGKILL');
  t.true(await until(() => pidOf('lvs') !== first && pidOf('lvs') > 0 && lines().length === 2));
  t.is(lines()[1], `${pidOf('lvs')} VI_1 MASTER`, 'the last state replayed to the restarted worker');
  await sup.stop();
});

test('a reload that comes while a worker is still starting reaches it once it is ready, not lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sup-'));
  const go = join(dir, 'go');
  const hups = join(dir, 'hups');
  // starts slowly: ready only once `go` exists; SIGHUP before its handler would kill it (Node's
  // default), so a reload signalled too early shows as an exit, one never signalled as no line
  const slow = script(
    dir,
    'slow.cjs',
    `const fs=require('fs');
     const wait = setInterval(() => {
       if (!fs.existsSync(${JSON.stringify(go)})) return;
       clearInterval(wait);
       process.on('SIGHUP', () => { fs.appendFileSync(${JSON.stringify(hups)}, 'hup\\n'); process.send({type:'reloaded', ok:true}); });
       process.send({type:'ready'});
     }, 20);
     setInterval(()=>{}, 1000); process.on('SIGTERM', ()=>process.exit(0));`,
  );
  const sup = new Supervisor({
    workers: [{ name: 'lvs', modulePath: slow, args: [] }],
    log: silentLogger,
    policy: { initialDelayMs: 50, maxDelayMs: 1000, stableMs: 60_000 },
    notify: () => {},
  });
  sup.start();
  t.teardown(() => sup.stop());
  t.true(await until(() => (sup.status()[0]?.pid ?? 0) > 0));
  const pid = sup.status()[0]!.pid;
  const reload = sup.reload();
  let answered = false;
  void reload.then(() => (answered = true));
  await new Promise((r) => setTimeout(r, 300));
  t.false(answered, 'no answer while the worker is starting (it has not applied the reload)');
  writeFileSync(go, '');
  const [r] = await reload;
  t.deepEqual(r, { worker: 'lvs', ok: true });
  t.is(readFileSync(hups, 'utf8'), 'hup\n', 'signalled once, after it was ready');
  t.is(sup.status()[0]?.pid, pid, 'the same process: not killed by an early SIGHUP');
  t.is(sup.status()[0]?.restarts, 0);
  await sup.stop();
});

test('a worker that dies unasked: onCrash gets the last handoff record it reported; a stop gets none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sup-'));
  const counter = join(dir, 'starts');
  const A = { name: 'A', vrid: 51, interface: 'eth0', family: 'inet' };
  // first run: reports A, then the same instances (no list) with a later time, then dies by SIGKILL;
  // the restarted one reports A and waits to be stopped
  const vrrp = script(
    dir,
    'vrrp.cjs',
    `const fs=require('fs'); fs.appendFileSync(${JSON.stringify(counter)}, 'x');
     const first = fs.readFileSync(${JSON.stringify(counter)}, 'utf8').length === 1;
     process.send({type:'ready'});
     process.send({type:'crashHandoff', at: 1000, instances: [${JSON.stringify(A)}]});
     process.send({type:'crashHandoff', at: 2000}, () => { if (first) process.kill(process.pid, 'SIGKILL'); });
     setInterval(()=>{}, 1000); process.on('SIGTERM', ()=>process.exit(0));`,
  );
  const crashes: Array<[string, unknown]> = [];
  const sup = new Supervisor({
    workers: [{ name: 'vrrp', modulePath: vrrp, args: [] }],
    log: silentLogger,
    policy: { initialDelayMs: 100, maxDelayMs: 1000, stableMs: 60_000 },
    onCrash: (w, h) => crashes.push([w, h]),
  });
  sup.start();
  t.true(await until(() => existsSync(counter) && readFileSync(counter, 'utf8').length >= 2));
  t.true(await until(() => sup.status().every((s) => s.ready)));
  await sup.stop();
  t.deepEqual(crashes, [['vrrp', { version: 1, at: 2000, instances: [A] }]], 'one crash, none for the stop');
});

test('nextCrashHandoff: instances kept until the next list; an empty list forgets them', (t) => {
  const A = { name: 'A', vrid: 51, interface: 'eth0', family: 'inet' as const };
  const r1 = nextCrashHandoff(undefined, { type: 'crashHandoff', at: 5, instances: [A] });
  t.deepEqual(r1, { version: 1, at: 5, instances: [A] });
  t.deepEqual(nextCrashHandoff(r1, { type: 'crashHandoff', at: 9 }), { version: 1, at: 9, instances: [A] });
  t.is(nextCrashHandoff(r1, { type: 'crashHandoff', at: 9, instances: [] }), undefined);
  t.is(nextCrashHandoff(undefined, { type: 'crashHandoff', at: 9 }), undefined);
});
