// SPDX-License-Identifier: Apache-2.0
/**
 * The garbage collector in this process, seen through one perf_hooks 'gc' observer: its pauses (how
 * many, the longest and their sum, for `lvsd status` and the dump; the longest is what a realtime
 * worker's RLIMIT_RTTIME must leave room for, src/daemon/process-schedule.ts), and the end of each
 * major (mark-compact) collection for whoever acts on it (the LVS worker's malloc trims,
 * malloc-release.io.ts). One observer per process: each costs a callback per batch of entries.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface GcSummary {
  count: number;
  maxPauseMs: number;
  totalMs: number;
}

/** Calls `listener` after each of this process's major collections; returns its removal. */
export type AfterMajorGc = (listener: () => void) => () => void;

export class GcPauses {
  private readonly seen: GcSummary = { count: 0, maxPauseMs: 0, totalMs: 0 };
  private readonly majorListeners = new Set<() => void>();
  private readonly observer = new PerformanceObserver((list) => {
    let major = false;
    for (const e of list.getEntries()) {
      this.seen.count++;
      this.seen.totalMs += e.duration;
      if (e.duration > this.seen.maxPauseMs) this.seen.maxPauseMs = e.duration;
      // a 'gc' entry's detail (Node >= 16) is absent from this @types/node's PerformanceEntry
      const kind = (e as { detail?: { kind?: number } | null }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major = true;
    }
    if (major) for (const listener of [...this.majorListeners]) listener();
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  readonly afterMajorGc: AfterMajorGc = (listener) => {
    const own = (): void => listener(); // the same function added twice is still two listeners
    this.majorListeners.add(own);
    return () => void this.majorListeners.delete(own);
  };

  summary(): GcSummary {
    const round = (ms: number): number => Math.round(ms * 1000) / 1000;
    return {
      count: this.seen.count,
      maxPauseMs: round(this.seen.maxPauseMs),
      totalMs: round(this.seen.totalMs),
    };
  }

  stop(): void {
    this.observer.disconnect();
    this.majorListeners.clear();
  }
}
