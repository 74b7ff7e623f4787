// SPDX-License-Identifier: Apache-2.0
/**
 * Model x Model -> ReloadPlan: what a reload (SIGHUP) adds, removes and changes, so the workers can
 * apply keepalived's reload semantics as a desired-state diff: unchanged VRRP instances keep their
 * state (a MASTER stays MASTER), unchanged real servers keep their check state, unchanged IPVS
 * entries are not touched. Pure. Source locations are ignored: moving a block in the file, or
 * into an included file, is not a change.
 */
import type { Model, RealServer, VirtualServer, VsKey } from './model.js';

export interface SetDiff {
  added: string[];
  removed: string[];
  /** Present in both, configuration differs. */
  changed: string[];
  unchanged: string[];
}

export interface VirtualServerChange {
  id: string;
  /** Settings of the virtual server itself (scheduler, persistence, quorum, sorry server, ...) differ. */
  serviceChanged: boolean;
  /** Real servers by `realId`; a real whose checkers or weight changed is in `changed`. */
  reals: SetDiff;
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
  /** By `vsId`; `changed` lists ids whose details are in `virtualServerChanges`. */
  virtualServers: SetDiff;
  virtualServerChanges: VirtualServerChange[];
  /** True when nothing differs (a reload that only touched comments or layout). */
  empty: boolean;
}

/** Stable identity of a virtual server: `tcp|inet|10.0.0.1|80`, `fwmark|inet|7`, `group|tcp|inet|WEB`. */
export function vsId(key: VsKey): string {
  switch (key.kind) {
    case 'addr':
      return `${key.protocol}|${key.family}|${key.address}|${key.port}`;
    case 'fwmark':
      return `fwmark|${key.family}|${key.fwmark}`;
    case 'group':
      return `group|${key.protocol}|${key.family}|${key.name}`;
  }
}

/** Identity of a real server within its virtual server (the kernel keys them by address+port). */
export function realId(rs: Pick<RealServer, 'address' | 'port'>): string {
  return `${rs.address}|${rs.port}`;
}

/** JSON of a value without `loc` fields (and, for the given keys, without those either). */
function canon(value: unknown, skip: ReadonlySet<string> = new Set()): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'loc' || skip.has(k) ? undefined : v));
}

function diffBy<T>(
  prev: readonly T[],
  next: readonly T[],
  id: (x: T) => string,
  same: (a: T, b: T) => boolean,
): SetDiff {
  const before = new Map(prev.map((x) => [id(x), x]));
  const after = new Map(next.map((x) => [id(x), x]));
  const out: SetDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [k, b] of after) {
    const a = before.get(k);
    if (a === undefined) out.added.push(k);
    else if (same(a, b)) out.unchanged.push(k);
    else out.changed.push(k);
  }
  for (const k of before.keys()) if (!after.has(k)) out.removed.push(k);
  return out;
}

const sameCanon = <T>(a: T, b: T): boolean => canon(a) === canon(b);
const noRealServers: ReadonlySet<string> = new Set(['realServers']);

function diffVirtualServer(a: VirtualServer, b: VirtualServer): VirtualServerChange {
  return {
    id: vsId(b.key),
    serviceChanged: canon(a, noRealServers) !== canon(b, noRealServers),
    reals: diffBy(a.realServers, b.realServers, realId, sameCanon),
  };
}

export function diffModels(prev: Model, next: Model): ReloadPlan {
  const byName = (x: { name: string }): string => x.name;
  const vs = diffBy(prev.virtualServers, next.virtualServers, (v) => vsId(v.key), sameCanon);
  const prevVs = new Map(prev.virtualServers.map((v) => [vsId(v.key), v]));
  const virtualServerChanges: VirtualServerChange[] = [];
  for (const v of next.virtualServers) {
    const id = vsId(v.key);
    const old = prevVs.get(id);
    if (old && vs.changed.includes(id)) virtualServerChanges.push(diffVirtualServer(old, v));
  }
  const plan: ReloadPlan = {
    globalChanged: canon(prev.global) !== canon(next.global),
    vrrpInstances: diffBy(prev.vrrpInstances, next.vrrpInstances, byName, sameCanon),
    syncGroups: diffBy(prev.syncGroups, next.syncGroups, byName, sameCanon),
    vrrpScripts: diffBy(prev.vrrpScripts, next.vrrpScripts, byName, sameCanon),
    trackFiles: diffBy(prev.trackFiles, next.trackFiles, byName, sameCanon),
    virtualServers: vs,
    virtualServerChanges,
    empty: false,
  };
  const sets = [plan.vrrpInstances, plan.syncGroups, plan.vrrpScripts, plan.trackFiles, plan.virtualServers];
  plan.empty =
    !plan.globalChanged && sets.every((s) => s.added.length + s.removed.length + s.changed.length === 0);
  return plan;
}
