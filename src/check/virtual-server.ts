// SPDX-License-Identifier: Apache-2.0
/**
 * Virtual-server state and the world of all checked reals: quorum with hysteresis (gain at
 * ≥ quorum + hysteresis, lose at < quorum − hysteresis or at zero), sorry server in use while the
 * quorum is lost, and the events (RS/VS up/down) a checker step or a drain causes. Pure.
 * Follows keepalived check/ipwrapper.c update_quorum_state and perform_svr_state.
 */
import { serviceId } from '../ipvs/model.js';
import type { CheckStep } from './result.js';
import type { RealState } from './real-server.js';
import { effectiveWeight, initialRealState, liveWeight, migrateRealState, realAlive } from './real-server.js';
import type { CheckSpec, RealServerSpec, VirtualServerSpec } from './types.js';
import { realKey } from './types.js';
import { type SpecChanges, specChanges } from './spec-changes.js';

export interface VsState {
  quorumUp: boolean;
}

/** All run-time state of the check layer, keyed by service id and realKey(). */
export interface CheckWorld {
  vss: Map<string, VsState>;
  reals: Map<string, RealState>;
}

export type CheckEvent =
  | { type: 'rs'; vs: VirtualServerSpec; rs: RealServerSpec; up: boolean }
  | { type: 'vs'; vs: VirtualServerSpec; up: boolean; weightSum: number; threshold: number }
  | { type: 'weight'; vs: VirtualServerSpec; rs: RealServerSpec; weight: number };

/** A spec's service id and its reals' realKey()s, built once per spec object (specs are not mutated). */
const keyCache = new WeakMap<VirtualServerSpec, { id: string; reals: Map<RealServerSpec, string> }>();

function keysOf(vs: VirtualServerSpec): { id: string; reals: Map<RealServerSpec, string> } {
  let k = keyCache.get(vs);
  if (!k) {
    k = { id: serviceId(vs.service.key), reals: new Map() };
    keyCache.set(vs, k);
  }
  return k;
}

/** serviceId(vs.service.key), cached: it is needed for every check result. */
export function vsIdOf(vs: VirtualServerSpec): string {
  return keysOf(vs).id;
}

/** realKey(serviceId(vs.service.key), rs), cached per real. */
export function realKeyOf(vs: VirtualServerSpec, rs: RealServerSpec): string {
  const k = keysOf(vs);
  let key = k.reals.get(rs);
  if (key === undefined) {
    key = realKey(k.id, rs);
    k.reals.set(rs, key);
  }
  return key;
}

export function liveWeightSum(vs: VirtualServerSpec, world: CheckWorld): number {
  let sum = 0;
  for (const rs of vs.reals) {
    const st = world.reals.get(realKeyOf(vs, rs));
    if (st) sum += liveWeight(rs, st);
  }
  return sum;
}

/** Next quorum state for a live weight sum (keepalived update_quorum_state thresholds). */
export function nextQuorum(
  prev: VsState,
  weightSum: number,
  vs: Pick<VirtualServerSpec, 'quorum' | 'hysteresis'>,
): { state: VsState; threshold: number; transition?: 'up' | 'down' } {
  const threshold = vs.quorum + (prev.quorumUp ? -1 : 1) * vs.hysteresis;
  if (!prev.quorumUp && weightSum >= threshold && weightSum > 0) {
    return { state: { quorumUp: true }, threshold, transition: 'up' };
  }
  if (prev.quorumUp && (weightSum === 0 || weightSum < threshold)) {
    return { state: { quorumUp: false }, threshold, transition: 'down' };
  }
  return { state: prev, threshold };
}

/** Whether the sorry server replaces the reals right now. */
export function sorryActive(vs: VirtualServerSpec, st: VsState | undefined): boolean {
  return vs.sorryServer !== undefined && st !== undefined && !st.quorumUp;
}

/**
 * The world for a (new) spec, `prev`'s left as it is (`lvsd reload --dry-run`); see `updateWorld`.
 */
export function buildWorld(
  spec: CheckSpec,
  prev?: { spec: CheckSpec; world: CheckWorld },
  drained?: ReadonlySet<string>,
): CheckWorld {
  const world: CheckWorld = { vss: new Map(prev?.world.vss), reals: new Map(prev?.world.reals) };
  updateWorld(world, specChanges(prev?.spec ?? { virtualServers: [], notifyFifos: [] }, spec), drained);
  return world;
}

/**
 * Turn the world of `changes.from` into the world of `changes.to`, in place. Reals keep their state
 * when their checkers are unchanged; drains are looked up in `drained` (by realKey), so they survive
 * a reload. A virtual server that is the same object in both specs (CheckSpecBuilder keeps unchanged
 * ones) keeps its state and its reals' untouched, not looked at: a reload costs what it changed.
 */
