// SPDX-License-Identifier: Apache-2.0
/**
 * The supervisor's own metrics: the build, reloads by result, and per worker its restarts and
 * whether it answered this scrape. Pure: the supervisor passes in what it knows.
 */
import { bool, family, sample, type MetricFamily } from './family.js';

/** How reloads ended: applied by every worker, refused (the file does not validate), or failed. */
export interface ReloadCounts {
  success: number;
  invalid: number;
  failed: number;
}

/** The last reload's time, and when one was last applied. */
export interface ReloadTimes {
  /**
   * Seconds from its start (SIGHUP, `lvsd reload`) until every worker answered, or until it was
   * refused; undefined before any reload.
   */
  lastSeconds: number | undefined;
  /** Unix time, seconds, of the last reload every worker applied; the supervisor's start before any. */
  lastSuccessAt: number;
}

export interface SupervisorView {
  readonly version: string;
  /** The Node.js version lvsd runs on (`v24.22.3`). */
  readonly node: string;
  readonly reloads: Readonly<ReloadCounts>;
  /** Whether the last reload was applied by every worker (true before any reload). */
  readonly lastReloadOk: boolean;
  readonly reloadTimes: Readonly<ReloadTimes>;
  /** Each worker the configuration needs: restarts after a crash, and whether it answered this scrape. */
  readonly workers: ReadonlyArray<{ name: string; restarts: number; answered: boolean }>;
}

export function supervisorFamilies(v: SupervisorView): MetricFamily[] {
  const lastReloadDuration = family(
    'lvsd_config_last_reload_duration_seconds',
    'gauge',
    'How long the last reload took: from SIGHUP or lvsd reload until every worker answered, or until the file was refused.',
  );
  if (v.reloadTimes.lastSeconds !== undefined) sample(lastReloadDuration, v.reloadTimes.lastSeconds); // (none before any)
  return [
    sample(family('lvsd_build_info', 'gauge', 'lvsd version and the Node.js it runs on (always 1).'), 1, {
      version: v.version,
      node: v.node,
    }),
    (['success', 'invalid', 'failed'] as const).reduce(
      (f, result) => sample(f, v.reloads[result], { result }),
      family(
        'lvsd_config_reloads_total',
        'counter',
        'Configuration reloads: applied (success), refused file (invalid), not applied by every worker (failed).',
      ),
    ),
    sample(
      family(
        'lvsd_config_last_reload_successful',
        'gauge',
        'Whether the last reload was applied (1; also before any reload) or not (0).',
      ),
      bool(v.lastReloadOk),
    ),
    sample(
      family(
        'lvsd_config_last_reload_success_timestamp_seconds',
        'gauge',
        'Unix time of the last reload applied by every worker (the start of lvsd before any).',
      ),
      v.reloadTimes.lastSuccessAt,
    ),
    lastReloadDuration,
    v.workers.reduce(
      (f, w) => sample(f, w.restarts, { worker: w.name }),
      family('lvsd_worker_restarts_total', 'counter', 'Times the supervisor restarted a crashed worker.'),
    ),
    v.workers.reduce(
      (f, w) => sample(f, bool(w.answered), { worker: w.name }),
      family(
        'lvsd_worker_up',
        'gauge',
        'Whether the worker answered this scrape (1); 0: its metrics are missing from it.',
      ),
    ),
  ];
}
