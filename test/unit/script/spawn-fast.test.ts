// SPDX-License-Identifier: Apache-2.0
/**
 * Scripts started without a fork (src/script/spawn-fast.io.ts, native/script_spawn.c), through real
 * processes (no root needed): what the child gets (its own session, default signals, the given
 * environment, /dev/null or pipes), how its end is reported (code, signal name, `close` after the
 * output), PATH lookup in the child's environment, and the cases handed back to child_process
 * (a program not found, one without `#!`), which then behave as they always did.
 */
import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnFast } from '../../../src/script/spawn-fast.io.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';

interface Ended {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  events: string[];
}

function ended(child: ChildProcess): Promise<Ended> {
  const out = { stdout: '', stderr: '' };
  const events: string[] = [];
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return new Promise((resolve) => {
    let exit: [number | null, string | null] = [null, null];
    child.once('exit', (code: number | null, signal: string | null) => {
      events.push('exit');
      exit = [code, signal];
    });
    child.once('close', () => {
      events.push('close');
      resolve({ code: exit[0], signal: exit[1], ...out, events });
    });
  });
}

const env = { PATH: '/usr/bin:/bin', LVSD_TEST: 'yes' };

/** The pid a native start reports in its `spawn` event (it starts off the event loop's thread). */
const spawned = (child: ChildProcess): Promise<number> =>
  new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });

async function runFast(file: string, args: string[]): Promise<Ended & { pid: number }> {
  const child = spawnFast({ file, args, env, capture: true });
  if (!child) throw new Error('the native start is not available here');
  const end = ended(child);
  return { pid: await spawned(child), ...(await end) };
}

test('a script started without a fork: its own session and group, no signal blocked or ignored, only the given environment', async (t) => {
  // each program reads its own /proc entry: a shell in between would block signals while it waits
  const stat = await runFast('/bin/cat', ['/proc/self/stat']);
  const [pid, , , , pgrp, session] = stat.stdout.replace(/\(.*\)/, 'comm').split(' ');
  t.is(Number(pid), stat.pid);
  t.is(Number(pgrp), stat.pid, 'leads its process group');
  t.is(Number(session), stat.pid, 'leads its session');
  const sig = await runFast('/bin/grep', ['-E', '^Sig(Blk|Ign)', '/proc/self/status']);
  t.true(sig.stdout.includes('SigBlk:\t0000000000000000'), sig.stdout);
  // Node ignores SIGPIPE (13, bit 12): a script must not inherit that. glibc's posix_spawn leaves its
  // two internal signals (32, 33; no program's own) ignored.
  const ign = BigInt(`0x${/SigIgn:\t([0-9a-f]+)/.exec(sig.stdout)![1]}`);
  t.is(ign & 0x7fffffffn, 0n, 'none of signals 1–31 ignored');
  const e = await runFast('/usr/bin/env', []);
  t.deepEqual(e.stdout.trim().split('\n').sort(), ['LVSD_TEST=yes', 'PATH=/usr/bin:/bin']);
});

test('its exit code, its output on two pipes, `close` after `exit` once they are drained', async (t) => {
  const r = await runFast('/bin/sh', ['-c', 'echo out; echo oops >&2; exit 3']);
  t.is(r.code, 3);
  t.is(r.signal, null);
  t.is(r.stdout, 'out\n');
  t.is(r.stderr, 'oops\n');
  t.deepEqual(r.events, ['exit', 'close']);
});

test('without capture its output goes to /dev/null; a signal ends it with the signal name child_process gives', async (t) => {
  const child = spawnFast({ file: 'sleep', args: ['30'], env, capture: false });
  t.truthy(child);
  t.is(child!.stdout, null);
  const done = ended(child!);
  process.kill(-(await spawned(child!)), 'SIGABRT');
  const r = await done;
  t.is(r.code, null);
  t.is(r.signal, 'SIGABRT', 'not SIGIOT, its other name');
});

