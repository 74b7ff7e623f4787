// SPDX-License-Identifier: Apache-2.0
/**
 * Time and randomness as injected collaborators. Pure: interfaces only.
 * State machines never read a clock; they are given `now` (monotonic milliseconds, fractional).
 * The real implementations live in src/daemon/clock.ts; tests use test/fakes/fake-clock.ts and
 * test/fakes/seeded-rng.ts.
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
