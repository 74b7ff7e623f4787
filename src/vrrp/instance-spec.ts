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
  /** The instance's VMAC (use_vmac): its VIPs go there and its GARPs/NAs carry its MAC. */
  readonly vmac?: { readonly ifindex: number; readonly mac: string };
}

/** Where the instance's GARPs and NAs are paced: its interface's garp_group, else the interface itself. */
function pacingOf(mi: InstanceConfig, m: Model): NonNullable<InstanceSpec['pacing']> {
  const groups = m.global.garpGroups ?? [];
  const g = groups.findIndex((x) => x.interfaces.includes(mi.interface));
  const grp = groups[g];
  if (grp) {
    return {
      arp: { key: `garp_group#${g}|arp`, intervalMs: grp.garpIntervalMs ?? 0 },
      na: { key: `garp_group#${g}|na`, intervalMs: grp.gnaIntervalMs ?? 0 },
    };
  }
  return {
    arp: { key: `${mi.interface}|arp`, intervalMs: mi.garp.garpIntervalMs },
    na: { key: `${mi.interface}|na`, intervalMs: mi.garp.gnaIntervalMs },
  };
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
  const unicast = machine.unicastPeers.length > 0;
  const vmac = host.vmac;
  // a VIP on the instance's own interface goes on its VMAC (keepalived: unless it names another dev)
  const ifindexOf = (dev: string): number =>
    vmac && dev === mi.interface ? vmac.ifindex : host.ifindexOf(dev);
  return {
    machine,
    destinations: unicast ? machine.unicastPeers : [mcast],
    source: host.source,
    // the instance's own frames leave from its VMAC when it has one (engine: attach)
    mac: vmac?.mac ?? host.mac,
    ifindex: vmac?.ifindex ?? host.ifindex,
    macs: host.macs,
    vips: mi.vips.map((v) => vipSpec(v, ifindexOf(v.dev))),
    excludedVips: mi.excludedVips.map((v) => vipSpec(v, ifindexOf(v.dev))),
    routes: mi.virtualRoutes.map((r) => routeSpecOf(r, host.ifindexOf)),
    rules: mi.virtualRules.map(ruleSpecOf),
    notify: {
      ...notifyTargetOf('INSTANCE', mi.name, mi.notify),
      notifyDeleted: mi.notifyDeleted,
      priorityChanges: mi.notifyPriorityChanges,
      smtpAlert: mi.smtpAlert,
    },
    router: host.router,
    pacing: pacingOf(mi, m),
    trackers: trackersFromModel(tracked, m),
    ...(unicast && mi.unicastTtl !== undefined ? { advertTtl: mi.unicastTtl } : {}),
    ...(mi.unicastFaultNoPeer && !unicast
      ? { configFault: 'unicast_fault_no_peer and no unicast_peer' }
      : {}),
    ...(!mi.accept && mi.priority !== 255 ? { dropWhileMaster: true } : {}),
  };
}
