// SPDX-License-Identifier: Apache-2.0
/**
 * Model x Model -> ReloadPlan for the VRRP worker: which VRRP instances, sync groups, scripts and
 * track files a reload (SIGHUP) adds, removes and changes, so the worker applies keepalived's reload
 * semantics as a desired-state diff: unchanged instances keep their state (a MASTER stays MASTER).
 * Pure. Source locations are ignored: moving a block in the file, or into an included file, is not a
 * change. Virtual servers are not in the plan: the LVS worker keeps its checkers' state by comparing
 * their specs and reconciles the IPVS table against the kernel itself.
 */
import type { Model } from './model.js';

export interface SetDiff {
  added: string[];
  removed: string[];
  /** Present in both, configuration differs. */
  changed: string[];
  unchanged: string[];
}

export interface ReloadPlan {
  /** `global_defs` differ (the VRRP worker decides what of it can change at run time). */
  globalChanged: boolean;
  /** By instance name. */
  vrrpInstances: SetDiff;
  /** By sync group name. */
  syncGroups: SetDiff;
  /** By script / track file name. */
  vrrpScripts: SetDiff;
  trackFiles: SetDiff;
  /** True when none of the above differs (a reload that touched only comments, layout or LVS). */
  empty: boolean;
}

/** JSON of a value without `loc` fields. */
function canon(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'loc' ? undefined : v));
}

function diffByName<T extends { name: string }>(prev: readonly T[], next: readonly T[]): SetDiff {
  const before = new Map(prev.map((x) => [x.name, x]));
  const after = new Map(next.map((x) => [x.name, x]));
  const out: SetDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [k, b] of after) {
    const a = before.get(k);
    if (a === undefined) out.added.push(k);
    else if (canon(a) === canon(b)) out.unchanged.push(k);
    else out.changed.push(k);
  }
  for (const k of before.keys()) if (!after.has(k)) out.removed.push(k);
  return out;
}

export function diffModels(prev: Model, next: Model): ReloadPlan {
  const plan: ReloadPlan = {
    globalChanged: canon(prev.global) !== canon(next.global),
    vrrpInstances: diffByName(prev.vrrpInstances, next.vrrpInstances),
    syncGroups: diffByName(prev.syncGroups, next.syncGroups),
    vrrpScripts: diffByName(prev.vrrpScripts, next.vrrpScripts),
    trackFiles: diffByName(prev.trackFiles, next.trackFiles),
    empty: false,
  };
  const sets = [plan.vrrpInstances, plan.syncGroups, plan.vrrpScripts, plan.trackFiles];
  plan.empty =
    !plan.globalChanged && sets.every((s) => s.added.length + s.removed.length + s.changed.length === 0);
  return plan;
}
