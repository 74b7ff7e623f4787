// SPDX-License-Identifier: Apache-2.0
/** A deterministic Clock + Timers for tests: time moves only when `advance` is called. */
import type { Clock, TimerHandle, Timers } from '../../src/core/clock.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock, Timers {
  #now: number;
  #nextId = 1;
  #pending: Pending[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#pending.push({ id, at: this.#now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle.id);
  }

  /** Move time forward by `ms`, firing due timers in deadline order (ties in creation order). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#pending = this.#pending.filter((p) => p.id !== due.id);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }

  /** The deadline of the earliest pending timer (absent: none), to step from timer to timer. */
  nextAt(): number | undefined {
    let at: number | undefined;
    for (const p of this.#pending) if (at === undefined || p.at < at) at = p.at;
    return at;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }
}
