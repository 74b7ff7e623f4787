// SPDX-License-Identifier: Apache-2.0
/**
 * The global `static_ipaddress`, `static_routes` and `static_rules`, which belong to no VRRP
 * instance: set when the engine starts, whatever the VRRP states (first deleting what a killed
 * predecessor left, as keepalived does on a start that is not a reload; taking over what a
 * predecessor handed over in place leaves), applied as a diff on reload,
 * and removed at stop (rules, then routes, then addresses; keepalived's order). Only what this set
 * added is removed. An entry whose interface does not exist yet is set when the interface appears
 * (`retry` on link events); a static address deleted from outside is added back, as keepalived
 * reinstates it. Calls are serialized on one chain. Pure: the kernel is the rtnetlink port.
 */
import type { Model } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { AddrSpec, RouteSpec, Rtnl, RuleSpec } from '../netlink/rtnl.js';
import { vipSpec } from './addresses.js';
import { routeDevs, routeSpecOf, ruleSpecOf } from './route-specs.js';
import { RoutingHold, type RoutingPort } from './routing-hold.js';

/** The global static entries of a Model (the engine hands the Model itself). */
export type StaticEntries = Readonly<Pick<Model, 'staticAddresses' | 'staticRoutes' | 'staticRules'>>;

export interface StaticSetupDeps {
  readonly rtnl: Pick<Rtnl, 'addAddress' | 'delAddress'> & RoutingPort;
  readonly log: Logger;
  /** An interface's index, undefined while it does not exist. */
  readonly ifindexOf: (name: string) => Promise<number | undefined>;
}

/** The entries as rtnetlink takes them, and the interfaces that kept some out. */
interface Resolved {
  readonly addresses: AddrSpec[];
  readonly routes: RouteSpec[];
  readonly rules: RuleSpec[];
  readonly missing: string[];
}

const addrKey = (a: AddrSpec): string => JSON.stringify(a);

export class StaticSetup {
  readonly #deps: StaticSetupDeps;
  readonly #log: Logger;
  readonly #routing: RoutingHold;
  /** Addresses this set added, by identity. */
  readonly #addrs = new Map<string, AddrSpec>();
  #entries: StaticEntries = { staticAddresses: [], staticRoutes: [], staticRules: [] };
  #applied: Resolved = { addresses: [], routes: [], rules: [], missing: [] };
  #chain: Promise<void> = Promise.resolve();
  /** Netlink failures on addresses (routes and rules count in the routing hold). */
  addressErrors = 0;
  /** Static addresses deleted from outside and added back. */
  reinstated = 0;

