// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS reconciler: desired table x actual kernel table -> the minimal ordered list of kernel
 * operations (`IpvsOp[]`) that turns the one into the other. Pure.
 *
 * Rules (issue 3, "Reconciler"):
 * - services are visited in canonical order (`compareServices`); a new service is added before its
 *   reals; reals are always added in canonical order (`compareDestinations`), so the `mh` scheduler,
 *   whose lookup table depends on the order of the kernel's destination list, gets the same list on
 *   every director that starts from the same state;
 * - anything that is not part of an identity is changed in place with SET (`editService`,
 *   `editDest`): scheduler, flags, persistence, persistence engine, forwarding method, weight,
 *   thresholds, tunnel parameters. Identities (protocol, address, port, fwmark, family) cannot be
 *   changed by the kernel, so a changed identity is a different entry (delete + add);
 * - a real that is no longer desired is deleted, or quiesced (weight 0) with `removeReal: 'quiesce'`;
 *   within a service, deletions and edits come before additions, and reals are deleted before their
 *   service would be (a removed service is one `delService`: the kernel drops its reals with it);
 * - only owned services are touched: by default the services present in `desired`; `owned` widens
 *   that to a set of service ids, a predicate, or `'all'` (the whole table is lvsd's).
 */
import type {
  IpvsDestination,
  IpvsService,
  IpvsServiceEntry,
  IpvsServiceState,
  IpvsTable,
  ServiceKey,
  TunnelInfo,
} from './model.js';
import { destinationId, serviceId, sortByServiceKey, sortDestinations } from './model.js';
import type { IpvsOp } from './ops.js';

export interface ReconcileOptions {
  /**
   * Which services of the actual table lvsd may change or delete. Services in `desired` are always
   * owned. `'all'`: every service in the kernel; a Set: service ids (`serviceId`); a function: asked
   * per actual service.
   * @default services in `desired` only
   */
  owned?: 'all' | ReadonlySet<string> | ((key: ServiceKey) => boolean);
  /**
   * A real in the kernel that is not desired is deleted (`'delete'`) or kept with weight 0
   * (`'quiesce'`, keepalived's `inhibit_on_failure`: existing connections survive).
   * @default 'delete'
   */
  removeReal?: 'delete' | 'quiesce';
}

/** Tunnel parameters as the kernel keeps them: defaults filled in, irrelevant fields dropped. */
function normTunnel(d: IpvsDestination): string {
  if (d.method !== 'tunnel') return '';
  const t: TunnelInfo = d.tunnel ?? { type: 'ipip' };
  if (t.type === 'ipip') return 'ipip';
  const csum = t.checksum ?? 'nocsum';
  return t.type === 'gue' ? `gue:${t.port ?? 0}:${csum}` : `gre:${csum}`;
}

function normNetmask(m: string | number): string {
  return String(m);
}

/** True when two services with the same identity need no SET. */
export function sameServiceConfig(a: IpvsService, b: IpvsService): boolean {
  if (a.scheduler !== b.scheduler) return false;
  const fa = a.flags;
  const fb = b.flags;
  if (fa.flag1 !== fb.flag1 || fa.flag2 !== fb.flag2 || fa.flag3 !== fb.flag3) return false;
  if (fa.onePacket !== fb.onePacket) return false;
  if ((a.persistence === undefined) !== (b.persistence === undefined)) return false;
  if (a.persistence && b.persistence) {
    if (a.persistence.timeout !== b.persistence.timeout) return false;
    if (normNetmask(a.persistence.netmask) !== normNetmask(b.persistence.netmask)) return false;
  }
  return (a.persistenceEngine ?? '') === (b.persistenceEngine ?? '');
}

/** True when two destinations with the same identity need no SET. */
export function sameDestinationConfig(a: IpvsDestination, b: IpvsDestination): boolean {
  return (
    a.method === b.method &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    normTunnel(a) === normTunnel(b)
  );
}

/** Only the configuration of a destination (drops kernel counters a state may carry). */
export function destConfig(d: IpvsDestination): IpvsDestination {
  const out: IpvsDestination = {
    family: d.family,
    address: d.address,
    port: d.port,
    method: d.method,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
  };
  if (d.tunnel) out.tunnel = d.tunnel;
  return out;
}

function ownedPredicate(
  desiredIds: { has(id: string): boolean },
  owned: ReconcileOptions['owned'],
): (key: ServiceKey) => boolean {
  if (owned === 'all') return () => true;
  if (owned === undefined) return (k) => desiredIds.has(serviceId(k));
  if (typeof owned === 'function') return (k) => desiredIds.has(serviceId(k)) || owned(k);
  return (k) => desiredIds.has(serviceId(k)) || owned.has(serviceId(k));
}

/**
 * The edits of two lists that hold the same reals in the same order (the common case: the desired
 * list and the kernel's, both canonical), found by one walk without building any map; undefined
 * when the identities differ anywhere, for the general diff.
 */
function diffAligned(
  key: ServiceKey,
  desired: readonly IpvsDestination[],
  actual: readonly IpvsDestination[],
): IpvsOp[] | undefined {
  if (desired.length !== actual.length) return undefined;
  let changed: IpvsDestination[] | undefined;
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i]!;
    const a = actual[i]!;
    if (d.address !== a.address || d.port !== a.port) return undefined;
    if (!sameDestinationConfig(d, a)) (changed ??= []).push(d);
  }
  if (changed === undefined) return [];
  return sortDestinations(changed).map((d) => ({ op: 'editDest', key, dest: destConfig(d) }));
}

