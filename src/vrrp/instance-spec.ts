// SPDX-License-Identifier: Apache-2.0
/**
 * One configured instance (Model) plus the facts the host supplies (its interface's MAC, the
 * advert source address, interface indexes, the NA Router flag) → the `InstanceSpec` a running
 * `VrrpInstance` takes. Pure. A sync group's trackers are the instance's own as well (keepalived).
 */
import type { Model, VrrpInstanceConfig as InstanceConfig } from '../config/model.js';
import { vipSpec } from './addresses.js';
import { routeSpecOf, ruleSpecOf } from './route-specs.js';
import { machineConfigFromModel, trackersFromModel } from './config.js';
import type { InstanceSpec } from './instance.js';
import { notifyTargetOf } from './sync-group-set.js';

export interface HostInputs {
  /** MAC of the instance's interface (GARP sender), its index, and the MACs of the other interfaces
   *  its addresses are on. */
  readonly mac: string;
  readonly ifindex: number;
  readonly macs: ReadonlyMap<number, string>;
  /** Advert source address (sourceAddress() of addresses.ts). */
  readonly source: string;
  /** Interface index of a VIP's or a route's `dev` (the instance's own interface or another). */
  readonly ifindexOf: (dev: string) => number;
  /** IPv6 forwarding on the interface (NA Router flag). */
  readonly router: boolean;
}

export function instanceSpecOf(mi: InstanceConfig, m: Model, host: HostInputs): InstanceSpec {
  const machine = machineConfigFromModel(mi, m.global, { primaryAddress: host.source });
  const sg = m.syncGroups.find((x) => x.name === mi.syncGroup || x.members.includes(mi.name));
  const tracked = sg
    ? {
        ...mi,
        trackInterfaces: [...mi.trackInterfaces, ...sg.trackInterfaces],
        trackScripts: [...mi.trackScripts, ...sg.trackScripts],
        trackFiles: [...mi.trackFiles, ...sg.trackFiles],
        trackProcesses: [...mi.trackProcesses, ...sg.trackProcesses],
      }
    : mi;
  const mcast = mi.family === 'inet' ? m.global.vrrpMcastGroup4 : m.global.vrrpMcastGroup6;
  return {
    machine,
    destinations: machine.unicastPeers.length > 0 ? machine.unicastPeers : [mcast],
    source: host.source,
    mac: host.mac,
    ifindex: host.ifindex,
    macs: host.macs,
    vips: mi.vips.map((v) => vipSpec(v, host.ifindexOf(v.dev))),
    excludedVips: mi.excludedVips.map((v) => vipSpec(v, host.ifindexOf(v.dev))),
    routes: mi.virtualRoutes.map((r) => routeSpecOf(r, host.ifindexOf)),
    rules: mi.virtualRules.map(ruleSpecOf),
    notify: notifyTargetOf('INSTANCE', mi.name, mi.notify),
    router: host.router,
    garpIntervalMs: mi.garp.garpIntervalMs,
    gnaIntervalMs: mi.garp.gnaIntervalMs,
    trackers: trackersFromModel(tracked, m),
  };
}
