// SPDX-License-Identifier: Apache-2.0
/**
 * Checker hysteresis as one reducer used by every probe type: `retry`, `delay_before_retry`,
 * `delay_loop`, `warmup` and `alpha`, with keepalived's per-checker epilogues as its rules (the
 * differences between checker kinds are data: `timing.failurePacing`, `timing.urlRound`). Pure.
 * docs/config.md ("Check timing") states the rules with keepalived 2.2.7's source as reference:
 * - a checker starts with its retries used up, so before its first verdict one failure is enough;
 * - a checker that is up goes down after `retry` + 1 consecutive failed probes, the retries
 *   `delay_before_retry` apart; a success resets the count;
 * - a down checker comes back on one success (HTTP_GET/SSL_GET without `fast_recovery`: the failed
 *   URL again, then a round of every URL, `delay_loop` apart);
 * - how a down checker is paced after a failure depends on its kind (`FailurePacing`).
 * Dynamic weights (MISC misc_dynamic, FILE dynamic) travel with a success.
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
  /** Failed probes so far in the current retry sequence (starts at `retry`: see initialCheckState). */
  retryIt: number;
  /** Last dynamic weight reported by a successful probe (absent = none). */
  dynamicWeight?: number;
  /** Why the last probe failed (for status and logs). */
  lastFailure?: string;
  /** Successes so far towards `timing.urlRound` (absent: none). */
  rising?: number;
  /** HTTP_GET/SSL_GET: down, and the URL that failed has not answered since (keepalived's failed_url). */
  failedUrl?: boolean;
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

/**
 * Initial state: up unless `alpha`, with the retries used up: keepalived sets every checker's
 * retry count to `retry` when it starts, so the first failure is a verdict (down at once without
 * `alpha`), not the start of a retry sequence.
 */
export function initialCheckState(
  timing: Pick<CheckTiming, 'alpha' | 'retry' | 'retriesBeforeFirstVerdict'>,
): CheckState {
  return { up: !timing.alpha, hasRun: false, retryIt: timing.retriesBeforeFirstVerdict ? 0 : timing.retry };
}

/** A change of a checker's state: a field given as `undefined` is removed. */
type CheckStateChange = { [K in keyof CheckState]?: CheckState[K] | undefined };

/**
 * `prev` with `change`, built field by field in one order: every state with the same fields has
 * one V8 hidden class (a copy by spread that adds a field gets a class of its own on Node 20, and a
 * `delete` turns an object into a dictionary; the states of every real are read on each plan).
 */
function changed(prev: CheckState, change: CheckStateChange): CheckState {
  const at = <K extends keyof CheckState>(k: K): CheckState[K] =>
    (k in change ? change[k] : prev[k]) as CheckState[K];
  const state: CheckState = { up: at('up'), hasRun: at('hasRun'), retryIt: at('retryIt') };
  const dynamicWeight = at('dynamicWeight');
  if (dynamicWeight !== undefined) state.dynamicWeight = dynamicWeight;
  const lastFailure = at('lastFailure');
  if (lastFailure !== undefined) state.lastFailure = lastFailure;
  const rising = at('rising');
  if (rising !== undefined) state.rising = rising;
  const failedUrl = at('failedUrl');
  if (failedUrl !== undefined) state.failedUrl = failedUrl;
  return state;
}

/**
 * Delay before a checker's first probe: a random point in [0, warmup] (the resolved `warmup`, which
 * defaults to `delay_loop`), so that many checkers with one interval do not all fire together.
 */
export function firstProbeDelay(timing: Pick<CheckTiming, 'warmupMs'>, rng: Rng): number {
  return Math.min(timing.warmupMs, Math.floor(rng.next() * (timing.warmupMs + 1)));
}

/** The next checker state after one probe result. */
export function nextCheckState(prev: CheckState, probe: ProbeResult, timing: CheckTiming): CheckStep {
  return probe.ok ? afterSuccess(prev, probe.weight, timing) : afterFailure(prev, probe.reason, timing);
}

function afterSuccess(prev: CheckState, weight: number | undefined, timing: CheckTiming): CheckStep {
  const round = timing.urlRound;
  if (round !== undefined && (!prev.up || !prev.hasRun)) {
    // keepalived's HTTP round: the failed URL answering starts a new round of every URL.
    if (prev.failedUrl) {
      const state = changed(prev, { retryIt: 0, rising: 0, failedUrl: undefined, lastFailure: undefined });
      return { state, delayMs: timing.delayLoopMs };
    }
    const rising = (prev.rising ?? 0) + 1;
    if (rising < round) {
      // before the first verdict keepalived keeps the retries used up (one failure is a verdict)
      const state = changed(prev, {
        retryIt: prev.hasRun ? 0 : timing.retry,
        rising,
        lastFailure: undefined,
      });
      return { state, delayMs: timing.delayLoopMs };
    }
  }
  const state: CheckState = { up: true, hasRun: true, retryIt: 0 };
  const w = weight ?? prev.dynamicWeight;
  if (w !== undefined) state.dynamicWeight = w;
  const step: CheckStep = { state, delayMs: timing.delayLoopMs };
  if (!prev.up) step.transition = 'up';
  else if (!prev.hasRun) step.firstVerdict = true;
  if (weight !== undefined && weight !== prev.dynamicWeight && prev.up) step.weightChanged = true;
  return step;
}

function afterFailure(prev: CheckState, reason: string, timing: CheckTiming): CheckStep {
  const pacing = timing.failurePacing ?? 'always';
  if (prev.hasRun && !prev.up && pacing !== 'always') {
    // already down: no retry sequence, only the pace of the next probe
    const state = changed(prev, { lastFailure: reason });
    const delayMs =
      pacing === 'while-up'
        ? timing.delayLoopMs
        : prev.failedUrl
          ? Math.max(timing.delayBeforeRetryMs, timing.delayLoopMs)
          : timing.delayBeforeRetryMs;
    return { state, delayMs };
  }
  if (prev.retryIt < timing.retry) {
    const state = changed(prev, { retryIt: prev.retryIt + 1, lastFailure: reason });
    return { state, delayMs: timing.delayBeforeRetryMs, retrying: true };
  }
  const state: CheckState = { up: false, hasRun: true, retryIt: 0 };
  if (prev.dynamicWeight !== undefined) state.dynamicWeight = prev.dynamicWeight;
  state.lastFailure = reason; // after dynamicWeight: the order `changed` builds in
  let delayMs = timing.delayLoopMs;
  if (pacing === 'http') {
    state.failedUrl = true;
    delayMs = Math.max(timing.delayBeforeRetryMs, timing.delayLoopMs);
  }
  const step: CheckStep = { state, delayMs };
  if (prev.up) step.transition = 'down';
  else if (!prev.hasRun) step.firstVerdict = true;
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
    s.dynamicWeight === prev.dynamicWeight &&
    s.rising === prev.rising &&
    s.failedUrl === prev.failedUrl
  );
}
