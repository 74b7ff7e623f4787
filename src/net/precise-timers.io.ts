// SPDX-License-Identifier: Apache-2.0
/**
 * Timers that fire at their deadline to the microsecond, on one timerfd (CLOCK_MONOTONIC) of the
 * native addon, for the deadline that decides when a backup takes over: Master_Down.
 *
 * Why not Node's timers: they run on the event loop's millisecond clock, so a deadline at 360.9 ms
 * fires anywhere in about [360, 362) ms. lvsd used to wake 1.5 ms early and finish the wait with
 * setImmediate turns; each turn allocated ~800 bytes (300–400 KB a takeover), which started a
 * scavenge in the last 2 ms before most takeovers, and a scavenge whose V8 helper thread waits
 * behind other work on a busy machine made the takeover up to 3 ms late (bench/results/realtime.md).
 * A timerfd wakes the event loop at the deadline itself (the kernel's hrtimer; a SCHED_RR thread
 * has no timer slack), and until then the loop sleeps and reads adverts as ever: one that arrives
 * in the last moment still moves the deadline.
 *
 * Every deadline shares the one fd (the earliest is armed; at 200 instances a scan of 200 at each
 * change is a few microseconds). A callback that throws reaches the process as a throwing
 * setTimeout callback would; the timers still due after it fire at the next turn.
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import { type NativeAddon, native } from './raw-socket.io.js';

type TimerCalls = Pick<NativeAddon, 'openTimer' | 'setTimer' | 'keepLoopAlive' | 'close'>;

interface Deadline {
  readonly at: number;
  readonly fn: () => void;
}

export class PreciseTimers implements Timers {
  readonly #clock: Clock;
  readonly #calls: () => TimerCalls;
  readonly #due = new Map<number, Deadline>();
  #fd: object | undefined;
  #next = 1;
  /** The deadline the fd is armed for (undefined: disarmed). */
  #armedAt: number | undefined;
  /** Whether the fd's poll handle holds the event loop (while a deadline is pending). */
  #alive = false;

  constructor(clock: Clock, calls: () => TimerCalls = native) {
    this.#clock = clock;
    this.#calls = calls;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#due.set(id, { at: this.#clock.now() + Math.max(0, ms), fn });
    this.#arm();
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    // an fd armed for a deadline no longer due fires for nothing and is armed for the next one
    if (this.#due.delete(handle.id) && this.#due.size === 0) this.#arm();
  }

  /** Deadlines not fired yet (for tests). */
  get pending(): number {
    return this.#due.size;
  }

  /** The fd is closed; deadlines not fired never will be. */
  close(): void {
    this.#due.clear();
    if (this.#fd) this.#calls().close(this.#fd);
    this.#fd = undefined;
    this.#armedAt = undefined;
    this.#alive = false;
  }

  #expired(): void {
    this.#armedAt = undefined;
    const now = this.#clock.now();
    // those due now, in deadline order; one set by a callback here waits for the next turn
    const ready = [...this.#due].filter(([, d]) => d.at <= now).sort((a, b) => a[1].at - b[1].at);
    try {
      for (const [id, d] of ready) if (this.#due.delete(id)) d.fn(); // not cleared by one before it
    } finally {
      this.#arm();
    }
  }

  #arm(): void {
    let earliest: number | undefined;
    for (const d of this.#due.values()) if (earliest === undefined || d.at < earliest) earliest = d.at;
    const calls = this.#calls();
    if (earliest === undefined) {
      if (this.#fd && this.#armedAt !== undefined) calls.setTimer(this.#fd, -1);
      this.#armedAt = undefined;
      this.#keepLoopAlive(false); // as no pending setTimeout does
      return;
    }
    if (earliest === this.#armedAt) return;
    if (!this.#fd) {
      this.#fd = calls.openTimer(() => this.#expired());
      this.#alive = true; // a new poll handle holds the loop
    }
    this.#keepLoopAlive(true);
    calls.setTimer(this.#fd, Math.max(0, earliest - this.#clock.now()));
    this.#armedAt = earliest;
  }

  #keepLoopAlive(on: boolean): void {
    if (!this.#fd || this.#alive === on) return;
    this.#calls().keepLoopAlive(this.#fd, on);
    this.#alive = on;
  }
}
