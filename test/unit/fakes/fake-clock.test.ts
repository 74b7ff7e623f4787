// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { FakeClock } from '../../fakes/fake-clock.js';

test('FakeClock fires timers in deadline order at their deadline', (t) => {
  const clock = new FakeClock(1000);
  const fired: Array<[string, number]> = [];
  clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
  clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
  const c = clock.setTimeout(() => fired.push(['c', clock.now()]), 15);
  clock.clearTimeout(c);
  clock.advance(15);
  t.deepEqual(fired, [['a', 1010]]);
  clock.advance(100);
  t.deepEqual(fired, [
    ['a', 1010],
    ['b', 1020],
  ]);
  t.is(clock.now(), 1115);
  t.is(clock.pendingCount, 0);
});
