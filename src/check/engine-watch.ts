// SPDX-License-Identifier: Apache-2.0
/**
 * The TCP check engine's figures seen from the event loop: every second, a rate-limited warning
 * when its probes started late (as the scheduler warns about its own) or were deferred for lack of
 * sockets; and its counters merged into the scheduler's, one view of all checks. Pure: the clock,
 * timers and logger are injected.
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { SchedulerStats } from './scheduler.js';
import { lateWarnEveryMs, lateWarningText } from './scheduler.js';
import type { TcpCheckEngine, TcpEngineStats } from './tcp-engine.js';

/** The engine is polled this often. */
const engineWatchMs = 1000;

/** A counter that is warned about, at most once per period, when it has grown since the last warning. */
class GrowthWarning {
  #seen = 0;
  #last = -Infinity;
  readonly #everyMs: number;
  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  /** How much `value` grew since the last warning, when a warning is due now; else undefined. */
  take(value: number, now: number): number | undefined {
    if (value <= this.#seen || now - this.#last < this.#everyMs) return undefined;
    const growth = value - this.#seen;
    this.#seen = value;
    this.#last = now;
    return growth;
  }
}

/** Poll the engine every second and warn as the scheduler does; returns the function that stops it. */
export function watchEngine(
  engine: TcpCheckEngine,
  o: { clock: Clock; timers: Timers; logger: Logger },
): () => void {
  const late = new GrowthWarning(lateWarnEveryMs);
  const local = new GrowthWarning(lateWarnEveryMs);
  let timer: TimerHandle | undefined;
  let stopped = false;
  const poll = (): void => {
    const s = engine.stats(false);
    const now = o.clock.now();
    const lateRuns = late.take(s.lateRuns, now);
    if (lateRuns !== undefined) {
      o.logger.warn(lateWarningText, {
        maxLatenessMs: s.maxLatenessMs,
        lateRuns,
        inFlight: s.inFlight,
        tasks: s.checks,
        engine: 'tcp',
      });
    }
    const deferred = local.take(s.localErrors, now);
    if (deferred !== undefined) {
      o.logger.warn('health checks deferred: this director is short of sockets, the reals are not blamed', {
        error: s.lastLocalError,
        deferred,
        inFlight: s.inFlight,
        maxInFlight: s.maxInFlight,
      });
    }
  };
  const arm = (): void => {
    timer = o.timers.setTimeout(() => {
      if (stopped) return;
      poll();
      arm();
    }, engineWatchMs);
  };
  arm();
  return () => {
    stopped = true;
    if (timer) o.timers.clearTimeout(timer);
  };
}

/** The scheduler's figures with the TCP engine's added in. */
export function withEngineStats(s: SchedulerStats, e: TcpEngineStats): SchedulerStats {
  const runs = s.windowRuns + e.windowRuns;
  return {
    tasks: s.tasks + e.checks,
    inFlight: s.inFlight + e.inFlight,
    waiting: s.waiting,
    runs: s.runs + e.runs,
    lateRuns: s.lateRuns + e.lateRuns,
    windowRuns: runs,
    maxLatenessMs: Math.max(s.maxLatenessMs, e.maxLatenessMs),
    meanLatenessMs: runs ? (s.meanLatenessMs * s.windowRuns + e.sumLatenessMs) / runs : 0,
  };
}
