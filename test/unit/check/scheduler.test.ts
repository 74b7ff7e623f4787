// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { seededRng } from '../../fakes/seeded-rng.js';
import type { LogFields, Logger } from '../../../src/core/log.js';
import { firstProbeDelay } from '../../../src/check/result.js';
import { CheckScheduler } from '../../../src/check/scheduler.js';
import { FakeClock } from '../../fakes/fake-clock.js';

function recordingLogger(): Logger & { warns: Array<[string, LogFields | undefined]> } {
  const warns: Array<[string, LogFields | undefined]> = [];
  const l: Logger & { warns: typeof warns } = {
    warns,
    error() {},
    warn(msg, f) {
      warns.push([msg, f]);
    },
    notice() {},
    info() {},
    debug() {},
    child: () => l,
  };
  return l;
}

/** Let settled promises run their reactions. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

async function advance(clock: FakeClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

test('10,000 tasks at 1 s: each runs once per second, spread evenly, none late', async (t) => {
  const clock = new FakeClock();
  const log = recordingLogger();
  const s = new CheckScheduler({ clock, timers: clock, logger: log, concurrency: 2048 });
  const rng = seededRng(42);
  const runs = new Map<string, number[]>();
  for (let i = 0; i < 10_000; i++) {
    const id = `t${i}`;
    runs.set(id, []);
    s.add(id, firstProbeDelay({ warmupMs: 999 }, rng), () => {
      runs.get(id)!.push(clock.now());
      return Promise.resolve(1000);
    });
  }
  await advance(clock, 5000);
  const perBucket = new Array<number>(10).fill(0);
  for (const times of runs.values()) {
    t.true(times.length >= 4 && times.length <= 5, `ran ${times.length} times`);
    for (let i = 1; i < times.length; i++) t.true(times[i]! - times[i - 1]! <= 1010);
    perBucket[Math.floor((times[0]! % 1000) / 100)]!++;
  }
  // No thundering herd: each tenth of the second starts roughly a tenth of the checks.
  t.true(
    perBucket.every((n) => n > 800 && n < 1200),
    perBucket.join(','),
  );
  const st = s.stats();
  t.is(st.lateRuns, 0);
  t.true(st.maxLatenessMs <= 10);
  t.is(log.warns.length, 0);
  await s.stop();
});

test('bounded concurrency: slow tasks make the scheduler late, and it says so', async (t) => {
  const clock = new FakeClock();
  const log = recordingLogger();
  const s = new CheckScheduler({ clock, timers: clock, logger: log, concurrency: 2, lateThresholdMs: 100 });
  let running = 0;
  let maxRunning = 0;
  for (let i = 0; i < 6; i++) {
    s.add(`t${i}`, 0, () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise((resolve) =>
        clock.setTimeout(() => {
          running--;
          resolve(1000);
        }, 300),
      );
    });
  }
  await advance(clock, 2000);
  t.is(maxRunning, 2);
  const st = s.stats();
  t.true(st.lateRuns > 0);
  t.true(st.maxLatenessMs >= 500, `max lateness ${st.maxLatenessMs}`);
  t.is(log.warns.length, 1, 'one rate-limited warning');
  t.regex(log.warns[0]![0], /cannot keep up/);
  const stopped = s.stop();
  await advance(clock, 400);
  await stopped;
});

test('remove and replace; stop waits for running tasks', async (t) => {
  const clock = new FakeClock();
  const s = new CheckScheduler({ clock, timers: clock, logger: recordingLogger() });
  const seen: string[] = [];
  s.add('a', 100, () => (seen.push('a'), Promise.resolve(100)));
  s.add('b', 100, () => (seen.push('b'), Promise.resolve(100)));
  await advance(clock, 150);
  s.remove('a');
  s.add('b', 0, () => (seen.push('B'), Promise.resolve(1000)));
  await advance(clock, 300);
  t.deepEqual(seen, ['a', 'b', 'B']);
  t.is(s.size, 1);
  let release: (v: number) => void = () => {};
  s.add('slow', 0, () => new Promise((r) => (release = r)));
  await advance(clock, 10);
  let stopped = false;
  const p = s.stop().then(() => (stopped = true));
  await flush();
  t.false(stopped);
  release(10);
  await p;
  t.true(stopped);
  t.is(clock.pendingCount, 0);
});
