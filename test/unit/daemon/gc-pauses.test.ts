// SPDX-License-Identifier: Apache-2.0
// GcPauses (src/daemon/gc-pauses.ts), the worker's one GC observer, on this process's real collector:
// a full collection asked with gc() is counted and reaches the after-major listeners.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { GcPauses } from '../../../src/daemon/gc-pauses.js';
import { until } from '../../helpers/processes.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('a major collection is counted and reaches each listener, a removed one no more', async (t) => {
  const pauses = new GcPauses();
  t.teardown(() => pauses.stop());
  const calls = { a: 0, b: 0, twice: 0 };
  pauses.afterMajorGc(() => calls.a++);
  const removeB = pauses.afterMajorGc(() => calls.b++);
  const twice = (): void => void calls.twice++;
  pauses.afterMajorGc(twice);
  const removeOneTwice = pauses.afterMajorGc(twice);
  gc(); // a full collection (Node 20's `gc({ type: 'major' })` runs a minor one)
  t.true(await until(() => calls.a >= 1, 5000));
  t.is(calls.b, calls.a);
  t.is(calls.twice, 2 * calls.a, 'the same function added twice is two listeners');
  const summary = pauses.summary();
  t.true(summary.count >= 1);
  t.true(summary.maxPauseMs > 0 && summary.totalMs >= summary.maxPauseMs);

  removeB();
  removeOneTwice();
  const before = { ...calls };
  gc();
  t.true(await until(() => calls.a > before.a, 5000));
  t.is(calls.b, before.b, 'a removed listener is not called');
  t.is(calls.twice - before.twice, calls.a - before.a, 'one of the two added remains');
});

test('stop ends the observing and drops the listeners', async (t) => {
  const pauses = new GcPauses();
  let called = 0;
  pauses.afterMajorGc(() => called++);
  pauses.stop();
  const other = new GcPauses(); // a second observer shows when the collection has been reported
  t.teardown(() => other.stop());
  let seen = 0;
  other.afterMajorGc(() => seen++);
  gc();
  t.true(await until(() => seen >= 1, 5000));
  t.is(called, 0);
});