/** How a native start ended: started (its exit code), or not (the errno name, as child_process gives it). */
async function outcome(child: ChildProcess): Promise<{ code: number | null } | { error: string }> {
  const end = ended(child);
  try {
    await spawned(child);
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  return { code: (await end).code };
}

test("a bare name is looked up in the child's PATH, a program without #! is run by /bin/sh, one that cannot start is an `error` named as child_process names it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-spawn-'));
  try {
    writeFileSync(join(dir, 'mine'), '#!/bin/sh\nexit 5\n');
    chmodSync(join(dir, 'mine'), 0o755);
    writeFileSync(join(dir, 'noshebang'), 'exit 6\n');
    chmodSync(join(dir, 'noshebang'), 0o755);
    writeFileSync(join(dir, 'notmine'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'notmine'), 0o644);
    const start = (file: string, path = `/usr/bin:${dir}`): ChildProcess => {
      const c = spawnFast({ file, args: [], env: { PATH: path }, capture: false });
      if (!c) throw new Error('the native start is not available here');
      return c;
    };
    t.deepEqual(await outcome(start('mine')), { code: 5 }, 'found in the PATH given');
    t.deepEqual(await outcome(start('mine', '/usr/bin')), { error: 'ENOENT' }, 'not in that PATH');
    t.deepEqual(await outcome(start(join(dir, 'absent'))), { error: 'ENOENT' });
    t.deepEqual(await outcome(start(join(dir, 'noshebang'))), { code: 6 }, 'by /bin/sh, as execvp');
    t.deepEqual(await outcome(start('noshebang')), { code: 6 });
    t.deepEqual(await outcome(start(join(dir, 'notmine'))), { error: 'EACCES' }, 'not executable');
    t.deepEqual(await outcome(start('notmine')), { error: 'EACCES' }, 'found, not executable');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('through the runner: a script without #! and a missing program end as they did with child_process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-spawn-'));
  try {
    writeFileSync(join(dir, 'noshebang'), 'echo ran-by-sh; exit 4\n');
    chmodSync(join(dir, 'noshebang'), 0o755);
    const runner = new ScriptRunner({ env });
    const a = await runner.run({ argv: [join(dir, 'noshebang')] }, { timeoutMs: 10_000, captureBytes: 100 });
    t.is(a.kind, 'exit');
    t.like(a, { code: 4 });
    t.is(a.output?.stdout.text, 'ran-by-sh\n');
    const b = await runner.run({ argv: [join(dir, 'absent')] }, { timeoutMs: 10_000 });
    t.like(b, { kind: 'error', error: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the start leaves the event loop's thread at once: the pid comes with `spawn`, after what was queued behind the call", async (t) => {
  const child = spawnFast({ file: '/bin/true', args: [], env, capture: true });
  t.truthy(child);
  t.is(child!.pid, undefined, 'not started yet when the call returns');
  t.truthy(child!.stdout, 'the output pipe is there at once');
  const order: string[] = [];
  setImmediate(() => order.push('immediate'));
  const end = ended(child!);
  const pid = await spawned(child!);
  order.push('spawn');
  t.true(pid > 0);
  t.deepEqual(order, ['immediate', 'spawn']);
  t.like(await end, { code: 0, events: ['exit', 'close'] });
});

test('a run aborted (or timed out) before its native start has happened is still killed, once it starts', async (t) => {
  // the SIGKILL after the grace would end it too: only the SIGTERM held for the start may, here
  const runner = new ScriptRunner({ env, termGraceMs: 60_000 });
  const abort = new AbortController();
  const t0 = Date.now();
  const run = runner.run({ argv: ['/bin/sleep', '30'] }, { timeoutMs: 60_000, signal: abort.signal });
  abort.abort(); // the same turn: the start is still on the pool thread
  t.is((await run).kind, 'aborted');
  t.true(Date.now() - t0 < 20_000, 'killed, not waited for');
  const timedOut = await runner.run({ argv: ['/bin/sleep', '30'] }, { timeoutMs: 0 });
  t.is(timedOut.kind, 'timeout');
});

test('a worker thread that ends while its script runs, or while the start is on the pool thread, leaves the process running', async (t) => {
  // Node aborts a process whose ending worker leaves a poll handle open ("uv_loop_close() while
  // having open handles"): run it in a process of its own, so that the abort fails this test
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-spawn-'));
  try {
    const mod = new URL('../../../src/script/spawn-fast.io.js', import.meta.url).href;
    const worker = `
      const { spawnFast } = await import(${JSON.stringify(mod)});
      const { parentPort, workerData } = await import('node:worker_threads');
      // one started early is never killed here: it ends by itself
      const c = spawnFast({ file: '/bin/sleep', args: [workerData.early ? '2' : '30'], env: { PATH: '/bin' }, capture: true });
      if (workerData.early) parentPort.postMessage(0);
      c.on('spawn', () => workerData.early || parentPort.postMessage(c.pid));`;
    const main = `
      import { Worker } from 'node:worker_threads';
      const kill = (pid) => { try { process.kill(-pid, 'SIGKILL'); } catch {} };
      for (const early of [false, false, true, true]) {
        const w = new Worker(${JSON.stringify(worker)}, { eval: true, workerData: { early } });
        const pid = await new Promise((r) => w.once('message', r));
        await w.terminate();
        if (pid) kill(pid);
      }
      console.log('survived');`;
    writeFileSync(join(dir, 'main.mjs'), main);
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      execFile(process.execPath, [join(dir, 'main.mjs')], { timeout: 60_000 }, (e, out, err) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, out, err }),
      ),
    );
    t.is(r.out.trim(), 'survived', r.err.slice(-600));
    t.is(r.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
