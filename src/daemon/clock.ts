// SPDX-License-Identifier: Apache-2.0
/** The real monotonic Clock and Timers (the only place lvsd reads time), and Math.random as Rng. */
import { performance } from 'node:perf_hooks';
import type { Clock, Rng, TimerHandle, Timers } from '../core/clock.js';

export const monotonicClock: Clock = { now: () => performance.now() };

export const realTimers: Timers = (() => {
  const live = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    setTimeout(fn: () => void, ms: number): TimerHandle {
      const id = next++;
      live.set(
        id,
        setTimeout(
          () => {
            live.delete(id);
            fn();
          },
          Math.max(0, ms),
        ),
      );
      return { id };
    },
    clearTimeout(handle: TimerHandle): void {
      const t = live.get(handle.id);
      if (t) clearTimeout(t);
      live.delete(handle.id);
    },
  };
})();

export const mathRng: Rng = { next: () => Math.random() };
