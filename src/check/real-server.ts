// SPDX-License-Identifier: Apache-2.0
/**
 * Real-server state: alive only when every checker is up; effective weight from the configured
 * weight plus dynamic MISC/FILE adjustments (keepalived semantics); operator drain. Pure.
 */
import type { CheckState } from './result.js';
import { initialCheckState } from './result.js';
import type { RealServerSpec } from './types.js';

/** IPVS weights are a signed 32-bit field; keepalived clamps effective weight to [0, INT32_MAX]. */
export const ipvsWeightMax = 2147483647;

export interface RealState {
  /** One entry per checker of the spec, same order. */
  checks: CheckState[];
  /** The operator drained it (`lvsd real drain`): weight 0, not counted for quorum. */
  drained: boolean;
}

export function initialRealState(spec: RealServerSpec, drained = false): RealState {
  return { checks: spec.checkers.map((c) => initialCheckState(c.timing)), drained };
}

/** Alive = every checker up (a real without checkers is always alive). */
export function realAlive(state: RealState): boolean {
  return state.checks.every((c) => c.up);
}

/**
 * Effective weight. A `misc_dynamic` checker's exit status E sets the weight to E-2 (it adds
 * E-2-weight); a dynamic FILE_CHECK adds value×weight. Clamped to [0, INT32_MAX] as keepalived's
 * real_weight() does.
 */
export function effectiveWeight(spec: RealServerSpec, state: RealState): number {
  let w = spec.weight;
  spec.checkers.forEach((c, i) => {
    const dw = state.checks[i]?.dynamicWeight;
    if (dw === undefined) return;
    if (c.kind === 'misc' && c.dynamic) w += dw - spec.weight;
    else if (c.kind === 'file' && c.dynamic) w += dw;
  });
  return Math.max(0, Math.min(ipvsWeightMax, w));
}

/** Weight counted toward quorum: live, not drained reals only. */
export function liveWeight(spec: RealServerSpec, state: RealState): number {
  return realAlive(state) && !state.drained ? effectiveWeight(spec, state) : 0;
}

/** Carry checker states over a reload when the checkers are unchanged (keepalived migrate_checkers). */
export function migrateRealState(
  oldSpec: RealServerSpec,
  oldState: RealState,
  newSpec: RealServerSpec,
): RealState {
  const same =
    oldSpec.checkers.length === newSpec.checkers.length &&
    oldSpec.checkers.every((c, i) => JSON.stringify(c) === JSON.stringify(newSpec.checkers[i]));
  return same
    ? { checks: oldState.checks.map((c) => ({ ...c })), drained: oldState.drained }
    : initialRealState(newSpec, oldState.drained);
}
