// SPDX-License-Identifier: Apache-2.0
/**
 * When to restart a crashed worker. Pure: given the crash history and `now`, returns the delay.
 * Exponential backoff (1 s, 2 s, 4 s … capped at 30 s) so a worker that dies at start does not spin,
 * reset once a worker has run for `stableMs`, so one crash a day always restarts after 1 s.
 * A worker that crashes `maxCrashes` times in a row without a stable run in between is a crash
 * loop: the supervisor gives up and exits non-zero, so systemd shows the unit failed (and its
 * Restart= policy decides) instead of "active (running)" with a worker that never runs.
 */

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  stableMs: number;
  /** Consecutive crashes that make a crash loop [5]. */
  maxCrashes?: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  stableMs: 60_000,
  maxCrashes: 5,
};

export interface WorkerRun {
  /** Consecutive crashes without a stable run in between. */
  crashes: number;
  startedAt: number;
}

/** Delay before restarting a worker that started at `run.startedAt` and exited at `now`. */
export function restartDelay(
  run: WorkerRun,
  now: number,
  policy: RestartPolicy = defaultRestartPolicy,
): { delayMs: number; crashes: number; giveUp: boolean } {
  const crashes = now - run.startedAt >= policy.stableMs ? 1 : run.crashes + 1;
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (crashes - 1));
  return { delayMs, crashes, giveUp: crashes >= (policy.maxCrashes ?? Infinity) };
}
