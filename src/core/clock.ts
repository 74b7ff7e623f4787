// SPDX-License-Identifier: Apache-2.0
/**
 * Time and randomness as injected collaborators. Pure: interfaces only.
 * State machines never read a clock; they are given `now` (monotonic milliseconds, fractional).
 * The real implementations live in src/daemon/clock.ts; tests use test/fakes/fake-clock.ts.
 */

export interface Clock {
  /** Monotonic time in milliseconds (may be fractional). Never goes backwards. */
  now(): number;
}

/** A cancellable one-shot timer, so shells can be driven by a fake in tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

/** Uniform random numbers in [0, 1); seedable in tests. */
export interface Rng {
  next(): number;
}

/** A small seedable PRNG (mulberry32) for tests and deterministic jitter. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
