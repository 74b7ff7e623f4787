// SPDX-License-Identifier: Apache-2.0
/**
 * The exposition text of every source's metric families, merged by prom-client's
 * `AggregatorRegistry.aggregate` (the helper prom-client offers for one endpoint over several
 * processes; its cluster-module transport does not fit lvsd's forked workers, so the supervisor
 * collects the snapshots itself and hands them here). Pure (prom-client formats; nothing is read
 * or written).
 */
import promClient from 'prom-client';
import type { MetricFamily } from './family.js';

/** Prometheus text format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = promClient.Registry.PROMETHEUS_CONTENT_TYPE;

/** The families of every source (one array per worker, one for the supervisor) as one exposition. */
export function renderMetrics(sources: ReadonlyArray<readonly MetricFamily[]>): Promise<string> {
  return promClient.AggregatorRegistry.aggregate(sources.map((s) => [...s])).metrics();
}
