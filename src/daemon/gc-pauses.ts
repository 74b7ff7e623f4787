// SPDX-License-Identifier: Apache-2.0
/**
 * The garbage collector's pauses in this process (perf_hooks 'gc' entries): how many, the longest
 * and their sum, for `lvsd status` and the dump. The longest is what a realtime worker's
 * RLIMIT_RTTIME must leave room for (src/daemon/process-schedule.ts).
 */
import { PerformanceObserver } from 'node:perf_hooks';

export interface GcSummary {
  count: number;
  maxPauseMs: number;
  totalMs: number;
}

export class GcPauses {
  private readonly seen: GcSummary = { count: 0, maxPauseMs: 0, totalMs: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.seen.count++;
      this.seen.totalMs += e.duration;
      if (e.duration > this.seen.maxPauseMs) this.seen.maxPauseMs = e.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

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
  }
}
