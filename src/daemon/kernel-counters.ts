// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel's IPVS counters for the metrics endpoint (`ipvs-stats` on the LVS worker's control
 * socket): one dump with stats for the scrapes of the same 2 s (the kernel refreshes its counters
 * every 2 s), never two at once on the checkers' event loop (src/core/recent-result.ts).
 */
import { recentResult } from '../core/recent-result.js';
import type { IpvsKernel } from '../ipvs/ops.js';
import type { IpvsStatsSnapshot } from '../metrics/ipvs-stats.js';
import { ipvsStatsSnapshot } from '../metrics/ipvs-stats.js';
import { monotonicClock } from './clock.js';

const shared = new WeakMap<IpvsKernel, () => Promise<IpvsStatsSnapshot>>();

export function kernelCounters(kernel: IpvsKernel): Promise<IpvsStatsSnapshot> {
  let read = shared.get(kernel);
  if (!read) {
    read = recentResult(
      async () => ipvsStatsSnapshot(await kernel.dump({ stats: true })),
      2000,
      monotonicClock,
    );
    shared.set(kernel, read);
  }
  return read();
}
