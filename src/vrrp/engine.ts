// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine: every `vrrp_instance` of a Model running as a `VrrpInstance`, their sockets
 * (socket-registry.ts), sync groups (sync-group-set.ts), trackers, and reload as a desired-state
 * diff (reload-plan.ts). It follows the kernel through link and address events (host-view.ts):
 * - an instance whose interface does not exist yet, or has no usable source address (DHCP, ifup
 *   order), *waits* (logged once, with its file:line) while every other instance runs, and starts
 *   when the interface or the address appears;
 * - a running instance whose interface goes down or loses its source address is fed a link down
 *   (FAULT), and up again when both are back; a new source address is taken over in place;
 * - a VIP removed from outside while MASTER is added back and announced (instance.ts).
 * The global static addresses, routes and rules are set before any instance starts, follow reloads
 * as a diff and are removed at stop, after the instances released (static-setup.ts).
 * Everything it needs from the system comes through its ports (ports.ts): the daemon gives it real
 * sockets and rtnetlink, the unit tests fakes and a FakeClock. Changes to the set of running
 * instances (start, reload, a waiting instance starting) run one at a time.
 */
import type { Model, VrrpInstanceConfig as InstanceConfig } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { AddrEvent, LinkEvent } from '../netlink/rtnl.js';
import { sourceAddress } from './addresses.js';
import { runDrill, type DrillPorts, type DrillReport } from './drill.js';
import { type HandoffRecord, crashHandoffRecord, handoffInstance } from './handoff.js';
import { HostView, type LinkState } from './host-view.js';
import { AhSession, syncsSequence } from './ipsec-ah.js';
import {
  LatenessHistogram,
  VrrpInstance,
  type InstanceSnapshot,
  type InstanceSpec,
  type LatenessSnapshot,
} from './instance.js';
import { instanceSpecOf } from './instance-spec.js';
import type { AdvertSocket, TrackerRunner, VrrpEnginePorts } from './ports.js';
import { VrrpFirewall, type FirewallSettings } from './firewall.js';
import { GarpPacer } from './garp-pacer.js';
import { VmacConflict, VmacHost, type VmacSaved } from './vmac-host.js';
import { planVrrpReload, type VrrpReloadPlan } from './reload-plan.js';
import { SocketRegistry, type AdvertReceiver, type SocketPlace } from './socket-registry.js';
import { StaticSetup } from './static-setup.js';
import { routeDevs } from './route-specs.js';
import { SyncGroupSet } from './sync-group-set.js';
import { RecheckQueue } from './recheck-queue.js';
import { rehearseTakeovers } from './rehearsal.js';

/**
 * Takeovers rehearsed at start (rehearsal.ts): each ~0.1 ms once warm. Not more: the first real
 * takeover after 150 rounds was no faster than after none (V8 then optimizes for the rehearsal's
 * ports and the real ones undo it); after 40 it came MDI + 1.0–1.8 ms in five runs, + 2.1–2.8 with
 * none (SIGKILL failover under stress-ng, bench/results/realtime.md).
 */
const REHEARSAL_ROUNDS = 40;

/** The TCP ports of the virtual servers on an address (what a drill connects to through the peer). */
function tcpPortsOn(m: Model, address: string): number[] {
  return m.virtualServers.flatMap((vs) =>
    vs.key.kind === 'addr' && vs.key.protocol === 'tcp' && vs.key.address === address ? [vs.key.port] : [],
  );
}

/** What the engine reports (`lvsd status --json`, the SIGUSR1 dump, the metrics endpoint). */
export interface VrrpEngineSnapshot {
  readonly instances: InstanceSnapshot[];
  readonly waiting: ReadonlyArray<{ name: string; reason: string }>;
  readonly sockets: unknown;
  /** Every instance's timer lateness, one histogram for the process. */
  readonly timerLateness: LatenessSnapshot;
  readonly lastDrill?: readonly DrillReport[];
  readonly notify: unknown;
  /** The VRRP nftables table (no_accept, VMACs). */
  readonly firewall: unknown;
  /** GARP/NA pacing per interface or garp_group. */
  readonly garpPacing: unknown;
  readonly trackers: unknown;
  /** static_ipaddress, static_routes, static_rules set at start. */
  readonly static: object;
}

