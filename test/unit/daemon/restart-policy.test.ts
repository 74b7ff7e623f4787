// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { restartDelay } from '../../../src/daemon/restart-policy.js';

const policy = { initialDelayMs: 1000, maxDelayMs: 30_000, stableMs: 60_000 };

test('a worker crashing at start backs off 1, 2, 4 … 30 s', (t) => {
  let crashes = 0;
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = restartDelay({ crashes, startedAt: 0 }, 100, policy);
    crashes = r.crashes;
    delays.push(r.delayMs);
  }
  t.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test('a worker that ran stably restarts after the initial delay again', (t) => {
  t.deepEqual(restartDelay({ crashes: 6, startedAt: 0 }, 60_000, policy), {
    delayMs: 1000,
    crashes: 1,
    giveUp: false,
  });
  t.deepEqual(restartDelay({ crashes: 6, startedAt: 0 }, 59_999, policy), {
    delayMs: 30000,
    crashes: 7,
    giveUp: false,
  });
});

test('maxCrashes consecutive crashes without a stable run are a crash loop: give up', (t) => {
  const p = { ...policy, maxCrashes: 3 };
  t.false(restartDelay({ crashes: 1, startedAt: 0 }, 100, p).giveUp);
  t.true(restartDelay({ crashes: 2, startedAt: 0 }, 100, p).giveUp);
  t.false(restartDelay({ crashes: 2, startedAt: 0 }, 60_000, p).giveUp, 'a stable run resets the count');
});