function diffDestinations(
  key: ServiceKey,
  desired: readonly IpvsDestination[],
  actual: readonly IpvsDestination[],
  removeReal: 'delete' | 'quiesce',
): IpvsOp[] {
  const aligned = diffAligned(key, desired, actual);
  if (aligned !== undefined) return aligned;
  const ops: IpvsOp[] = [];
  const want = new Map(desired.map((d) => [destinationId(d), d]));
  const have = new Map(actual.map((d) => [destinationId(d), d]));
  // 1. reals no longer desired
  for (const d of sortDestinations(actual.filter((d) => !want.has(destinationId(d))))) {
    if (removeReal === 'delete') {
      ops.push({ op: 'delDest', key, dest: { family: d.family, address: d.address, port: d.port } });
    } else if (d.weight !== 0) {
      ops.push({ op: 'editDest', key, dest: { ...destConfig(d), weight: 0 } });
    }
  }
  // 2. reals that exist but differ
  const changed = desired.filter((d) => {
    const cur = have.get(destinationId(d));
    return cur !== undefined && !sameDestinationConfig(d, cur);
  });
  for (const d of sortDestinations(changed)) ops.push({ op: 'editDest', key, dest: destConfig(d) });
  // 3. new reals, in canonical order
  const added = desired.filter((d) => !have.has(destinationId(d)));
  for (const d of sortDestinations(added)) ops.push({ op: 'addDest', key, dest: destConfig(d) });
  return ops;
}

/** The ops of one service (all of them contiguous in the plan), with the key that orders it. */
interface ServiceOps {
  key: ServiceKey;
  ops: IpvsOp[];
}

/**
 * Desired x actual -> ordered kernel operations. Applying them to `actual` yields `desired` for
 * every owned service; reconciling again then yields `[]`.
 *
 * Each service's ops are found without regard to order and only the services that need any are
 * sorted (canonical order): a plan with nothing to do over 100,000 reals sorts nothing and builds
 * no per-real map when the desired and the kernel's lists agree in order.
 */
export function reconcile(
  desired: IpvsTable,
  actual: readonly (IpvsServiceEntry | IpvsServiceState)[],
  opts: ReconcileOptions = {},
): IpvsOp[] {
  const removeReal = opts.removeReal ?? 'delete';
  const want = new Map<string, IpvsServiceEntry>();
  for (const e of desired) want.set(serviceId(e.service.key), e);
  const have = new Map<string, IpvsServiceEntry | IpvsServiceState>();
  for (const e of actual) have.set(serviceId(e.service.key), e);
  const isOwned = ownedPredicate(want, opts.owned);

  const touched: ServiceOps[] = [];
  for (const [id, w] of want) {
    const key = w.service.key;
    const h = have.get(id);
    if (!h) {
      const ops: IpvsOp[] = [{ op: 'addService', service: w.service }];
      for (const d of sortDestinations(w.destinations)) ops.push({ op: 'addDest', key, dest: destConfig(d) });
      touched.push({ key, ops });
      continue;
    }
    const edit = sameServiceConfig(w.service, h.service)
      ? []
      : [{ op: 'editService' as const, service: w.service }];
    const dests = diffDestinations(key, w.destinations, h.destinations, removeReal);
    if (edit.length + dests.length > 0) touched.push({ key, ops: [...edit, ...dests] });
  }
  for (const [id, h] of have) {
    if (!want.has(id) && isOwned(h.service.key))
      touched.push({ key: h.service.key, ops: [{ op: 'delService', key: h.service.key }] });
  }
  return sortByServiceKey(touched, (t) => t.key).flatMap((t) => t.ops);
}

/** Counts of a plan by kind, for `lvsd ipvs apply` and logs. */
export function summarizeOps(ops: readonly IpvsOp[]): Record<IpvsOp['op'], number> {
  const out: Record<IpvsOp['op'], number> = {
    addService: 0,
    editService: 0,
    delService: 0,
    addDest: 0,
    editDest: 0,
    delDest: 0,
    flush: 0,
    zero: 0,
    setTimeouts: 0,
    startDaemon: 0,
    stopDaemon: 0,
  };
  for (const o of ops) out[o.op]++;
  return out;
}
