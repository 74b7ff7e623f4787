// SPDX-License-Identifier: Apache-2.0
/**
 * A fixed-bucket histogram of durations in seconds, kept as plain counters so that observing is a
 * few comparisons and the snapshot is JSON (the status dump, `lvsd status --json`, the metrics
 * endpoint, which turns it into a Prometheus histogram). Pure.
 */

/** Upper bounds (seconds) for probe durations: 1 ms to a minute (checks time out within that). */
export const DURATION_BOUNDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** What a histogram reports: its bounds, the count in each bucket (not cumulative; one more for +Inf). */
export interface HistogramSnapshot {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export class BucketHistogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #count = 0;
  #sum = 0;

  constructor(bounds: readonly number[] = DURATION_BOUNDS) {
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    const v = seconds > 0 ? seconds : 0;
    let i = 0;
    while (i < this.#bounds.length && v > (this.#bounds[i] ?? Infinity)) i++;
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    this.#count++;
    this.#sum += v;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: this.#bounds, counts: [...this.#counts], count: this.#count, sum: this.#sum };
  }
}
