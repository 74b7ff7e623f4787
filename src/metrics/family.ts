// SPDX-License-Identifier: Apache-2.0
/**
 * Metric families as data, in the shape prom-client's registries report them
 * (`Registry.getMetricsAsJSON()`) and `AggregatorRegistry.aggregate()` takes: what the mapping
 * modules (vrrp.ts, lvs.ts, supervisor.ts) build from the engines' snapshots, and render.ts turns
 * into the exposition text. Counters carry the engines' own totals (nothing is counted twice).
 * Pure.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string | number>>;

export interface MetricSample {
  readonly value: number;
  readonly labels: Labels;
  /** The series name when it is not the family's (a histogram's `_bucket`, `_sum`, `_count`). */
  readonly metricName?: string;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** How prom-client merges a family reported by several sources: every series is one source's. */
  readonly aggregator: 'sum';
  readonly values: MetricSample[];
}

export function family(name: string, type: MetricType, help: string): MetricFamily {
  return { name, help, type, aggregator: 'sum', values: [] };
}

/** Add one series; returns the family, so a builder reads as a list. */
export function sample(f: MetricFamily, value: number, labels: Labels = {}): MetricFamily {
  f.values.push({ value, labels });
  return f;
}

/**
 * A histogram's series from per-bucket counts: `counts[i]` observations at most `bounds[i]`
 * (above the previous bound), and `counts[bounds.length]` above the last bound.
 */
export function histogram(
  f: MetricFamily,
  h: { bounds: readonly number[]; counts: readonly number[]; sum: number },
  labels: Labels = {},
): MetricFamily {
  let cumulative = 0;
  h.bounds.forEach((le, i) => {
    cumulative += h.counts[i] ?? 0;
    f.values.push({
      metricName: `${f.name}_bucket`,
      value: cumulative,
      labels: { ...labels, le: String(le) },
    });
  });
  cumulative += h.counts[h.bounds.length] ?? 0;
  f.values.push({ metricName: `${f.name}_bucket`, value: cumulative, labels: { ...labels, le: '+Inf' } });
  f.values.push({ metricName: `${f.name}_sum`, value: h.sum, labels });
  f.values.push({ metricName: `${f.name}_count`, value: cumulative, labels });
  return f;
}

/** 1 or 0. */
export const bool = (b: boolean): number => (b ? 1 : 0);
