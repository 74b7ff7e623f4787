// SPDX-License-Identifier: Apache-2.0
/**
 * PreciseTimers on the real timerfd of the native addon: deadlines fire in their order and never
 * before their time, a cleared one never, a throwing callback does not stop the others, and the fd
 * holds the event loop only while a deadline is pending (a process with none left exits). No root
 * needed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { monotonicClock } from '../../../src/daemon/clock.js';
import { PreciseTimers } from '../../../src/net/precise-timers.io.js';

const module = fileURLToPath(new URL('../../../src/net/precise-timers.io.js', import.meta.url));
const clock = fileURLToPath(new URL('../../../src/daemon/clock.js', import.meta.url));

test('deadlines fire in their order, none before its time, a cleared one never', async (t) => {
  const timers = new PreciseTimers(monotonicClock);
  const fired: { name: string; early: number }[] = [];
  const done = new Promise<void>((resolve) => {
    const at = (name: string, ms: number, last = false) => {
      const due = monotonicClock.now() + ms;
      return timers.setTimeout(() => {
        fired.push({ name, early: due - monotonicClock.now() });
        if (last) resolve();
      }, ms);
    };
    at('c', 9.5, true);
    at('a', 2.25);
    const cleared = at('x', 5);
    at('b', 4.75);
    timers.clearTimeout(cleared);
  });
  await done;
  t.deepEqual(
    fired.map((f) => f.name),
    ['a', 'b', 'c'],
  );
  for (const f of fired) t.true(f.early <= 0, `${f.name} fired ${f.early} ms before its time`);
  t.is(timers.pending, 0);
  timers.close();
});

test('a deadline moved by clearing and setting again fires once, at the new time', async (t) => {
  const timers = new PreciseTimers(monotonicClock);
  let runs = 0;
  const first = timers.setTimeout(() => runs++, 1);
  timers.clearTimeout(first);
  const due = monotonicClock.now() + 3;
  await new Promise<void>((resolve) => timers.setTimeout(() => (runs++, resolve()), 3));
  t.true(monotonicClock.now() >= due);
  await new Promise((r) => setTimeout(r, 20));
  t.is(runs, 1);
  timers.close();
});

test('a throwing callback reaches the process and the later deadlines still fire; with none left the process exits', async (t) => {
  const script = `
    const { PreciseTimers } = await import(${JSON.stringify(module)});
    const { monotonicClock } = await import(${JSON.stringify(clock)});
    const timers = new PreciseTimers(monotonicClock);
    process.on('uncaughtException', (e) => console.log('caught ' + e.message));
    timers.setTimeout(() => { throw new Error('boom'); }, 2);
    timers.setTimeout(() => console.log('second'), 2);
    timers.setTimeout(() => console.log('third'), 30);
  `;
  // a poll handle still holding the loop would keep the child alive until the timeout
  const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 10_000,
  });
  t.deepEqual(r.stdout.trim().split('\n'), ['caught boom', 'second', 'third']);
});
