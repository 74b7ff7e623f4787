// SPDX-License-Identifier: Apache-2.0
/**
 * Checker hysteresis as one reducer used by every probe type: `retry`, `delay_before_retry`,
 * `delay_loop`, `warmup` and `alpha` (keepalived's per-checker epilogue, written once). Pure.
 * A failure counts only after `retry` further failed probes, each `delay_before_retry` apart; a
 * success counts at once and resets the retry count, except that a checker which is not up may
 * need several successes `delay_loop` apart (`timing.rise`: HTTP_GET/SSL_GET without
 * `fast_recovery`). Dynamic weights (MISC misc_dynamic, FILE dynamic) travel with a success.
 */
import type { Rng } from '../core/clock.js';
import type { CheckTiming } from './types.js';

/** What one probe found. `weight` is set by dynamic checkers (MISC exit-2, FILE value×weight). */
export type ProbeResult = { ok: true; weight?: number } | { ok: false; reason: string };

export interface CheckState {
  /** Whether the checker currently counts as up. */
  up: boolean;
  /** A first verdict (success, or failure after retries) has been reached. */
  hasRun: boolean;
  /** Failed probes so far in the current retry sequence. */
  retryIt: number;
  /** Last dynamic weight reported by a successful probe (absent = none). */
  dynamicWeight?: number;
  /** Why the last probe failed (for status and logs). */
  lastFailure?: string;
  /** Successes so far towards `timing.rise` (absent: none). */
  rising?: number;
}

export interface CheckStep {
  state: CheckState;
  /** Delay until the next probe. */
  delayMs: number;
  /** Set only when `up` changed: logged once, never per probe. */
  transition?: 'up' | 'down';
  /** The first verdict was reached without a change of `up` (keepalived's has_run notify). */
  firstVerdict?: boolean;
  /** A failure that is being retried (logged only with log_all_failures). */
  retrying?: boolean;
  /** The dynamic weight changed on a probe that did not change `up`. */
  weightChanged?: boolean;
}

/** Initial state: up unless `alpha`. */
export function initialCheckState(timing: Pick<CheckTiming, 'alpha'>): CheckState {
  return { up: !timing.alpha, hasRun: false, retryIt: 0 };
}

/**
 * Delay before a checker's first probe: a random point in `warmup` when set, else a random point
 * in `delay_loop` so that many checkers with one interval do not all fire together.
 */
export function firstProbeDelay(timing: Pick<CheckTiming, 'warmupMs' | 'delayLoopMs'>, rng: Rng): number {
  const span = timing.warmupMs > 0 ? timing.warmupMs : timing.delayLoopMs;
  return Math.floor(rng.next() * span);
}

/** How many successes a checker in `prev` needs before a success is a verdict (keepalived's URL rounds). */
function riseNeeded(prev: CheckState, timing: CheckTiming): number {
  if (!timing.rise) return 1;
  if (!prev.hasRun) return timing.rise.first;
  return prev.up ? 1 : timing.rise.afterFailure;
}

/** The next checker state after one probe result. */
export function nextCheckState(prev: CheckState, probe: ProbeResult, timing: CheckTiming): CheckStep {
  if (probe.ok) {
    const rising = (prev.rising ?? 0) + 1;
    if (rising < riseNeeded(prev, timing)) {
      const state: CheckState = { ...prev, retryIt: 0, rising };
      delete state.lastFailure;
      return { state, delayMs: timing.delayLoopMs };
    }
  }
  if (!probe.ok && prev.retryIt < timing.retry) {
    const state: CheckState = { ...prev, retryIt: prev.retryIt + 1, lastFailure: probe.reason };
    delete state.rising;
    return {
      state,
      delayMs: timing.delayBeforeRetryMs,
      retrying: true,
    };
  }
  const state: CheckState = { up: probe.ok, hasRun: true, retryIt: 0 };
  if (probe.ok) {
    const w = probe.weight ?? prev.dynamicWeight;
    if (w !== undefined) state.dynamicWeight = w;
  } else {
    if (prev.dynamicWeight !== undefined) state.dynamicWeight = prev.dynamicWeight;
    state.lastFailure = probe.reason;
  }
  const step: CheckStep = { state, delayMs: timing.delayLoopMs };
  if (prev.up !== state.up) step.transition = state.up ? 'up' : 'down';
  else if (!prev.hasRun) step.firstVerdict = true;
  if (probe.ok && probe.weight !== undefined && probe.weight !== prev.dynamicWeight && prev.up === state.up) {
    step.weightChanged = true;
  }
  return step;
}

/**
 * Whether a success would leave this checker exactly as it is (same state, no event, next probe
 * after `delay_loop`): such successes need not even reach the manager (see tcp-engine.ts).
 */
export function successIsQuiet(prev: CheckState, timing: CheckTiming): boolean {
  const step = nextCheckState(prev, { ok: true }, timing);
  const s = step.state;
  return (
    step.transition === undefined &&
    step.firstVerdict === undefined &&
    step.weightChanged === undefined &&
    step.delayMs === timing.delayLoopMs &&
    s.up === prev.up &&
    s.hasRun === prev.hasRun &&
    s.retryIt === prev.retryIt &&
    s.lastFailure === prev.lastFailure &&
    s.dynamicWeight === prev.dynamicWeight
  );
}
