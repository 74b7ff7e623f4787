// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS worker's status as data (`lvsd status`, the control socket, the SIGUSR1 dump): each
 * virtual server's quorum, each real's state, weight, drain and checks, and the kernel update
 * counts. Pure.
 */
import { effectiveWeight, realAlive } from './real-server.js';
import type { HistogramSnapshot } from '../core/histogram.js';
import type { SyncLoopStats } from '../ipvs/sync-loop.js';
import type { SchedulerStats } from './scheduler.js';
import type { BgpStatus } from '../bgp/announcements.js';
import type { CheckSpec } from './types.js';
import { rsText, vsText } from './effects.js';
import type { CheckWorld } from './virtual-server.js';
import { realKeyOf, vsIdOf } from './virtual-server.js';

export interface LvsStatus {
  virtualServers: Array<{
    vs: string;
    quorumUp: boolean;
    reals: Array<{
      rs: string;
      alive: boolean;
      drained: boolean;
      weight: number;
      checks: Array<{ kind: string; up: boolean; lastFailure?: string }>;
    }>;
  }>;
  /** Kernel updates that succeeded. */
  syncs: number;
  /** Kernel updates that failed (each is retried). */
  syncErrors: number;
  /** Drift checks that found lvsd's services changed in the kernel behind its back (each repaired). */
  driftFound: number;
}

/** What the LVS worker reports (`lvsd status --json`, the SIGUSR1 dump, the metrics endpoint). */
export interface LvsWorkerSnapshot extends LvsStatus {
  /** Checks since the start: runs, late runs; lateness of the window under way. */
  scheduler: SchedulerStats;
  /** The last complete lateness window (ten seconds). */
  schedulerWindow: SchedulerStats;
  /** Probe durations by checker kind (probes run on the event loop). */
  checkDurations: Record<string, HistogramSnapshot>;
  /** Kernel operations by op, applied (`ok`) and refused (`error`). */
  ipvsOps: SyncLoopStats['ops'];
  /** The BGP announcements, when `lvsd_bgp_table` is set. */
  bgp?: BgpStatus;
}

export function buildStatus(
  spec: CheckSpec,
  world: CheckWorld,
  kernel: { syncs: number; syncErrors: number; driftFound: number },
): LvsStatus {
  return {
    syncs: kernel.syncs,
    syncErrors: kernel.syncErrors,
    driftFound: kernel.driftFound,
    virtualServers: spec.virtualServers.map((vs) => ({
      vs: vsText(vs),
      quorumUp: world.vss.get(vsIdOf(vs))?.quorumUp ?? false,
      reals: vs.reals.map((rs) => {
        const st = world.reals.get(realKeyOf(vs, rs));
        return {
          rs: rsText(rs, vs),
          alive: st ? realAlive(st) : false,
          drained: st?.drained ?? false,
          weight: st ? effectiveWeight(rs, st) : 0,
          checks: rs.checkers.map((c, i) => {
            const cs = st?.checks[i];
            const out: { kind: string; up: boolean; lastFailure?: string } = {
              kind: c.kind,
              up: cs?.up ?? false,
            };
            if (cs?.lastFailure !== undefined) out.lastFailure = cs.lastFailure;
            return out;
          }),
        };
      }),
    })),
  };
}
