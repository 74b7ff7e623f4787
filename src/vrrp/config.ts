// SPDX-License-Identifier: Apache-2.0
/**
 * From the config Model (src/config/model.ts) to the pure core's inputs: `MachineConfig` for the
 * state machine and `TrackerSpec[]` for tracking. Pure. The interface's primary address is only
 * known at run time, so the shell passes it (unicast_src_ip / mcast_src_ip override it).
 */
import { canonicalAddr } from '../core/addr.js';
import type { GlobalDefs, Model, VrrpInstanceConfig } from '../config/model.js';
import type { TrackerSpec } from './tracking.js';
import type { MachineConfig } from './types.js';

export interface RuntimeInputs {
  /** Primary address of the instance's interface (IPv6: its link-local address). */
  readonly primaryAddress: string;
}

/** keepalived's `down_timer_adverts` default. */
export const DOWN_TIMER_ADVERTS = 3;

/** The machine config of one instance. */
export function machineConfigFromModel(
  inst: VrrpInstanceConfig,
  globals: GlobalDefs,
  runtime: RuntimeInputs,
): MachineConfig {
  const g = inst.garp;
  // Knobs the core implements that the Model may carry later (read if present).
  const later = inst as VrrpInstanceConfig & { downTimerAdverts?: number; ownerIgnoreAdverts?: boolean };
  return {
    name: inst.name,
    vrid: inst.vrid,
    version: inst.family === 'inet6' ? 3 : inst.version,
    family: inst.family,
    priority: inst.priority,
    advertIntMs: inst.advertIntMs,
    preempt: !inst.nopreempt,
    preemptDelayMs: inst.preemptDelayMs,
    accept: inst.accept,
    lowerPrioNoAdvert: inst.lowerPrioNoAdvert || inst.strict,
    higherPrioSendAdvert: inst.higherPrioSendAdvert,
    ownerIgnoreAdverts: later.ownerIgnoreAdverts ?? inst.strict,
    downTimerAdverts: later.downTimerAdverts ?? DOWN_TIMER_ADVERTS,
    // keepalived derives `state MASTER` for an owner; the Model cannot tell an explicit BACKUP apart.
    initialState: inst.initialState === 'MASTER' || inst.priority === 255 ? 'master' : 'backup',
    primaryAddress: inst.unicastSrcIp ?? inst.mcastSrcIp ?? runtime.primaryAddress,
    unicastPeers: inst.unicastPeers.map((p) => p.address),
    checkUnicastSrc: inst.checkUnicastSrc,
    vips: inst.vips.map((v) => v.address),
    skipCheckAdvAddr: inst.skipCheckAdvAddr,
    auth:
      inst.auth && inst.version === 2
        ? { type: inst.auth.type === 'AH' ? 'ah' : 'pass', pass: inst.auth.pass }
        : { type: 'none' },
    v3ChecksumAsV2: inst.v3ChecksumAsV2,
    startupDelayMs: globals.vrrpStartupDelayMs,
    garp: {
      masterRepeat: g.masterRepeat,
      masterDelayMs: g.masterDelayMs,
      masterRefreshMs: g.masterRefreshMs,
      masterRefreshRepeat: g.masterRefreshRepeat,
      lowerPrioRepeat: g.lowerPrioRepeat,
      lowerPrioDelayMs: g.lowerPrioDelayMs,
    },
    inSyncGroup: inst.syncGroup !== undefined,
    unicastPeerTtl: Object.fromEntries(
      inst.unicastPeers
        .filter((p) => p.minTtl !== undefined || p.maxTtl !== undefined)
        .map((p) => [
          canonicalAddr(p.address),
          {
            ...(p.minTtl !== undefined ? { min: p.minTtl } : {}),
            ...(p.maxTtl !== undefined ? { max: p.maxTtl } : {}),
          },
        ]),
    ),
  };
}

/**
 * The trackers of an instance: its track_interface / track_script / track_file / track_process
 * references resolved against the vrrp_script, vrrp_track_file and vrrp_track_process definitions
 * (a weight written on the reference wins over the object's own). Unknown names are skipped (the checker reports them).
 */
export function trackersFromModel(
  inst: VrrpInstanceConfig,
  model: Pick<Model, 'vrrpScripts' | 'trackFiles' | 'trackProcesses'>,
): TrackerSpec[] {
  const out: TrackerSpec[] = [];
  for (const r of inst.trackInterfaces) {
    out.push({ kind: 'interface', name: r.name, weight: r.weight ?? 0, reverse: r.reverse });
  }
  for (const r of inst.trackScripts) {
    const s = model.vrrpScripts.find((x) => x.name === r.name);
    if (!s) continue;
    out.push({
      kind: 'script',
      name: r.name,
      weight: r.weight ?? s.weight,
      reverse: r.reverse || s.weightReverse,
      rise: s.rise,
      fall: s.fall,
      initFail: s.initFail,
    });
  }
  for (const r of inst.trackFiles) {
    const f = model.trackFiles.find((x) => x.name === r.name);
    if (!f) continue;
    out.push({
      kind: 'file',
      name: r.name,
      weight: r.weight ?? f.weight,
      reverse: r.reverse || f.weightReverse,
    });
  }
  for (const r of inst.trackProcesses) {
    const p = model.trackProcesses.find((x) => x.name === r.name);
    if (!p) continue;
    out.push({
      kind: 'process',
      name: r.name,
      weight: r.weight ?? p.weight,
      reverse: r.reverse ?? p.weightReverse,
    });
  }
  return out;
}
