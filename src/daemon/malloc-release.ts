// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS worker's freed malloc memory given back to the kernel. Node's buffers (a model file read,
 * netlink dumps and requests, IPC) are malloc's, not V8's heap; glibc returns to the kernel only the
 * free top of its heap, and a freed buffer larger than its mmap threshold raises that threshold, so
 * the next large buffers come from the heap as well. What a large model's read and programming left
 * free in the middle stayed resident for the worker's life (bench/results/footprint-lvs.md).
 * V8 frees buffers at its major collections: after each, malloc_trim(3) (native/process_control.c
 * `mallocTrim`), at most once every `spacingMs`, a trim held back by the spacing done at its end.
 * Pure: the trim, clock and timers are injected (malloc-release.io.ts wires them).
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';

export interface FreedMemoryReleaseDeps {
  /** malloc_trim(0): true when pages went back to the kernel. */
  trim(): boolean;
  clock: Clock;
  timers: Timers;
  /** The least time between two trims (a trim walks every free chunk of every arena). */
  spacingMs?: number;
}

/** How many trims ran, and how many of them gave memory back. */
export interface FreedMemoryCounters {
  trims: number;
  released: number;
}

export class FreedMemoryRelease {
  #lastAt = Number.NEGATIVE_INFINITY;
  #held: TimerHandle | undefined;
  #trims = 0;
  #released = 0;
  readonly #spacingMs: number;

  constructor(private readonly deps: FreedMemoryReleaseDeps) {
    this.#spacingMs = deps.spacingMs ?? 10_000;
  }

  /** A major collection has ended: trim now, or once the spacing since the last trim has passed. */
  afterMajorGc(): void {
    if (this.#held !== undefined) return;
    const wait = this.#lastAt + this.#spacingMs - this.deps.clock.now();
    if (wait <= 0) {
      this.#trim();
      return;
    }
    this.#held = this.deps.timers.setTimeout(() => {
      this.#held = undefined;
      this.#trim();
    }, wait);
  }

  counters(): FreedMemoryCounters {
    return { trims: this.#trims, released: this.#released };
  }

  stop(): void {
    if (this.#held !== undefined) this.deps.timers.clearTimeout(this.#held);
    this.#held = undefined;
  }

  #trim(): void {
    this.#lastAt = this.deps.clock.now();
    this.#trims++;
    if (this.deps.trim()) this.#released++;
  }
}