/** An instance ready to run: its spec and where it sends and receives. */
interface Prepared {
  readonly ok: true;
  readonly config: InstanceConfig;
  readonly place: SocketPlace;
  readonly spec: InstanceSpec;
  /** Its VMAC, made: adverts leave from it unless `xmitBase`, GARPs/NAs always. */
  readonly vmac?: { readonly name: string; readonly ifindex: number; readonly xmitBase: boolean };
}

/** An instance that cannot run yet, and why. */
interface Waiting {
  readonly ok: false;
  readonly config: InstanceConfig;
  readonly reason: string;
}

/** The table's name, priority and counters: `nftables*`, else keepalived's defaults. */
function firewallSettings(m: Model): FirewallSettings {
  return m.global.vrrpNftables ?? { table: 'keepalived', priority: -1, counters: false };
}

/** Whether any instance needs the table (a VMAC, or no_accept on a non-owner), as keepalived decides. */
function needsFirewall(m: Model): boolean {
  return m.vrrpInstances.some((i) => i.useVmac !== undefined || (!i.accept && i.priority !== 255));
}

export class VrrpEngine {
  readonly lateness = new LatenessHistogram();
  readonly #ports: VrrpEnginePorts;
  readonly #log: Logger;
  readonly #host: HostView;
  readonly #sockets: SocketRegistry;
  readonly #groups: SyncGroupSet;
  readonly #statics: StaticSetup;
  readonly #byName = new Map<string, VrrpInstance>();
  /** Where each running instance is, and what its socket delivers to. */
  readonly #running = new Map<
    VrrpInstance,
    { config: InstanceConfig; receiver: AdvertReceiver; sender?: AdvertSocket }
  >();
  readonly #vmacs: VmacHost;
  readonly #firewall: VrrpFirewall;
  readonly #pacer: GarpPacer;
  readonly #waiting = new Map<string, Waiting>();
  readonly #rechecks: RecheckQueue;
  #model: Model;
  #trackers: TrackerRunner | undefined;
  #serial: Promise<unknown> = Promise.resolve();
  #retryQueued = false;
  #resyncing = false;
  #stopped = false;
  readonly #unsubscribe: Array<() => void> = [];

