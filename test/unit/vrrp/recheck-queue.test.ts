// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { FakeClock } from '../../fakes/fake-clock.js';
import { RecheckQueue } from '../../../src/vrrp/recheck-queue.js';

/** A queue on a fake clock whose `defer` runs when the test says the turn ends. */
function paced(spacingMs = 10) {
  const clock = new FakeClock(1000);
  const deferred: Array<() => void> = [];
  const checked: Array<[number, number]> = [];
  const q = new RecheckQueue(
    (ifindex) => checked.push([ifindex, clock.now()]),
    {
      clock,
      timers: clock,
      defer: (fn) => deferred.push(fn),
    },
    spacingMs,
  );
  const endTurn = () => {
    for (const fn of deferred.splice(0)) fn();
  };
  return { clock, q, checked, endTurn };
}

test('the requests of one turn share one check, run on the next turn', (t) => {
  const { q, checked, endTurn } = paced();
  for (let i = 0; i < 200; i++) q.request(2);
  q.request(3);
  t.deepEqual(checked, [], 'not on the turn of the events');
  endTurn();
  t.deepEqual(checked, [
    [2, 1000],
    [3, 1000],
  ]);
  t.is(q.checks, 2);
});

test('a burst of events, one per turn: one check per spacing interval, the last event included', (t) => {
  const { clock, q, checked, endTurn } = paced(10);
  // 200 address events 0.3 ms apart, each read on a turn of its own (200 takeovers at once)
  for (let i = 0; i < 200; i++) {
    q.request(2);
    endTurn();
    clock.advance(0.3);
  }
  clock.advance(20);
  endTurn();
  // 60 ms of events: the first at once, then every 10 ms, and one after the last event
  t.true(q.checks >= 6 && q.checks <= 8, `checks: ${q.checks}`);
  t.deepEqual(checked[0], [2, 1000]);
  for (let i = 1; i < checked.length; i++) t.true(checked[i]![1] - checked[i - 1]![1] >= 10);
  t.true(checked.at(-1)![1] >= 1000 + 199 * 0.3, 'a check follows the last event');
});

test('after a quiet spell an event is checked on the next turn again', (t) => {
  const { clock, q, checked, endTurn } = paced(10);
  q.request(2);
  endTurn();
  clock.advance(50);
  q.request(2);
  endTurn();
  t.deepEqual(checked, [
    [2, 1000],
    [2, 1050],
  ]);
});

test('close drops the checks to come; without defer a check runs at once', (t) => {
  const { clock, q, checked, endTurn } = paced(10);
  q.request(2);
  endTurn();
  q.request(2); // waits for the spacing on a timer
  q.close();
  clock.advance(100);
  t.is(checked.length, 1);
  t.is(clock.pendingCount, 0);
  const now: number[] = [];
  const sync = new RecheckQueue((i) => now.push(i), { clock, timers: clock });
  sync.request(4);
  sync.request(4);
  t.deepEqual(now, [4, 4]);
});