export function updateWorld(
  world: CheckWorld,
  changes: Pick<SpecChanges, 'changed' | 'gone'>,
  drained?: ReadonlySet<string>,
): void {
  // edited and removed virtual servers leave; a real of theirs that stays migrates below
  const oldReals = new Map<string, { rs: RealServerSpec; state: RealState | undefined }>();
  const oldVss = new Map<string, VsState | undefined>();
  for (const vs of changes.gone) {
    for (const rs of vs.reals) {
      const key = realKeyOf(vs, rs);
      oldReals.set(key, { rs, state: world.reals.get(key) });
      world.reals.delete(key);
    }
    const id = vsIdOf(vs);
    oldVss.set(id, world.vss.get(id));
    world.vss.delete(id);
  }
  for (const vs of changes.changed) {
    const id = vsIdOf(vs);
    for (const rs of vs.reals) {
      const key = realKeyOf(vs, rs);
      const isDrained = drained?.has(key) ?? false;
      const old = oldReals.get(key);
      world.reals.set(
        key,
        old?.state
          ? { ...migrateRealState(old.rs, old.state, rs), drained: isDrained }
          : initialRealState(rs, isDrained),
      );
    }
    const prevVs = oldVss.get(id);
    const sum = liveWeightSum(vs, world);
    world.vss.set(
      id,
      prevVs ? nextQuorum(prevVs, sum, vs).state : { quorumUp: sum > 0 && sum >= vs.quorum + vs.hysteresis },
    );
  }
}

/** Recompute a VS's quorum after its reals changed; pushes a 'vs' event on a transition. */
function requorum(vs: VirtualServerSpec, world: CheckWorld, events: CheckEvent[]): void {
  const id = vsIdOf(vs);
  const prev = world.vss.get(id) ?? { quorumUp: false };
  const sum = liveWeightSum(vs, world);
  const q = nextQuorum(prev, sum, vs);
  world.vss.set(id, q.state);
  if (q.transition)
    events.push({ type: 'vs', vs, up: q.transition === 'up', weightSum: sum, threshold: q.threshold });
}

/**
 * Apply one checker step to the world (mutates `world`, which the shell owns) and return the
 * events it caused: the real going up/down (once, when its aliveness changes), a dynamic weight
 * change, and the VS quorum going up/down.
 */
export function applyCheckStep(
  world: CheckWorld,
  vs: VirtualServerSpec,
  rs: RealServerSpec,
  checkerIndex: number,
  step: CheckStep,
): CheckEvent[] {
  const key = realKeyOf(vs, rs);
  const st = world.reals.get(key);
  if (!st) return [];
  const wasAlive = realAlive(st);
  const oldWeight = effectiveWeight(rs, st);
  const checks = st.checks.slice();
  checks[checkerIndex] = step.state;
  const next: RealState = { ...st, checks };
  world.reals.set(key, next);
  const events: CheckEvent[] = [];
  const alive = realAlive(next);
  if (alive !== wasAlive) events.push({ type: 'rs', vs, rs, up: alive });
  const newWeight = effectiveWeight(rs, next);
  if (newWeight !== oldWeight) events.push({ type: 'weight', vs, rs, weight: newWeight });
  if (alive !== wasAlive || newWeight !== oldWeight) requorum(vs, world, events);
  return events;
}

/** Drain (true) or re-enable (false) a real; returns the quorum events it caused. */
export function setDrained(
  world: CheckWorld,
  vs: VirtualServerSpec,
  rs: RealServerSpec,
  drained: boolean,
): CheckEvent[] {
  const key = realKeyOf(vs, rs);
  const st = world.reals.get(key);
  if (!st || st.drained === drained) return [];
  world.reals.set(key, { ...st, drained });
  const events: CheckEvent[] = [];
  requorum(vs, world, events);
  return events;
}

/**
 * The events of a shutdown with `omega`: every live real goes down, then the quorum (keepalived
 * runs notify_down and quorum_down on exit). The world is left as it is.
 */
export function shutdownEvents(vs: VirtualServerSpec, world: CheckWorld): CheckEvent[] {
  const events: CheckEvent[] = [];
  for (const rs of vs.reals) {
    const st = world.reals.get(realKeyOf(vs, rs));
    if (st && realAlive(st)) events.push({ type: 'rs', vs, rs, up: false });
  }
  if (world.vss.get(vsIdOf(vs))?.quorumUp)
    events.push({ type: 'vs', vs, up: false, weightSum: 0, threshold: vs.quorum - vs.hysteresis });
  return events;
}
