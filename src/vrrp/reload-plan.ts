// SPDX-License-Identifier: Apache-2.0
/**
 * What a reload (SIGHUP) does to the running VRRP instances, decided from the running and the new
 * configuration alone. Pure. keepalived's reload semantics as a desired-state diff:
 * - an instance whose VRID, family, interface or VMAC changed is, to its peers, a different router: it is
 *   *replaced* (the old one released with a priority-0 advert, the new one started);
 * - any other difference *carries* the instance over in place: it keeps its state (a MASTER stays
 *   MASTER), adds and removes only the VIPs that changed. Differences count wherever they come
 *   from: the instance's own block, its sync group (members, trackers, notify), the vrrp_script or
 *   vrrp_track_file definitions it refers to, or the global settings its machine uses;
 * - instances only in the new file are *added*, instances only in the old one *removed*;
 * - global settings a running process cannot change are listed as `notApplied`;
 * - two instances on one interface and family with one VRID are a *conflict*: nothing is applied.
 */
import type { Model, VrrpInstanceConfig as InstanceConfig } from '../config/model.js';

/** How one carried or replaced instance differs. */
export interface InstanceChange {
  /** Why a replaced instance is a new router to its peers (`vrid 51 -> 52`, ...); empty when carried. */
  readonly replacedBecause: readonly string[];
  readonly vipsAdded: readonly string[];
  readonly vipsRemoved: readonly string[];
  /** Other settings that differ, by Model field name (`priority`, `advertIntMs`, `syncGroup`, ...). */
  readonly settings: readonly string[];
}

export interface VrrpReloadPlan {
  readonly unchanged: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Changed in place, keeping their state. */
  readonly carried: readonly string[];
  /** VRID, family or interface changed: stopped and started again. */
  readonly replaced: readonly string[];
  /** By instance name, for every carried or replaced instance. */
  readonly changes: Readonly<Record<string, InstanceChange>>;
  readonly syncGroups: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Settings the running process keeps until it is restarted. */
  readonly notApplied: readonly string[];
  /** Reasons the plan cannot be applied at all (the running configuration stays). */
  readonly conflicts: readonly string[];
  /** Nothing to do for the VRRP worker. */
  readonly empty: boolean;
}

/** JSON of a value without source locations (moving a block in the file is not a change). */
function canon(value: unknown): string {
  return JSON.stringify(value ?? null, (k, v: unknown) => (k === 'loc' ? undefined : v));
}

/** Everything outside the instance's own block that its running form depends on. */
function surroundings(m: Model, i: InstanceConfig): string {
  const group = m.syncGroups.find((g) => g.name === i.syncGroup || g.members.includes(i.name));
  const scripts = [...i.trackScripts, ...(group?.trackScripts ?? [])].map((r) => r.name);
  const files = [...i.trackFiles, ...(group?.trackFiles ?? [])].map((r) => r.name);
  const processes = [...i.trackProcesses, ...(group?.trackProcesses ?? [])].map((r) => r.name);
  return canon({
    group,
    scripts: m.vrrpScripts.filter((s) => scripts.includes(s.name)),
    files: m.trackFiles.filter((f) => files.includes(f.name)),
    processes: m.trackProcesses.filter((p) => processes.includes(p.name)),
    mcast: i.family === 'inet' ? m.global.vrrpMcastGroup4 : m.global.vrrpMcastGroup6,
    startupDelay: m.global.vrrpStartupDelayMs,
  });
}

const vipKey = (v: { address: string; prefix: number; dev: string }): string =>
  `${v.address}/${v.prefix} dev ${v.dev}`;

