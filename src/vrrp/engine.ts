// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine: every `vrrp_instance` of a Model running as a `VrrpInstance`, their sockets
 * (socket-registry.ts), sync groups (sync-group-set.ts), trackers and link states, and reload as a
 * desired-state diff (reload-plan.ts). Everything it needs from the system comes through its ports
 * (ports.ts): the daemon gives it real sockets and rtnetlink, the unit tests fakes and a FakeClock.
 */
import type { Model, VrrpInstance as InstanceConfig } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { LinkEvent } from '../netlink/rtnl.js';
import { sourceAddress } from './addresses.js';
import { LatenessHistogram, VrrpInstance, type InstanceSpec } from './instance.js';
import { instanceSpecOf } from './instance-spec.js';
import type { TrackerRunner, VrrpEnginePorts } from './ports.js';
import { planVrrpReload, type VrrpReloadPlan } from './reload-plan.js';
import { SocketRegistry, type AdvertReceiver, type SocketPlace } from './socket-registry.js';
import { SyncGroupSet } from './sync-group-set.js';

interface LinkState {
  readonly ifindex: number;
  readonly mac: string;
  up: boolean;
}

/** An instance ready to run: its spec and where it sends and receives. */
interface Prepared {
  readonly config: InstanceConfig;
  readonly place: SocketPlace;
  readonly spec: InstanceSpec;
}

export class VrrpEngine {
  readonly lateness = new LatenessHistogram();
  readonly #ports: VrrpEnginePorts;
  readonly #log: Logger;
  readonly #sockets: SocketRegistry;
  readonly #groups: SyncGroupSet;
  readonly #byName = new Map<string, VrrpInstance>();
  /** What each instance's socket delivers to (detached when the instance goes). */
  readonly #receivers = new Map<VrrpInstance, AdvertReceiver>();
  readonly #links = new Map<string, LinkState>();
  #model: Model;
  #trackers: TrackerRunner | undefined;
  #unsubscribe: () => void = () => {};

  private constructor(model: Model, ports: VrrpEnginePorts) {
    this.#model = model;
    this.#ports = ports;
    this.#log = ports.log;
    this.#sockets = new SocketRegistry(ports.sockets);
    this.#groups = new SyncGroupSet((n) => this.#byName.get(n), ports.notifier);
  }