  private constructor(model: Model, ports: VrrpEnginePorts) {
    this.#model = model;
    this.#ports = ports;
    this.#log = ports.log;
    this.#host = new HostView(ports.rtnl);
    this.#sockets = new SocketRegistry(ports.sockets);
    this.#groups = new SyncGroupSet((n) => this.#byName.get(n), ports.notifier);
    this.#statics = new StaticSetup({
      rtnl: ports.rtnl,
      log: ports.log,
      ifindexOf: async (name) => (await this.#host.link(name))?.ifindex,
    });
    this.#vmacs = new VmacHost(ports.rtnl, ports.sysctl, ports.log);
    this.#firewall = new VrrpFirewall(ports.nft, ports.log, firewallSettings(model));
    this.#pacer = new GarpPacer(ports.clock, ports.timers);
    this.#rechecks = new RecheckQueue((ifindex) => this.#recheck(ifindex), ports);
  }

  /**
   * Start every instance that can run now; the others wait for their interface or address. The
   * instances named in `adopt` take over their predecessor's MASTER state and VIPs (handoff.ts);
   * `adopt` given at all (a handoff was read) means the static entries are taken over too.
   */
  static async start(
    model: Model,
    ports: VrrpEnginePorts,
    opts: { adopt?: ReadonlySet<string> | undefined; vmacs?: VmacSaved } = {},
  ): Promise<VrrpEngine> {
    const e = new VrrpEngine(model, ports);
    if (opts.vmacs) e.#vmacs.inherit(opts.vmacs);
    const started: VrrpInstance[] = [];
    // subscribed first, so no change between a lookup and the subscription is missed
    e.#unsubscribe.push(
      ports.rtnl.onLinkEvent((ev) => e.#onLink(ev)),
      ports.rtnl.onAddressEvent((ev) => e.#onAddress(ev)),
      ports.rtnl.onEventsLost(() => e.#eventsLost()),
    );
    await e.#exclusive(async () => {
      // a handoff record was read: the predecessor left the static entries in place for us
      await e.#statics.start(model, opts.adopt !== undefined);
      // a table a killed predecessor left is replaced by this run's (empty until something needs it);
      // one that handed over (hitless restart) stays in force, its drops too, until the adopted
      // instances hold their VIPs again, then this run's replaces it in one transaction
      const adopting = (opts.adopt?.size ?? 0) > 0;
      if (adopting) e.#firewall.hold();
      else if (needsFirewall(model)) await e.#firewall.reset();
      for (const mi of model.vrrpInstances) {
        const p = await e.#prepare(mi, model);
        if (p.ok) started.push(e.#register(p));
        else e.#wait(p);
      }
      e.#groups.configure(model, false);
      // trackers first, as keepalived: instances start with what they track already known
      e.#trackers = await e.#runTrackers();
      await e.#startAll(started, opts.adopt);
      await e.#vmacs.releaseUnclaimed();
      if (adopting) {
        await Promise.all(started.map((i) => i.settled()));
        await e.#firewall.release();
      }
    });
    await e.#rehearse(started);
    return e;
  }

  get instances(): readonly VrrpInstance[] {
    return [...this.#byName.values()];
  }

  get model(): Model {
    return this.#model;
  }

  /** Instances waiting for their interface or source address, with the reason. */
  get waiting(): ReadonlyMap<string, string> {
    return new Map([...this.#waiting].map(([n, w]) => [n, w.reason]));
  }

  /**
   * Apply a new model as a desired-state diff (reload-plan.ts). Every new or changed instance is
   * prepared before anything changes, so a failure (a VRID conflict, a netlink error) throws and
   * leaves the running setup as it was. An instance whose interface or address is missing waits.
   */
  reload(next: Model): Promise<VrrpReloadPlan> {
    return this.#exclusive(() => this.#reload(next));
  }

  async #reload(next: Model): Promise<VrrpReloadPlan> {
    const plan = planVrrpReload(this.#model, next);
    if (plan.conflicts.length > 0) throw new Error(plan.conflicts.join('; '));
    if (plan.empty) {
      await this.#statics.apply(next);
      this.#model = next;
      return plan;
    }
    const prepared = new Map<string, Prepared | Waiting>();
    const byName = new Map(next.vrrpInstances.map((m) => [m.name, m]));
    for (const name of [...plan.added, ...plan.carried, ...plan.replaced]) {
      const mi = byName.get(name);
      if (mi) prepared.set(name, await this.#prepare(mi, next));
    }
    await this.#statics.apply(next);
    for (const name of [...plan.removed, ...prepared.keys()]) this.#waiting.delete(name);
    // leaving: removed and replaced instances, and carried ones that cannot run any more
    const leaving = [...plan.removed, ...plan.replaced, ...plan.carried.filter((n) => !prepared.get(n)?.ok)]
      .map((n) => this.#byName.get(n))
      .filter((i): i is VrrpInstance => i !== undefined);
    void this.#trackers?.stop(); // its scripts are killed while the reload goes on
    this.#trackers = undefined;
    try {
      const senders = leaving.map((i) => this.#unregister(i));
      // an instance the new file no longer has (or has as another router) is deleted: notify_deleted
      const deleted = new Set([...plan.removed, ...plan.replaced]);
      await Promise.all(leaving.map((i) => i.shutdown({ deleted: deleted.has(i.name) })));
      for (const s of senders) s?.close();
      const keep = new Set([...prepared.values()].map((p) => (p.ok ? p.vmac?.name : undefined)));
      for (const inst of leaving) {
        const name = this.#model.vrrpInstances.find((m) => m.name === inst.name)?.useVmac?.name;
        if (name !== undefined && !keep.has(name)) await this.#dropVmac(name);
      }
      await this.#firewall.configure(firewallSettings(next));
      const started: VrrpInstance[] = [];
      for (const [name, p] of prepared) {
        const running = this.#byName.get(name);
        if (!p.ok) this.#wait(p);
        else if (running) this.#carry(running, p);
        else started.push(this.#register(p));
      }
      this.#model = next;
      this.#groups.configure(next, true);
      this.#trackers = await this.#runTrackers();
      await this.#startAll(started);
    } finally {
      // whatever happened above, the trackers of the instances now running run again
      this.#trackers ??= await this.#runTrackers();
    }
    this.#sockets.closeUnused();
    return plan;
  }

  /**
   * Hand over in place (hitless restart, handoff.ts): no priority-0 advert, the VIPs and the IPVS
   * table stay; returns the instances that were MASTER, for the successor to adopt.
   */
  async handoff(nowWallMs: number): Promise<HandoffRecord> {
    this.#stopped = true;
    await this.#serial;
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#rechecks.close();
    await this.#trackers?.stop();
    const instances = this.#masterConfigs().map(handoffInstance);
    await Promise.all(this.instances.map((i) => i.freeze()));
    this.#sockets.closeAll();
    this.#ports.rtnl.close();
    // the VMACs stay (the successor takes them over), and so do the settings made for them
    const vmacs = this.#vmacs.saved();
    return { version: 1, at: nowWallMs, instances, ...(vmacs.links.length > 0 ? { vmacs } : {}) };
  }

  /** The record a successor adopts if this worker dies now, unable to hand over (handoff.ts). */
  crashHandoff(nowWallMs: number): HandoffRecord | undefined {
    return this.#stopped ? undefined : crashHandoffRecord(this.#masterConfigs(), nowWallMs);
  }

  /** The configurations of the instances that are MASTER now. */
  #masterConfigs(): InstanceConfig[] {
    return this.instances.flatMap((i) => {
      const c = i.state.name === 'master' ? this.#running.get(i)?.config : undefined;
      return c ? [c] : [];
    });
  }

  /**
   * `lvsd drill failover`: hand the named MASTER instances (or all of them) over to their peers
   * one after another and measure it (drill.ts); the last reports stay for `lvsd status`.
   */
  async drill(
    which: readonly string[] | 'all',
    o: { back: boolean; timeoutMs: number },
    probeVip: DrillPorts['probeVip'],
  ): Promise<DrillReport[]> {
    const names =
      which === 'all' ? this.instances.filter((i) => i.state.name === 'master').map((i) => i.name) : which;
    if (names.length === 0) return [{ instance: '-', ok: false, error: 'no MASTER instance here to drill' }];
    const ports: DrillPorts = { clock: this.#ports.clock, timers: this.#ports.timers, probeVip };
    const reports: DrillReport[] = [];
    for (const name of names) {
      const inst = this.#byName.get(name);
      const config = inst && this.#running.get(inst)?.config;
      const link = config && this.#host.linkNamed(config.interface);
      if (!inst || !config || !link) {
        reports.push({ instance: name, ok: false, error: `no running instance ${name}` });
        continue;
      }
      const vips = config.vips.map((v) => ({
        address: v.address,
        ports: tcpPortsOn(this.#model, v.address),
      }));
      reports.push(
        await runDrill({ instance: inst, ifname: config.interface, vips, ownMac: link.mac }, ports, o),
      );
    }
    this.lastDrill = reports;
    this.#lastDrillAt = this.#ports.clock.now();
    return reports;
  }

  /** End a drill's hold (after `--no-back`): the instances count with their own priority again. */
  releaseDrill(which: readonly string[] | 'all'): string[] {
    const held = this.instances.filter(
      (i) => i.state.drillHold && (which === 'all' || which.includes(i.name)),
    );
    for (const i of held) i.feed({ type: 'drill', hold: false });
    return held.map((i) => i.name);
  }

  /** The last drill's reports, for `lvsd status`. */
  lastDrill: DrillReport[] | undefined;
  #lastDrillAt = 0;

  /** Graceful stop: every instance releases (priority-0 advert if master, VIPs removed). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#serial;
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#rechecks.close();
    await this.#trackers?.stop();
    await Promise.all(this.instances.map((i) => i.shutdown()));
    this.#pacer.stop();
    await this.#firewall.close();
    await this.#vmacs.removeAll();
    for (const r of this.#running.values()) r.sender?.close();
    await this.#statics.stop();
    this.#sockets.closeAll();
    await this.#ports.notifier.close();
    this.#ports.rtnl.close();
  }

  /** States, counters, drops by reason, timer lateness (the stats dump, `lvsd status`, the metrics). */
  snapshot(): VrrpEngineSnapshot {
    return {
      instances: this.instances.map((i) => i.snapshot()),
      waiting: [...this.#waiting.values()].map((w) => ({ name: w.config.name, reason: w.reason })),
      sockets: this.#sockets.snapshot(),
      timerLateness: this.lateness.toJSON(),
      ...(this.lastDrill
        ? {
            lastDrill: this.lastDrill,
            lastDrillAgoMs: Math.round(this.#ports.clock.now() - this.#lastDrillAt),
          }
        : {}),
      notify: this.#ports.notifier.counters,
      firewall: this.#firewall.snapshot(),
      garpPacing: this.#pacer.counters,
      trackers: this.#trackers?.counters ?? { scriptRuns: 0, scriptTimeouts: 0, scriptErrors: 0 },
      static: this.#statics.snapshot(),
    };
  }

  /** Run changes to the set of instances one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /** Resolve what an instance needs from the host (no effect on running instances). */
  async #prepare(mi: InstanceConfig, m: Model): Promise<Prepared | Waiting> {
    const link = await this.#host.link(mi.interface);
    if (!link) return { ok: false, config: mi, reason: `interface ${mi.interface} does not exist` };
    const source = sourceAddress(mi, await this.#host.addresses(link.ifindex));
    if (!source)
      return { ok: false, config: mi, reason: `no usable ${mi.family} source address on ${mi.interface}` };
    const ifindexes = new Map<string, number>([[mi.interface, link.ifindex]]);
    const macs = new Map<number, string>();
    const devs = [
      ...[...mi.vips, ...mi.excludedVips].map((v) => ({ dev: v.dev, of: `VIP ${v.address}` })),
      ...mi.virtualRoutes.flatMap((r) =>
        routeDevs(r).map((dev) => ({ dev, of: `route to ${r.to.address}` })),
      ),
    ];
    for (const { dev: name, of } of devs) {
      if (ifindexes.has(name)) continue;
      const dev = await this.#host.link(name);
      if (!dev) return { ok: false, config: mi, reason: `interface ${name} (of ${of}) does not exist` };
      ifindexes.set(name, dev.ifindex);
      macs.set(dev.ifindex, dev.mac);
    }
    let vmac: Prepared['vmac'];
    if (mi.useVmac) {
      try {
        vmac = await this.#makeVmac(mi, mi.useVmac, link.ifindex, source);
      } catch (e) {
        if (e instanceof VmacConflict) return { ok: false, config: mi, reason: e.message };
        throw e;
      }
    }
    const spec = instanceSpecOf(mi, m, {
      mac: link.mac,
      ifindex: link.ifindex,
      macs,
      source,
      ifindexOf: (dev) => ifindexes.get(dev) ?? link.ifindex,
      router: this.#ports.host.ipv6Forwarding(mi.interface),
      ...(vmac && mi.useVmac ? { vmac: { ifindex: vmac.ifindex, mac: mi.useVmac.mac } } : {}),
    });
    const group = mi.family === 'inet' ? m.global.vrrpMcastGroup4 : m.global.vrrpMcastGroup6;
    const ah = spec.machine.auth.type === 'ah';
    const place = {
      family: mi.family,
      ifname: mi.interface,
      ifindex: link.ifindex,
      group,
      ...(ah ? { ah } : {}),
    };
    return { ok: true, config: mi, place, spec, ...(vmac ? { vmac } : {}) };
  }

  /**
   * Make (or take over) the instance's VMAC on its interface and enter it in the firewall (IGMP/MLD
   * from its parent). An IPv6 VMAC sending adverts gets the advert source, the interface's
   * link-local address, as a deprecated /64 of its own (the kernel sends from an address of the
   * sending interface only), as keepalived does.
   */
  async #makeVmac(
    mi: InstanceConfig,
    vm: NonNullable<InstanceConfig['useVmac']>,
    parentIndex: number,
    source: string,
  ): Promise<NonNullable<Prepared['vmac']>> {
    const ipv6 =
      mi.family === 'inet6' || mi.excludedVips.some((v) => v.family === 'inet6' && v.dev === mi.interface);
    const ifindex = await this.#vmacs.ensure({
      name: vm.name,
      mac: vm.mac,
      family: mi.family,
      parent: { name: mi.interface, ifindex: parentIndex },
      ipv6,
    });
    if (mi.family === 'inet6' && !vm.xmitBase)
      await this.#ports.rtnl.addAddress({
        family: 'inet6',
        address: source,
        prefixLen: 64,
        ifindex,
        deprecated: true,
      });
    await this.#firewall.setVmac(vm.name, { ifindex, parentIndex, family: mi.family });
    return { name: vm.name, ifindex, xmitBase: vm.xmitBase };
  }

  /** An IPv6 VMAC sending adverts follows its interface's new link-local address (the advert source). */
  async #vmacSource(mi: InstanceConfig, from: string, to: string): Promise<void> {
    const vm = mi.useVmac;
    const ifindex = vm && this.#vmacs.ifindexOf(vm.name);
    if (mi.family !== 'inet6' || !vm || vm.xmitBase || ifindex === undefined) return;
    const addr = { family: 'inet6', prefixLen: 64, ifindex, deprecated: true } as const;
    try {
      await this.#ports.rtnl.addAddress({ ...addr, address: to });
      await this.#ports.rtnl.delAddress({ ...addr, address: from });
    } catch (e) {
      this.#log.error('cannot move the VMAC link-local address', { vmac: vm.name, error: String(e) });
    }
  }

  /** A VMAC no instance uses any more: out of the firewall, then deleted. */
  async #dropVmac(name: string): Promise<void> {
    const ifindex = this.#vmacs.ifindexOf(name);
    if (ifindex !== undefined) this.#sockets.closeFrames(ifindex);
    await this.#firewall.setVmac(name, undefined);
    await this.#vmacs.remove(name);
  }

  #wait(w: Waiting): void {
    const before = this.#waiting.get(w.config.name);
    this.#waiting.set(w.config.name, w);
    if (before?.reason === w.reason) return;
    const { file, line } = w.config.loc;
    this.#log.warn('instance waits: it starts once this is resolved', {
      instance: w.config.name,
      reason: w.reason,
      at: `${file}:${line}`,
    });
  }

  /** Open the sockets of a prepared instance and create it (not started yet). */
  #register(p: Prepared): VrrpInstance {
    const holder: { inst?: VrrpInstance } = {};
    const auth = p.spec.machine.auth;
    const ah =
      auth.type === 'ah'
        ? new AhSession({ pass: auth.pass, unicast: p.config.unicastPeers.length > 0 })
        : undefined;
    const receiver: AdvertReceiver = {
      vrid: p.config.vrid,
      receive: (data, meta) => {
        const inst = holder.inst;
        if (!inst || !ah) return inst?.receive(data, meta);
        // IPsec AH (ipsec-ah.ts): the ICV, SPI and sequence number first, then the VRRP message
        const r = ah.open(data);
        if (!r.ok) return inst.drop(r.reason);
        const { name, effectivePriority, config } = inst.state;
        const advert = { priority: r.payload[2] ?? 0, src: meta.src };
        if (syncsSequence({ name, effectivePriority, primaryAddress: config.primaryAddress }, advert))
          ah.syncFrom(r.seq);
        inst.receive(r.payload, meta);
      },
    };
    const sockets = this.#sockets.attach(p.place, receiver, p.vmac?.ifindex);
    const { frames } = sockets;
    // a VMAC's adverts leave from it (its virtual MAC as source) on a send-only socket; AH adverts
    // leave from the header-included socket their session signs for (ipsec-ah.ts)
    const sender =
      p.vmac && !p.vmac.xmitBase && !ah
        ? this.#ports.sockets.openSender({
            family: p.place.family,
            ifname: p.vmac.name,
            ifindex: p.vmac.ifindex,
          })
        : undefined;
    const adverts = ah
      ? {
          beginAdvert: () => ah.beginAdvert(),
          send: (data: Uint8Array, dst: string, src?: string) =>
            sockets.adverts.send(ah.wrap(data, src ?? p.spec.source, dst), dst, src),
        }
      : sockets.adverts;
    const inst = new VrrpInstance(p.spec, {
      clock: this.#ports.clock,
      timers: this.#ports.timers,
      log: this.#log,
      rtnl: this.#ports.rtnl,
      adverts: sender ?? adverts,
      frames,
      framesOn: (ifindex) => this.#sockets.framesOn(ifindex),
      notifier: this.#ports.notifier,
      lateness: this.lateness,
      onStep: (i, r) => this.#groups.onStep(i.name, r),
      pacer: this.#pacer,
      firewall: this.#firewall,
      ...(this.#ports.defer ? { defer: this.#ports.defer } : {}),
      ...(this.#ports.preciseTimers ? { preciseTimers: this.#ports.preciseTimers } : {}),
    });
    holder.inst = inst;
    this.#running.set(inst, { config: p.config, receiver, ...(sender ? { sender } : {}) });
    this.#byName.set(inst.name, inst);
    return inst;
  }

  /** A running instance takes a new spec in place (reload, a new source address). */
  #carry(inst: VrrpInstance, p: Prepared): void {
    const r = this.#running.get(inst);
    if (r) this.#running.set(inst, { ...r, config: p.config });
    inst.reconfigure(p.spec);
  }

  /** Out of the registry; returns its VMAC send socket, to close once its priority-0 advert is out. */
  #unregister(inst: VrrpInstance): AdvertSocket | undefined {
    const r = this.#running.get(inst);
    if (r) this.#sockets.detach(r.receiver);
    this.#running.delete(inst);
    this.#byName.delete(inst.name);
    return r?.sender;
  }

  /**
   * Warm the takeover path (rehearsal.ts): one instance of each address family and VRRP version
   * rehearses while the real ones wait for their first Master_Down, yielding to the event loop
   * between rounds. Awaited by `start`, so it ends before the worker turns realtime (worker.ts
   * applies the schedule once the engine has started): a CPU burst that does not block, which under
   * SCHED_RR would count against RLIMIT_RTTIME, runs at normal priority, as a reload's parse does
   * (process-schedule.ts). Only with the event loop's `defer` (the daemon's ports; unit tests drive
   * time themselves). Never fails the start: a rehearsal that throws is logged.
   */
  async #rehearse(started: readonly VrrpInstance[]): Promise<void> {
    const defer = this.#ports.defer;
    if (!defer) return;
    const kinds = new Map<string, VrrpInstance>();
    for (const i of started) {
      const m = i.spec.machine;
      const kind = `${m.family}/${m.version}`;
      if (!kinds.has(kind) && m.priority !== 255 && i.spec.configFault === undefined) kinds.set(kind, i);
    }
    // after what start queued (an owner's VIP add leaves at the end of this turn)
    await new Promise<void>((resolve) => defer(resolve));
    try {
      for (const i of kinds.values()) {
        const rounds = await rehearseTakeovers(i.spec, REHEARSAL_ROUNDS, defer);
        this.#log.debug('takeover rehearsed', { instance: i.name, rounds });
      }
    } catch (e) {
      this.#log.warn('takeover rehearsal failed', { error: String(e) });
    }
  }

  /** Start instances: stale VIPs removed (or adopted), machine started, a down link fed. */
  async #startAll(list: readonly VrrpInstance[], adopt?: ReadonlySet<string>): Promise<void> {
    for (const inst of list) {
      const adopting = adopt?.has(inst.name) === true;
      if (adopting)
        this.#log.info('adopting the MASTER state and VIPs of the previous process', { instance: inst.name });
      await inst.start(adopting);
    }
    for (const inst of list) {
      const config = this.#running.get(inst)?.config;
      const l = config && this.#host.linkNamed(config.interface);
      if (l && !l.up) inst.link(false);
    }
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
    if (this.#host.onLink(e)) this.#rechecks.request(e.ifindex);
    this.#retryWaiting();
    if (!this.#stopped) void this.#statics.retry();
  }

  /**
   * The kernel dropped link and address events (the event socket's queue overran): the links and
   * addresses looked at so far are read again and their changes followed as the lost events would
   * have been (a link gone down, a VIP deleted by hand on a MASTER: FAULT, the VIP added back).
   */
  #eventsLost(): void {
    if (this.#resyncing || this.#stopped) return;
    this.#resyncing = true;
    this.#log.warn('rtnetlink events lost (receive queue overrun): reading links and addresses again');
    void (async () => {
      try {
        for (const l of this.#host.knownLinks()) {
          const now = await this.#ports.rtnl.getLink(l.name);
          if (this.#stopped) return;
          // gone, or gone and made again under another index: the deletion the kernel announced
          if (now?.ifindex !== l.ifindex) this.#onLink({ ...l, up: false, deleted: true });
          if (now && (now.ifindex !== l.ifindex || now.up !== l.up)) this.#onLink({ ...now, deleted: false });
        }
        const fresh = await this.#ports.rtnl.listAddresses();
        if (!this.#stopped) for (const ev of this.#host.missedAddressEvents(fresh)) this.#onAddress(ev);
      } catch (e) {
        this.#log.error('cannot read links and addresses again', { error: (e as Error).message });
      } finally {
        this.#resyncing = false;
      }
    })();
  }

  #onAddress(e: AddrEvent): void {
    this.#host.onAddress(e);
    if (e.type === 'del') {
      for (const inst of this.instances) inst.addressRemoved(e.addr);
      if (!this.#stopped) this.#statics.addressRemoved(e.addr);
    }
    this.#rechecks.request(e.addr.ifindex);
    this.#retryWaiting();
  }

  /**
   * After a change on interface `ifindex`: each instance there is usable while its link is up and
   * it has a source address; a new source address is taken over in place.
   */
  #recheck(ifindex: number): void {
    const here: [VrrpInstance, InstanceConfig, LinkState][] = [];
    for (const [inst, { config }] of this.#running) {
      const link = this.#host.linkNamed(config.interface);
      if (link?.ifindex === ifindex) here.push([inst, config, link]);
    }
    if (here.length === 0) return;
    // one read of the interface's addresses for all its instances (an event per VIP added)
    void this.#host.addresses(ifindex).then((addrs) => {
      for (const [inst, config, link] of here) {
        if (this.#running.get(inst)?.config !== config) continue; // reloaded meanwhile
        const source = sourceAddress(config, addrs);
        if (source === undefined || source === inst.spec.source) {
          inst.link(link.up && source !== undefined);
          continue;
        }
        this.#log.info('source address changed', { instance: inst.name, from: inst.spec.source, to: source });
        void this.#vmacSource(config, inst.spec.source, source).then(() => {
          inst.reconfigure({
            ...inst.spec,
            source,
            machine: { ...inst.spec.machine, primaryAddress: source },
          });
          inst.link(link.up);
        });
      }
    });
  }

  /** Try the waiting instances again (after any link or address change), one pass at a time. */
  #retryWaiting(): void {
    if (this.#waiting.size === 0 || this.#retryQueued || this.#stopped) return;
    this.#retryQueued = true;
    void this.#exclusive(async () => {
      this.#retryQueued = false;
      if (this.#stopped) return;
      const started: VrrpInstance[] = [];
      for (const w of [...this.#waiting.values()]) {
        const p = await this.#prepare(w.config, this.#model);
        if (!p.ok) {
          this.#wait(p);
          continue;
        }
        this.#waiting.delete(w.config.name);
        this.#log.info('instance no longer waits: starting', { instance: w.config.name });
        started.push(this.#register(p));
      }
      if (started.length === 0) return;
      void this.#trackers?.stop();
      this.#groups.configure(this.#model, true);
      this.#trackers = await this.#runTrackers();
      await this.#startAll(started);
    }).catch((e: unknown) => this.#log.error('cannot start a waiting instance', { error: String(e) }));
  }
}
