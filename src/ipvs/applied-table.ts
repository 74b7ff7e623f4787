// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel's IPVS table as lvsd last read it, then changed by every op applied since: what the
 * sync loop plans against between two reads of the kernel. Kept by service id and destination id,
 * so a round that touches a few services reads and updates only those. Configuration only (the
 * counters of a dump are dropped). It also tells where the kernel differs from it (drift), a slice
 * at a time. Pure.
 */
import type {
  IpvsDestination,
  IpvsService,
  IpvsServiceEntry,
  IpvsServiceState,
  ServiceKey,
} from './model.js';
import { destinationId, serviceId } from './model.js';
import type { IpvsOp } from './ops.js';
import { destConfig, sameDestinationConfig, sameServiceConfig } from './reconcile.js';

interface Service {
  service: IpvsService;
  /** By destinationId, in the kernel's order (insertion order, as its list). */
  dests: Map<string, IpvsDestination>;
}

export class AppliedTable {
  readonly #services = new Map<string, Service>();

  /** From a kernel dump (or any table). */
  constructor(table: readonly (IpvsServiceEntry | IpvsServiceState)[] = []) {
    for (const e of table) {
      this.#services.set(serviceId(e.service.key), {
        service: e.service,
        dests: new Map(e.destinations.map((d) => [destinationId(d), destConfig(d)])),
      });
    }
  }

  get size(): number {
    return this.#services.size;
  }

  /** The entries of these service ids (those present), or of every service. */
  entries(ids?: Iterable<string>): IpvsServiceEntry[] {
    const out: IpvsServiceEntry[] = [];
    const add = (s: Service | undefined): void => {
      if (s) out.push({ service: s.service, destinations: [...s.dests.values()] });
    };
    if (ids === undefined) for (const s of this.#services.values()) add(s);
    else for (const id of ids) add(this.#services.get(id));
    return out;
  }

  /** The keys of the kept services that are `owned`, in the order they were read or added. */
  keys(owned: (id: string) => boolean): ServiceKey[] {
    const out: ServiceKey[] = [];
    for (const [id, s] of this.#services) if (owned(id)) out.push(s.service.key);
    return out;
  }

  /**
   * The owned services whose configuration the kernel holds differently: kept and missing from
   * `kernel` or set otherwise there, or there and not kept (ids). Others' services are not lvsd's
   * to repair.
   */
  serviceDrift(kernel: readonly IpvsService[], owned: (id: string) => boolean): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const k of kernel) {
      const id = serviceId(k.key);
      seen.add(id);
      if (!owned(id)) continue;
      const kept = this.#services.get(id);
      if (!kept || !sameServiceConfig(kept.service, k)) out.push(id);
    }
    for (const id of this.#services.keys()) if (!seen.has(id) && owned(id)) out.push(id);
    return out;
  }

  /**
   * The services among `keys` whose destinations the kernel holds differently (`kernel[i]`: the
   * destinations of `keys[i]`, undefined when the kernel has no such service any more).
   */
  destinationDrift(
    keys: readonly ServiceKey[],
    kernel: ReadonlyArray<readonly IpvsDestination[] | undefined>,
  ): string[] {
    const out: string[] = [];
    keys.forEach((key, i) => {
      const id = serviceId(key);
      const kept = this.#services.get(id);
      if (!kept) return; // removed by lvsd since the walk began
      const dests = kernel[i];
      const same =
        dests !== undefined &&
        dests.length === kept.dests.size &&
        dests.every((d) => {
          const k = kept.dests.get(destinationId(d));
          return k !== undefined && sameDestinationConfig(k, d);
        });
      if (!same) out.push(id);
    });
    return out;
  }

  /**
   * Record ops the kernel carried out (an `ApplyReport`'s `applied`, in order). An op that does not
   * fit the table (it was read before someone else changed the kernel) is ignored: the next read
   * of the kernel puts that right.
   */
  apply(ops: readonly IpvsOp[]): void {
    for (const op of ops) this.#apply(op);
  }

  #apply(op: IpvsOp): void {
    switch (op.op) {
      case 'addService':
      case 'editService': {
        const id = serviceId(op.service.key);
        const s = this.#services.get(id);
        if (s) s.service = op.service;
        else this.#services.set(id, { service: op.service, dests: new Map() });
        return;
      }
      case 'delService':
        this.#services.delete(serviceId(op.key));
        return;
      case 'addDest':
      case 'editDest':
        this.#services.get(serviceId(op.key))?.dests.set(destinationId(op.dest), destConfig(op.dest));
        return;
      case 'delDest':
        this.#services.get(serviceId(op.key))?.dests.delete(destinationId(op.dest));
        return;
      case 'flush':
        this.#services.clear();
        return;
      case 'zero':
      case 'setTimeouts':
      case 'startDaemon':
      case 'stopDaemon':
        return; // not part of the table's configuration
    }
  }
}
