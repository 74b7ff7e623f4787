// SPDX-License-Identifier: Apache-2.0
/**
 * Config + check state → the desired IPVS table, handed to the reconciler (the check layer never
 * issues kernel operations itself). Pure. keepalived semantics (check/ipwrapper.c, ipvswrapper.c):
 * - a live real is in the pool with its effective weight (0 while drained by the operator);
 * - a down real is removed, or kept at weight 0 with `inhibit_on_failure`;
 * - while the quorum is lost and a sorry server is configured, the live reals leave the pool
 *   (inhibited ones stay at weight 0) and the sorry server is in it; otherwise the sorry server is
 *   absent, or present at weight 0 with `sorry_server_inhibit`;
 * - `uthreshold`/`lthreshold` are programmed so IPVS marks a real overloaded.
 */
import { perObject } from '../core/per-object.js';
import type { IpvsDestination, IpvsServiceEntry, IpvsTable } from '../ipvs/model.js';
import { compareDestinations, compareServices, destinationId, sortDestinations } from '../ipvs/model.js';
import { effectiveWeight, realAlive } from './real-server.js';
import type { CheckSpec, RealServerSpec, SorryServerSpec, VirtualServerSpec } from './types.js';
import type { CheckWorld } from './virtual-server.js';
import { realKeyOf, sorryActive, vsIdOf } from './virtual-server.js';

function realDest(rs: RealServerSpec, weight: number): IpvsDestination {
  const d: IpvsDestination = {
    family: rs.family,
    address: rs.address,
    port: rs.port,
    method: rs.method,
    weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
  };
  if (rs.tunnel) d.tunnel = rs.tunnel;
  return d;
}

function sorryDest(s: SorryServerSpec, weight: number): IpvsDestination {
  return {
    family: s.family,
    address: s.address,
    port: s.port,
    method: s.method,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

/** Reals of a spec in canonical destination order, computed once per spec object. */
const realsInOrder = perObject((vs: VirtualServerSpec): RealServerSpec[] => sortDestinations(vs.reals));

/** The destinations of one virtual server in canonical order. */
export function desiredDestinations(vs: VirtualServerSpec, world: CheckWorld): IpvsDestination[] {
  const vsId = vsIdOf(vs);
  const sorry = sorryActive(vs, world.vss.get(vsId));
  const dests = new Map<string, IpvsDestination>();
  for (const rs of realsInOrder(vs)) {
    const st = world.reals.get(realKeyOf(vs, rs));
    if (!st) continue;
    const alive = realAlive(st);
    if (sorry) {
      if (rs.inhibitOnFailure) dests.set(destinationId(rs), realDest(rs, 0));
      continue;
    }
    if (alive) dests.set(destinationId(rs), realDest(rs, st.drained ? 0 : effectiveWeight(rs, st)));
    else if (rs.inhibitOnFailure) dests.set(destinationId(rs), realDest(rs, 0));
  }
  if (!vs.sorryServer) return [...dests.values()];
  if (sorry) dests.set(destinationId(vs.sorryServer), sorryDest(vs.sorryServer, vs.sorryServer.weight));
  else if (vs.sorryServerInhibit && !dests.has(destinationId(vs.sorryServer))) {
    dests.set(destinationId(vs.sorryServer), sorryDest(vs.sorryServer, 0));
  }
  return [...dests.values()].sort(compareDestinations);
}

/** The entries of one virtual server: its service and, for a group, every member service. */
export function desiredEntries(vs: VirtualServerSpec, world: CheckWorld): IpvsServiceEntry[] {
  const destinations = desiredDestinations(vs, world);
  const out: IpvsServiceEntry[] = [{ service: vs.service, destinations }];
  for (const also of vs.alsoServices ?? [])
    out.push({ service: also, destinations: destinations.map((d) => ({ ...d })) });
  return out;
}

/** The whole desired table, services and destinations in canonical order. */
export function desiredTable(spec: CheckSpec, world: CheckWorld): IpvsTable {
  // Mostly in order already (config order), so the sort does ~n comparisons: no sort keys needed.
  return spec.virtualServers
    .flatMap((vs) => desiredEntries(vs, world))
    .sort((a, b) => compareServices(a.service.key, b.service.key));
}
