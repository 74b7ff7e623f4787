// SPDX-License-Identifier: Apache-2.0
/**
 * A model of what the kernel does with each `IpvsOp` on its table, with the kernel's error
 * numbers (EEXIST, ESRCH, ENOENT). Pure. Used to turn `ipvsadm -S` text into a table
 * (`lvsd ipvs apply FILE`), by the in-memory kernel of the unit tests, and by the reconciler's
 * property tests ("applying the plan to actual yields desired").
 * Destinations keep insertion order, as the kernel's list does (`list_add_tail`).
 */
import type {
  IpvsDestination,
  IpvsService,
  IpvsServiceEntry,
  IpvsTable,
  IpvsTimeouts,
  SyncDaemon,
} from './model.js';
import { compareServices, destinationId, serviceId, sortServices } from './model.js';
import type { IpvsOp } from './ops.js';
import { destConfig } from './reconcile.js';

export type KernelErrno = 'EEXIST' | 'ESRCH' | 'ENOENT' | 'EINVAL';

/** Kernel-side state beyond the table. */
export interface KernelExtras {
  timeouts: IpvsTimeouts;
  daemons: SyncDaemon[];
}

export const defaultTimeouts: IpvsTimeouts = Object.freeze({ tcp: 900, tcpFin: 120, udp: 300 });

function cloneDest(d: IpvsDestination): IpvsDestination {
  const out = destConfig(d);
  if (d.tunnel) out.tunnel = { ...d.tunnel };
  return out;
}

/**
 * Apply one op to `table` in place (and to `extras` when given). Returns the errno the kernel
 * would return, or undefined on success. Services stay in canonical order.
 */
export function applyOpToTable(table: IpvsTable, op: IpvsOp, extras?: KernelExtras): KernelErrno | undefined {
  const find = (id: string): number => table.findIndex((e) => serviceId(e.service.key) === id);
  switch (op.op) {
    case 'addService': {
      if (find(serviceId(op.service.key)) >= 0) return 'EEXIST';
      const entry: IpvsServiceEntry = { service: structuredClone(op.service), destinations: [] };
      table.push(entry);
      table.sort((a, b) => compareServices(a.service.key, b.service.key));
      return undefined;
    }
    case 'editService': {
      const i = find(serviceId(op.service.key));
      if (i < 0) return 'ESRCH';
      table[i]!.service = structuredClone(op.service);
      return undefined;
    }
    case 'delService': {
      const i = find(serviceId(op.key));
      if (i < 0) return 'ESRCH';
      table.splice(i, 1);
      return undefined;
    }
    case 'addDest':
    case 'editDest':
    case 'delDest': {
      const i = find(serviceId(op.key));
      if (i < 0) return 'ESRCH';
      const dests = table[i]!.destinations;
      const j = dests.findIndex((d) => destinationId(d) === destinationId(op.dest));
      if (op.op === 'addDest') {
        if (j >= 0) return 'EEXIST';
        dests.push(cloneDest(op.dest));
      } else if (j < 0) return 'ENOENT';
      else if (op.op === 'editDest') dests[j] = cloneDest(op.dest);
      else dests.splice(j, 1);
      return undefined;
    }
    case 'flush':
      table.splice(0, table.length);
      return undefined;
    case 'zero':
      if (op.key && find(serviceId(op.key)) < 0) return 'ESRCH';
      return undefined;
    case 'setTimeouts':
      if (extras) {
        const t = op.timeouts;
        extras.timeouts = {
          tcp: t.tcp || extras.timeouts.tcp,
          tcpFin: t.tcpFin || extras.timeouts.tcpFin,
          udp: t.udp || extras.timeouts.udp,
        };
      }
      return undefined;
    case 'startDaemon':
      if (extras) {
        if (extras.daemons.some((d) => d.state === op.daemon.state)) return 'EEXIST';
        extras.daemons.push({ ...op.daemon });
      }
      return undefined;
    case 'stopDaemon':
      if (extras) {
        const k = extras.daemons.findIndex((d) => d.state === op.state);
        if (k < 0) return 'ESRCH';
        extras.daemons.splice(k, 1);
      }
      return undefined;
  }
}

/**
 * A table built op by op with `applyOpToTable`'s rules and errnos for the table ops (services,
 * destinations, flush), but indexed by service and destination id, so each op costs O(1) and the
 * services are sorted once, by `table()`. `lvsd ipvs apply FILE` reads 100,000-line files with it
 * (`applyOpToTable` searches and re-sorts the array on every op: quadratic). Other ops change nothing.
 */
export class TableBuilder {
  readonly #services = new Map<string, { service: IpvsService; dests: Map<string, IpvsDestination> }>();

  apply(op: IpvsOp): KernelErrno | undefined {
    switch (op.op) {
      case 'addService': {
        const id = serviceId(op.service.key);
        if (this.#services.has(id)) return 'EEXIST';
        this.#services.set(id, { service: structuredClone(op.service), dests: new Map() });
        return undefined;
      }
      case 'editService': {
        const s = this.#services.get(serviceId(op.service.key));
        if (!s) return 'ESRCH';
        s.service = structuredClone(op.service);
        return undefined;
      }
      case 'delService':
        return this.#services.delete(serviceId(op.key)) ? undefined : 'ESRCH';
      case 'addDest':
      case 'editDest':
      case 'delDest': {
        const dests = this.#services.get(serviceId(op.key))?.dests;
        if (!dests) return 'ESRCH';
        const id = destinationId(op.dest);
        const has = dests.has(id);
        if (op.op === 'addDest') {
          if (has) return 'EEXIST';
          dests.set(id, cloneDest(op.dest));
        } else if (!has) return 'ENOENT';
        // Map.set on a present key keeps its place: an edit stays where the kernel's list has it.
        else if (op.op === 'editDest') dests.set(id, cloneDest(op.dest));
        else dests.delete(id);
        return undefined;
      }
      case 'flush':
        this.#services.clear();
        return undefined;
      default:
        return undefined;
    }
  }

  /** The table: services in canonical order, destinations in the order they were added. */
  table(): IpvsTable {
    return sortServices(
      [...this.#services.values()].map((s) => ({ service: s.service, destinations: [...s.dests.values()] })),
    );
  }
}
