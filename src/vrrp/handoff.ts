// SPDX-License-Identifier: Apache-2.0
/**
 * Hitless restart (keepalived has none): a stopping VRRP worker asked to hand over (SIGQUIT, the
 * unit's RestartKillSignal) leaves its VIPs in place, sends no priority-0 advert, and records which
 * instances were MASTER; its successor adopts those that are still the same router (name, VRID,
 * interface, family) when it starts soon enough — before the peer's Master_Down_Interval, taken as
 * the instance's own — and advertises at once, so the peer never becomes master. Anything else
 * starts as usual (a stale VIP is removed, the instance waits as backup). Pure.
 */
import type { Model, VrrpInstanceConfig } from '../config/model.js';
import { masterDownIntervalMs } from './timers.js';
import { isVmacSaved, type VmacSaved } from './vmac-host.js';

export interface HandoffRecord {
  readonly version: 1;
  /** Wall-clock time (ms since the epoch) the predecessor stopped advertising. */
  readonly at: number;
  readonly instances: ReadonlyArray<{
    readonly name: string;
    readonly vrid: number;
    readonly interface: string;
    readonly family: 'inet' | 'inet6';
  }>;
  /** The VMACs left in place and the host settings they changed, with the values to put back. */
  readonly vmacs?: VmacSaved;
}

/**
 * The record a successor would adopt if this worker died now, without the chance to write one
 * (SIGKILL, the kernel's OOM killer, RLIMIT_RTTIME, a crash): its MASTER instances `masters`, as
 * of `nowWallMs` less the longest of their advert intervals, the earliest their last advert can
 * have left a worker whose event loop ran at `nowWallMs`. The supervisor keeps the latest and writes
 * it when the worker dies (daemon/supervisor-daemon.ts), so a restart within the peer's
 * Master_Down_Interval adopts the VIPs that stayed on the interface and advertises at once, instead
 * of removing them, waiting as backup and taking them back from the peer. Instances with a VMAC are
 * left out (their host settings go with a handoff only the worker can write); undefined when none
 * is left.
 */
export function crashHandoffRecord(
  masters: readonly Pick<
    VrrpInstanceConfig,
    'name' | 'vrid' | 'interface' | 'family' | 'advertIntMs' | 'useVmac'
  >[],
  nowWallMs: number,
): HandoffRecord | undefined {
  const plain = masters.filter((m) => m.useVmac === undefined);
  if (plain.length === 0) return undefined;
  const longest = Math.max(...plain.map((m) => m.advertIntMs));
  return {
    version: 1,
    at: nowWallMs - longest,
    instances: plain.map(handoffInstance),
  };
}

/** How a handoff record names an instance: what its successor must find unchanged to adopt it. */
export function handoffInstance(
  c: Pick<VrrpInstanceConfig, 'name' | 'vrid' | 'interface' | 'family'>,
): HandoffRecord['instances'][number] {
  return { name: c.name, vrid: c.vrid, interface: c.interface, family: c.family };
}

/** Whether `x` is a handoff record (it is read from a file). */
export function isHandoffRecord(x: unknown): x is HandoffRecord {
  const r = x as Partial<HandoffRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    typeof r.at === 'number' &&
    Array.isArray(r.instances) &&
    (r.vmacs === undefined || isVmacSaved(r.vmacs)) &&
    (r.instances as unknown[]).every((i) => {
      const e = i as Partial<HandoffRecord['instances'][number]> | null;
      return (
        typeof e === 'object' &&
        e !== null &&
        typeof e.name === 'string' &&
        typeof e.vrid === 'number' &&
        typeof e.interface === 'string'
      );
    })
  );
}

/** The instances of `model` that may adopt their predecessor's MASTER state `ageMs` after it stopped. */
export function adoptable(record: HandoffRecord, model: Model, ageMs: number): Set<string> {
  const out = new Set<string>();
  if (ageMs < 0) return out; // a clock that went backwards: trust nothing
  for (const h of record.instances) {
    const i = model.vrrpInstances.find((x) => x.name === h.name);
    if (!i || i.vrid !== h.vrid || i.interface !== h.interface || i.family !== h.family) continue;
    // our own priority gives the shortest skew a backup could have: the conservative bound
    const version = i.family === 'inet6' ? 3 : i.version;
    const mdi = masterDownIntervalMs(version, i.priority, i.advertIntMs, i.downTimerAdverts);
    if (ageMs < mdi) out.add(i.name);
  }
  return out;
}
