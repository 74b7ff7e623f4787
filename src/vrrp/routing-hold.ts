// SPDX-License-Identifier: Apache-2.0
/**
 * The routes and rules one owner (a VRRP instance, or the engine's static set) has added to the
 * kernel, through the rtnetlink port. Routes go in before rules and come out after them, as
 * keepalived orders them (a rule may send traffic to a table the routes fill). Only what this hold
 * added is removed: a route or rule the kernel already had is someone else's. A netlink failure is
 * logged and counted, never thrown, so one bad entry does not stop the others. Pure (the port does
 * the I/O); callers serialize its calls.
 */
import type { Logger } from '../core/log.js';
import type { IpFamily } from '../core/addr.js';
import type { RouteEntry, RouteSpec, Rtnl, RuleSpec } from '../netlink/rtnl.js';
import { routeMatches, routeText, ruleText, specKey } from './route-specs.js';

export type RoutingPort = Pick<Rtnl, 'addRoute' | 'delRoute' | 'addRule' | 'delRule' | 'listRoutes'>;

type Entry =
  { readonly kind: 'route'; readonly spec: RouteSpec } | { readonly kind: 'rule'; readonly spec: RuleSpec };

export class RoutingHold {
  readonly #rtnl: RoutingPort;
  readonly #log: Logger;
  readonly #held = new Map<string, Entry>();
  /** Netlink failures adding or removing. */
  errors = 0;

  constructor(rtnl: RoutingPort, log: Logger) {
    this.#rtnl = rtnl;
    this.#log = log;
  }

  /** Add routes, then rules (those not held yet). */
  async add(routes: readonly RouteSpec[], rules: readonly RuleSpec[]): Promise<void> {
    for (const spec of routes) await this.#add({ kind: 'route', spec });
    for (const spec of rules) await this.#add({ kind: 'rule', spec });
  }

  /** Remove rules, then routes, of those this hold added. */
  async remove(routes: readonly RouteSpec[], rules: readonly RuleSpec[]): Promise<void> {
    for (const spec of rules) await this.#remove({ kind: 'rule', spec }, false);
    for (const spec of routes) await this.#remove({ kind: 'route', spec }, false);
  }

  /** Remove everything held (rules first). */
  async removeAll(): Promise<void> {
    const all = [...this.#held.values()];
    for (const e of all) if (e.kind === 'rule') await this.#remove(e, false);
    for (const e of all) if (e.kind === 'route') await this.#remove(e, false);
  }

  /**
   * Take these over as held (a hitless restart: the predecessor left them in place): a route the
   * kernel shows (routeMatches: the kernel's choices, such as the interface a gateway resolved to,
   * are not compared) is this hold's own from now on, without a netlink call; one it lacks is added.
   * Routes are looked up rather than added again because adding checks the gateway through the
   * policy rules first, and the rules taken over may make it unreachable (a `not from ...
   * unreachable` rule): the add fails though the route is there. A rule added again is EEXIST, and
   * counts as this hold's own.
   */
  async adopt(routes: readonly RouteSpec[], rules: readonly RuleSpec[]): Promise<void> {
    const present = await this.#kernelRoutes(routes);
    for (const spec of routes) {
      const entry: Entry = { kind: 'route', spec };
      if (present.some((r) => routeMatches(spec, r))) this.#held.set(`route|${specKey(spec)}`, entry);
      else await this.#add(entry, true);
    }
    for (const spec of rules) await this.#add({ kind: 'rule', spec }, true);
  }

  /** Delete these from the kernel whether held or not: what a killed predecessor left behind. */
  async clear(routes: readonly RouteSpec[], rules: readonly RuleSpec[]): Promise<void> {
    for (const spec of rules) await this.#remove({ kind: 'rule', spec }, true);
    for (const spec of routes) await this.#remove({ kind: 'route', spec }, true);
  }

  /** What is held, as `ip route` / `ip rule` text (the stats dump). */
  snapshot(): { routes: string[]; rules: string[] } {
    const held = [...this.#held.values()];
    return {
      routes: held.flatMap((e) => (e.kind === 'route' ? [routeText(e.spec)] : [])),
      rules: held.flatMap((e) => (e.kind === 'rule' ? [ruleText(e.spec)] : [])),
    };
  }

  /** The kernel's routes of the families `routes` use; none (each then added) when it cannot be read. */
  async #kernelRoutes(routes: readonly RouteSpec[]): Promise<RouteEntry[]> {
    const out: RouteEntry[] = [];
    for (const family of new Set<IpFamily>(routes.map((r) => r.family))) {
      try {
        out.push(...(await this.#rtnl.listRoutes(family)));
      } catch (err) {
        this.errors++;
        this.#log.error('cannot list routes to take them over', { family, error: (err as Error).message });
      }
    }
    return out;
  }

  async #add(e: Entry, adopting = false): Promise<void> {
    const key = `${e.kind}|${specKey(e.spec)}`;
    if (this.#held.has(key)) return;
    try {
      const r = e.kind === 'route' ? await this.#rtnl.addRoute(e.spec) : await this.#rtnl.addRule(e.spec);
      if (r === 'added' || adopting) this.#held.set(key, e);
      else this.#log.warn(`${e.kind} already present; not ours to remove later`, { [e.kind]: textOf(e) });
    } catch (err) {
      this.errors++;
      this.#log.error(`${e.kind} add failed`, { [e.kind]: textOf(e), error: (err as Error).message });
    }
  }

  async #remove(e: Entry, evenIfNotHeld: boolean): Promise<void> {
    const key = `${e.kind}|${specKey(e.spec)}`;
    const held = this.#held.delete(key);
    if (!held && !evenIfNotHeld) return;
    try {
      const r = e.kind === 'route' ? await this.#rtnl.delRoute(e.spec) : await this.#rtnl.delRule(e.spec);
      if (evenIfNotHeld && !held && r === 'deleted')
        this.#log.info(`removed a stale ${e.kind} left by a previous run`, { [e.kind]: textOf(e) });
    } catch (err) {
      this.errors++;
      this.#log.error(`${e.kind} delete failed`, { [e.kind]: textOf(e), error: (err as Error).message });
    }
  }
}

function textOf(e: Entry): string {
  return e.kind === 'route' ? routeText(e.spec) : ruleText(e.spec);
}
