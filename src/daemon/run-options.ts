// SPDX-License-Identifier: Apache-2.0
/**
 * What `lvsd run` was asked to do, as the daemon takes it (the CLI parses argv into this). The
 * daemon never imports the CLI: `src/cli/commands/run.ts` builds these and calls in.
 */
import type { ListenAddress } from '../core/listen.js';

/** Where a daemon process writes what it says before its logger exists (diagnostics, usage). */
export interface DaemonIo {
  stderr(text: string): void;
}

export interface RunOptions {
  configFile: string;
  configId: string | undefined;
  /** Set by the supervisor: the validated Model as JSON (src/daemon/run-config.ts). */
  modelFile?: string | undefined;
  /** `--metrics ADDR:PORT`: where the supervisor serves Prometheus metrics (wins over `lvsd_metrics`). */
  metrics?: ListenAddress | undefined;
  /**
   * `--lenient`, as for check-config: keepalived keywords lvsd does not implement are warnings and
   * ignored, at start and on every reload (src/daemon/validate-config.ts).
   */
  lenient?: boolean | undefined;
  /**
   * Set by the supervisor on a worker it forks before the config is validated (so that the
   * worker's start-up overlaps the validation): wait for its word that the model file is written.
   */
  awaitModel?: boolean | undefined;
  /**
   * `--realtime` (the systemd unit's): the VRRP worker runs SCHED_RR unless
   * global_defs says otherwise (src/daemon/process-schedule.ts REALTIME_DEFAULTS).
   */
  realtime?: boolean | undefined;
  io: DaemonIo;
}

/** The run directory (`$LVSD_RUN_DIR`, default /run/lvsd): pid files, control sockets, dumps. */
export function runDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env['LVSD_RUN_DIR'] ?? '/run/lvsd';
}