  /** Prepare every instance (nothing runs if one cannot be), then start them all. */
  static async start(model: Model, ports: VrrpEnginePorts): Promise<VrrpEngine> {
    const e = new VrrpEngine(model, ports);
    const prepared: Prepared[] = [];
    for (const mi of model.vrrpInstances) prepared.push(await e.#prepare(mi, model));
    const started = prepared.map((p) => e.#register(p));
    e.#groups.configure(model, false);
    e.#unsubscribe = ports.rtnl.onLinkEvent((ev) => e.#onLink(ev));
    await e.#startAll(started);
    e.#trackers = await e.#runTrackers();
    return e;
  }

  get instances(): readonly VrrpInstance[] {
    return [...this.#byName.values()];
  }

  get model(): Model {
    return this.#model;
  }

  /**
   * Apply a new model as a desired-state diff (reload-plan.ts). Every new or changed instance is
   * prepared before anything changes, so a failure (an interface that does not exist, a VRID
   * conflict) throws and leaves the running setup as it was.
   */
  async reload(next: Model): Promise<VrrpReloadPlan> {
    const plan = planVrrpReload(this.#model, next);
    if (plan.conflicts.length > 0) throw new Error(plan.conflicts.join('; '));
    if (plan.empty) {
      this.#model = next;
      return plan;
    }
    const prepared = new Map<string, Prepared>();
    const byName = new Map(next.vrrpInstances.map((m) => [m.name, m]));
    for (const name of [...plan.added, ...plan.carried, ...plan.replaced]) {
      const mi = byName.get(name);
      if (mi) prepared.set(name, await this.#prepare(mi, next));
    }
    const leaving = [...plan.removed, ...plan.replaced]
      .map((n) => this.#byName.get(n))
      .filter((i): i is VrrpInstance => i !== undefined);
    this.#trackers?.stop();
    this.#trackers = undefined;
    try {
      for (const inst of leaving) this.#unregister(inst);
      await Promise.all(leaving.map((i) => i.shutdown()));
      for (const name of plan.carried) {
        const p = prepared.get(name);
        if (p) this.#byName.get(name)?.reconfigure(p.spec);
      }
      const started: VrrpInstance[] = [];
      for (const name of [...plan.added, ...plan.replaced]) {
        const p = prepared.get(name);
        if (p) started.push(this.#register(p));
      }
      this.#model = next;
      this.#groups.configure(next, true);
      await this.#startAll(started);
    } finally {
      // whatever happened above, the trackers of the instances now running run again
      this.#trackers = await this.#runTrackers();
    }
    this.#sockets.closeUnused();
    return plan;
  }

  /** Graceful stop: every instance releases (priority-0 advert if master, VIPs removed). */
  async stop(): Promise<void> {
    this.#unsubscribe();
    this.#trackers?.stop();
    await Promise.all(this.instances.map((i) => i.shutdown()));
    this.#sockets.closeAll();
    this.#ports.notifier.close();
    this.#ports.rtnl.close();
  }

  /** States, counters, drops by reason, timer lateness (the stats dump and `lvsd status`). */
  snapshot(): object {
    return {
      instances: this.instances.map((i) => i.snapshot()),
      sockets: this.#sockets.snapshot(),
      timerLateness: this.lateness.toJSON(),
      notify: this.#ports.notifier.counters,
      trackers: this.#trackers?.counters ?? { scriptRuns: 0, scriptTimeouts: 0, scriptErrors: 0 },
    };
  }

  async #link(name: string): Promise<LinkState> {
    let l = this.#links.get(name);
    if (!l) {
      const info = await this.#ports.rtnl.getLink(name);
      if (!info) throw new Error(`interface ${name} not found`);
      l = { ifindex: info.ifindex, mac: info.mac, up: info.up };
      this.#links.set(name, l);
    }
    return l;
  }

  /** Resolve what an instance needs from the host (no effect on running instances). */
  async #prepare(mi: InstanceConfig, m: Model): Promise<Prepared> {
    const link = await this.#link(mi.interface);
    const source = sourceAddress(mi, await this.#ports.rtnl.listAddresses(link.ifindex));
    if (!source) throw new Error(`instance ${mi.name}: no ${mi.family} source address on ${mi.interface}`);
    const ifindexes = new Map<string, number>([[mi.interface, link.ifindex]]);
    for (const v of mi.vips)
      if (!ifindexes.has(v.dev)) ifindexes.set(v.dev, (await this.#link(v.dev)).ifindex);
    const spec = instanceSpecOf(mi, m, {
      mac: link.mac,
      source,
      ifindexOf: (dev) => ifindexes.get(dev) ?? link.ifindex,
      router: this.#ports.host.ipv6Forwarding(mi.interface),
    });
    const group = mi.family === 'inet' ? m.global.vrrpMcastGroup4 : m.global.vrrpMcastGroup6;
    return {
      config: mi,
      place: { family: mi.family, ifname: mi.interface, ifindex: link.ifindex, group },
      spec,
    };
  }

  /** Open the sockets of a prepared instance and create it (not started yet). */
  #register(p: Prepared): VrrpInstance {
    const holder: { inst?: VrrpInstance } = {};
    const receiver: AdvertReceiver = {
      vrid: p.config.vrid,
      receive: (data, meta) => holder.inst?.receive(data, meta),
    };
    const { adverts, frames } = this.#sockets.attach(p.place, receiver);
    const inst = new VrrpInstance(p.spec, {
      clock: this.#ports.clock,
      timers: this.#ports.timers,
      log: this.#log,
      rtnl: this.#ports.rtnl,
      adverts,
      frames,
      notifier: this.#ports.notifier,
      lateness: this.lateness,
      onStep: (i, r) => this.#groups.onStep(i.name, r),
      ...(this.#ports.defer ? { defer: this.#ports.defer } : {}),
    });
    holder.inst = inst;
    this.#receivers.set(inst, receiver);
    this.#byName.set(inst.name, inst);
    return inst;
  }

  #unregister(inst: VrrpInstance): void {
    const r = this.#receivers.get(inst);
    if (r) this.#sockets.detach(r);
    this.#receivers.delete(inst);
    this.#byName.delete(inst.name);
  }

  /** Start instances: stale VIPs removed, machine started, a down link fed. */
  async #startAll(list: readonly VrrpInstance[]): Promise<void> {
    for (const inst of list) await inst.start();
    for (const inst of list) {
      const l = this.#links.get(this.#interfaceOf(inst.name) ?? '');
      if (l && !l.up) inst.link(false);
    }
  }

  #interfaceOf(name: string): string | undefined {
    return this.#model.vrrpInstances.find((x) => x.name === name)?.interface;
  }

  /** The model's trackers: scripts and track files run, tracked interfaces get their current state. */
  async #runTrackers(): Promise<TrackerRunner> {
    const m = this.#model;
    const t = this.#ports.trackers(m, this.instances);
    const tracked = new Set(m.vrrpInstances.flatMap((x) => x.trackInterfaces.map((r) => r.name)));
    for (const sg of m.syncGroups) for (const r of sg.trackInterfaces) tracked.add(r.name);
    for (const name of tracked) {
      const info = await this.#ports.rtnl.getLink(name);
      t.link(name, info?.up ?? false);
    }
    return t;
  }

  #onLink(e: LinkEvent): void {
    if (e.name) this.#trackers?.link(e.name, e.up && !e.deleted);
    for (const [name, l] of this.#links) {
      if (l.ifindex !== e.ifindex) continue;
      l.up = e.up && !e.deleted;
      for (const inst of this.instances) if (this.#interfaceOf(inst.name) === name) inst.link(l.up);
    }
  }
}