function describeChange(a: InstanceConfig, b: InstanceConfig, prev: Model, next: Model): InstanceChange {
  const replacedBecause: string[] = [];
  if (a.vrid !== b.vrid) replacedBecause.push(`vrid ${a.vrid} -> ${b.vrid}`);
  if (a.family !== b.family) replacedBecause.push(`family ${a.family} -> ${b.family}`);
  if (a.interface !== b.interface) replacedBecause.push(`interface ${a.interface} -> ${b.interface}`);
  // AH adverts use their own socket, and the key and sequence counter live with it (ipsec-ah.ts)
  const ah = a.auth?.type === 'AH' || b.auth?.type === 'AH';
  if (ah && canon(a.auth) !== canon(b.auth)) replacedBecause.push('authentication (AH)');
  else if (ah && a.unicastPeers.length > 0 !== b.unicastPeers.length > 0)
    replacedBecause.push('unicast or multicast (AH)');
  // a VMAC is the router's MAC and the interface its VIPs live on: a different router to its peers
  if (canon(a.useVmac) !== canon(b.useVmac)) replacedBecause.push('use_vmac changed');
  const before = new Set(a.vips.map(vipKey));
  const after = new Set(b.vips.map(vipKey));
  const settings: string[] = (Object.keys({ ...a, ...b }) as Array<keyof InstanceConfig>).filter(
    (k) => k !== 'vips' && k !== 'loc' && k !== 'name' && canon(a[k]) !== canon(b[k]),
  );
  if (surroundings(prev, a) !== surroundings(next, b)) settings.push('sync group, trackers or globals');
  return {
    replacedBecause,
    vipsAdded: [...after].filter((v) => !before.has(v)),
    vipsRemoved: [...before].filter((v) => !after.has(v)),
    settings,
  };
}

/** Global settings a reload cannot change in a running process. */
function globalsNotApplied(prev: Model, next: Model): string[] {
  const out: string[] = [];
  const a = prev.global;
  const b = next.global;
  if (a.vrrpMcastGroup4 !== b.vrrpMcastGroup4 || a.vrrpMcastGroup6 !== b.vrrpMcastGroup6)
    out.push('vrrp_mcast_group4/6 (sockets keep their groups until restart)');
  if (
    a.vrrpNotifyFifo?.path !== b.vrrpNotifyFifo?.path ||
    a.notifyFifo?.path !== b.notifyFifo?.path ||
    canon(a.scriptUser) !== canon(b.scriptUser)
  )
    out.push('notify FIFOs / script_user (until restart)');
  if (canon(a.processMonitorRcvBufs) !== canon(b.processMonitorRcvBufs))
    out.push('process_monitor_rcv_bufs (when the trackers next restart: a reload that changes an instance)');
  return out;
}

/** Instances that would share a VRID on one interface and family. */
function vridConflicts(next: Model): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const i of next.vrrpInstances) {
    const key = `${i.interface}|${i.family}|${i.vrid}`;
    const other = seen.get(key);
    if (other !== undefined)
      out.push(`instance ${i.name}: VRID ${i.vrid} is in use by ${other} on ${i.interface} (${i.family})`);
    else seen.set(key, i.name);
  }
  return out;
}

export function planVrrpReload(prev: Model, next: Model): VrrpReloadPlan {
  const before = new Map(prev.vrrpInstances.map((i) => [i.name, i]));
  const after = new Map(next.vrrpInstances.map((i) => [i.name, i]));
  const unchanged: string[] = [];
  const added: string[] = [];
  const carried: string[] = [];
  const replaced: string[] = [];
  const changes: Record<string, InstanceChange> = {};
  for (const [name, b] of after) {
    const a = before.get(name);
    if (!a) {
      added.push(name);
      continue;
    }
    if (canon(a) === canon(b) && surroundings(prev, a) === surroundings(next, b)) {
      unchanged.push(name);
      continue;
    }
    const change = describeChange(a, b, prev, next);
    changes[name] = change;
    (change.replacedBecause.length > 0 ? replaced : carried).push(name);
  }
  const removed = [...before.keys()].filter((n) => !after.has(n));
  const groupsBefore = new Set(prev.syncGroups.map((g) => g.name));
  const groupsAfter = new Set(next.syncGroups.map((g) => g.name));
  const notApplied = globalsNotApplied(prev, next);
  return {
    unchanged,
    added,
    removed,
    carried,
    replaced,
    changes,
    syncGroups: {
      added: [...groupsAfter].filter((g) => !groupsBefore.has(g)),
      removed: [...groupsBefore].filter((g) => !groupsAfter.has(g)),
    },
    notApplied,
    conflicts: vridConflicts(next),
    empty: added.length + removed.length + carried.length + replaced.length === 0,
  };
}
