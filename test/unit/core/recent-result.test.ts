// SPDX-License-Identifier: Apache-2.0
// recentResult: callers during a read share it, callers within maxAgeMs of its end get its result,
// a failed read is not kept. A fake clock and reads counted, no timing.
import test from 'ava';
import { recentResult } from '../../../src/core/recent-result.js';

function setup() {
  let now = 0;
  let reads = 0;
  let fail = false;
  const pending: Array<() => void> = [];
  const read = (): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      reads += 1;
      const n = reads;
      pending.push(() => (fail ? reject(new Error(`read ${n} failed`)) : resolve(n)));
    });
  const shared = recentResult(read, 2000, { now: () => now });
  return {
    shared,
    reads: () => reads,
    finish: () => pending.splice(0).forEach((f) => f()),
    advance: (ms: number) => (now += ms),
    failNext: (f: boolean) => (fail = f),
  };
}

test('concurrent callers share one read', async (t) => {
  const s = setup();
  const a = s.shared();
  const b = s.shared();
  t.is(s.reads(), 1);
  s.finish();
  t.deepEqual(await Promise.all([a, b]), [1, 1]);
});

test('a result younger than maxAgeMs is reused; an older one is read again', async (t) => {
  const s = setup();
  const first = s.shared();
  s.finish();
  t.is(await first, 1);
  s.advance(1999);
  t.is(await s.shared(), 1);
  t.is(s.reads(), 1);
  s.advance(1);
  const again = s.shared();
  t.is(s.reads(), 2);
  s.finish();
  t.is(await again, 2);
});

test('a failed read is not kept: the next call reads again', async (t) => {
  const s = setup();
  s.failNext(true);
  const bad = s.shared();
  s.finish();
  await t.throwsAsync(bad, { message: 'read 1 failed' });
  s.failNext(false);
  const good = s.shared();
  t.is(s.reads(), 2);
  s.finish();
  t.is(await good, 2);
});
