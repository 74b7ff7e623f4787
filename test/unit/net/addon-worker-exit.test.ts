// SPDX-License-Identifier: Apache-2.0
/**
 * The native addon in worker threads that end with its handles live: a terminated worker's precise
 * timer, re-armed every 0.3 ms, is closed in the worker's last moments and its close callback runs
 * after the environment has gone. Before the addon kept itself loaded, Node had unloaded it by then
 * and the process died of a SIGSEGV in uv__finish_close (how ava's unit run once ended: exit 139).
 * A child process runs 100 such workers and must exit 0. No root needed.
 */
import { execFile } from 'node:child_process';

import { promisify } from 'node:util';
import test from 'ava';

const timers = new URL('../../../src/net/precise-timers.io.js', import.meta.url).href;
const clock = new URL('../../../src/daemon/clock.js', import.meta.url).href;

const worker = `
  const { PreciseTimers } = await import(${JSON.stringify(timers)});
  const { monotonicClock } = await import(${JSON.stringify(clock)});
  const { parentPort, workerData } = await import('node:worker_threads');
  const t = new PreciseTimers(monotonicClock);
  const again = () => t.setTimeout(again, 0.3);
  t.setTimeout(again, 0.5);
  if (workerData.close) setTimeout(() => t.close(), 1);
  parentPort.postMessage('up');
`;

const main = `
  const { Worker } = await import('node:worker_threads');
  const url = 'data:text/javascript,' + encodeURIComponent(${JSON.stringify(worker)});
  for (let i = 0; i < 100; i++) {
    const w = new Worker(new URL(url), { workerData: { close: i % 2 === 0 } });
    await new Promise((r, j) => (w.once('message', r), w.once('error', j)));
    await new Promise((r) => setTimeout(r, Math.random() * 4));
    await w.terminate();
  }
  console.log('ended');
`;

test('worker threads ended with the addon’s timers live or just closed: the process lives on', async (t) => {
  const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', main], {
    timeout: 60_000,
  }).catch((e: { code?: number; signal?: string; stderr?: string }) => e);
  t.is('stdout' in r ? r.stdout.trim() : `died: ${r.signal ?? r.code} ${r.stderr ?? ''}`, 'ended');
});
