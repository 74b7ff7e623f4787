// SPDX-License-Identifier: Apache-2.0
/**
 * Operator drains (`lvsd real drain|enable VS RS`): which real an operator's text names, and the
 * set of drained reals, kept by real identity (`realKey`) so a drain survives reloads and, through
 * a `DrainStore`, restarts. Pure: the store is a port (src/daemon/drain-store.ts).
 */
import type { Logger } from '../core/log.js';
import type { CheckSpec, RealServerSpec, VirtualServerSpec } from './types.js';
import { realKeyOf } from './virtual-server.js';

/** Keeps operator drains across restarts (src/daemon/drain-store.ts). */
export interface DrainStore {
  load(): string[];
  /** May throw: the drain still applies, the failure is logged. */
  save(keys: readonly string[]): void;
}

/** Whether an operator's `[proto:]addr:port` or `[v6]:port` names this address, port (and protocol). */
export function refMatches(text: string, key: { address: string; port: number; protocol?: string }): boolean {
  const t = text.trim().toLowerCase();
  const m = /^(?:(tcp|udp|sctp):)?(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(t);
  if (!m) return false;
  if (m[1] !== undefined && key.protocol !== undefined && m[1] !== key.protocol) return false;
  return (m[2] ?? m[3]) === key.address && Number(m[4]) === key.port;
}

/** Whether an operator's reference names a virtual server: `[proto:]addr:port`, `[v6]:port` or `fwmark:N`. */
function vsMatches(text: string, vs: VirtualServerSpec): boolean {
  const k = vs.service.key;
  return k.kind === 'fwmark'
    ? text.trim().toLowerCase() === `fwmark:${k.fwmark}`
    : refMatches(text, { address: k.address, port: k.port, protocol: k.protocol });
}

/** The real an operator names: in the first virtual server `vsRef` matches; undefined when none. */
export function findReal(
  spec: CheckSpec,
  vsRef: string,
  rsRef: string,
): { vs: VirtualServerSpec; rs: RealServerSpec } | undefined {
  const vs = spec.virtualServers.find((v) => vsMatches(vsRef, v));
  const rs = vs?.reals.find((r) => refMatches(rsRef, { address: r.address, port: r.port }));
  return vs && rs ? { vs, rs } : undefined;
}

/** The drained reals by `realKey`, loaded from and saved to the store. */
export class OperatorDrains {
  readonly #keys = new Set<string>();
  readonly #store: DrainStore | undefined;
  readonly #log: Logger;

  constructor(store: DrainStore | undefined, log: Logger) {
    this.#store = store;
    this.#log = log;
    for (const key of store?.load() ?? []) this.#keys.add(key);
  }

  /** The drained reals' keys (what `buildWorld` looks drains up in). */
  get keys(): ReadonlySet<string> {
    return this.#keys;
  }

  /** Drain or re-enable a real and save the set; a failed save is logged (the drain applies anyway). */
  set(vs: VirtualServerSpec, rs: RealServerSpec, drained: boolean): void {
    const key = realKeyOf(vs, rs);
    if (drained) this.#keys.add(key);
    else this.#keys.delete(key);
    try {
      this.#store?.save([...this.#keys]);
    } catch (e) {
      this.#log.error('drain not saved: it applies until the worker restarts', {
        error: (e as Error).message,
      });
    }
  }
}