  constructor(deps: StaticSetupDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ part: 'static' });
    this.#routing = new RoutingHold(deps.rtnl, this.#log);
  }

  /**
   * Delete leftovers of a previous run, then set every entry; or, `adopt` (the previous process
   * handed over in place: a hitless restart), take over what it left, so nothing blinks.
   */
  start(entries: StaticEntries, adopt = false): Promise<void> {
    return this.#serial(async () => {
      const r = await this.#resolve(entries);
      if (adopt) {
        await this.#routing.adopt(r.routes, r.rules);
        for (const a of r.addresses) await this.#add(a, true);
      } else {
        await this.#routing.clear(r.routes, r.rules);
        for (const a of r.addresses) await this.#del(a, true);
      }
      this.#entries = entries;
      await this.#set(r);
    });
  }

  /** Reload: remove what is no longer configured, set what is new. */
  apply(entries: StaticEntries): Promise<void> {
    return this.#serial(async () => {
      this.#entries = entries;
      await this.#set(await this.#resolve(entries));
    });
  }

  /** After a link change: set the entries that waited for an interface. */
  retry(): Promise<void> {
    if (this.#applied.missing.length === 0) return this.#chain;
    return this.apply(this.#entries);
  }

  /** Remove everything this set added: rules, routes, then addresses. */
  stop(): Promise<void> {
    return this.#serial(async () => {
      await this.#routing.removeAll();
      for (const a of [...this.#addrs.values()]) await this.#del(a, false);
      this.#applied = { addresses: [], routes: [], rules: [], missing: [] };
    });
  }

  /** RTM_DELADDR: a static address this set holds is added back. */
  addressRemoved(a: {
    readonly address: string;
    readonly prefixLen: number;
    readonly ifindex: number;
  }): void {
    const held = [...this.#addrs.values()].find(
      (x) => x.address === a.address && x.prefixLen === a.prefixLen && x.ifindex === a.ifindex,
    );
    if (!held) return;
    this.#addrs.delete(addrKey(held));
    this.reinstated++;
    this.#log.warn('static address removed from outside: adding it back', {
      address: `${held.address}/${held.prefixLen}`,
    });
    void this.#serial(() => this.#add(held));
  }

  snapshot(): object {
    return {
      addresses: [...this.#addrs.values()].map((a) => `${a.address}/${a.prefixLen} dev#${a.ifindex}`),
      ...this.#routing.snapshot(),
      waitingFor: this.#applied.missing,
      reinstated: this.reinstated,
      errors: this.addressErrors + this.#routing.errors,
    };
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Make the kernel hold `next`: gone entries out (rules, routes, addresses), then new ones in. */
  async #set(next: Resolved): Promise<void> {
    const keep = <T>(xs: readonly T[], key: (x: T) => string) => new Set(xs.map(key));
    const routeKeys = keep(next.routes, (x) => JSON.stringify(x));
    const ruleKeys = keep(next.rules, (x) => JSON.stringify(x));
    await this.#routing.remove(
      this.#applied.routes.filter((x) => !routeKeys.has(JSON.stringify(x))),
      this.#applied.rules.filter((x) => !ruleKeys.has(JSON.stringify(x))),
    );
    const addrKeys = keep(next.addresses, addrKey);
    for (const a of [...this.#addrs.values()]) if (!addrKeys.has(addrKey(a))) await this.#del(a, false);
    for (const a of next.addresses) if (!this.#addrs.has(addrKey(a))) await this.#add(a);
    await this.#routing.add(next.routes, next.rules);
    if (next.missing.length > 0 && next.missing.join() !== this.#applied.missing.join())
      this.#log.warn('static entries wait for their interface', { interfaces: next.missing.join(', ') });
    this.#applied = next;
  }

  async #resolve(e: StaticEntries): Promise<Resolved> {
    const missing = new Set<string>();
    const index = async (name: string): Promise<number | undefined> => {
      const i = await this.#deps.ifindexOf(name);
      if (i === undefined) missing.add(name);
      return i;
    };
    const addresses: AddrSpec[] = [];
    for (const v of e.staticAddresses) {
      const i = await index(v.dev);
      if (i !== undefined) addresses.push(vipSpec(v, i));
    }
    const routes: RouteSpec[] = [];
    for (const r of e.staticRoutes) {
      const found = new Map<string, number>();
      for (const dev of routeDevs(r)) {
        const i = await index(dev);
        if (i !== undefined) found.set(dev, i);
      }
      if (routeDevs(r).every((d) => found.has(d))) routes.push(routeSpecOf(r, (d) => found.get(d) ?? 0));
    }
    return { addresses, routes, rules: e.staticRules.map(ruleSpecOf), missing: [...missing] };
  }

  /** Add an address; `adopting`, one the kernel already has counts as this set's own. */
  async #add(a: AddrSpec, adopting = false): Promise<void> {
    try {
      const r = await this.#deps.rtnl.addAddress(a);
      if (r === 'added' || adopting) this.#addrs.set(addrKey(a), a);
      else this.#log.warn('static address already present; not ours to remove later', { address: a.address });
    } catch (e) {
      this.addressErrors++;
      this.#log.error('static address add failed', { address: a.address, error: (e as Error).message });
    }
  }

  /** Delete an address this set holds (or, `stale`, whatever the kernel has at start). */
  async #del(a: AddrSpec, stale: boolean): Promise<void> {
    if (!this.#addrs.delete(addrKey(a)) && !stale) return;
    try {
      const r = await this.#deps.rtnl.delAddress(a);
      if (stale && r === 'deleted')
        this.#log.info('removed a stale static address left by a previous run', { address: a.address });
    } catch (e) {
      this.addressErrors++;
      this.#log.error('static address delete failed', { address: a.address, error: (e as Error).message });
    }
  }
}
