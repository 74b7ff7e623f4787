// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP instance shell: binds the pure machine (machine.ts) to a socket, a scheduler on the
 * injected Clock/Timers, the VIP mover (rtnetlink port) and the notifier. It decodes received
 * packets with the core codec (counting each drop by reason), carries out the machine's actions in
 * order (advert, VIPs, GARP/NA, notify), keeps exactly one real timer armed at the machine's next
 * deadline, and measures how late that timer fires (lateness histogram).
 * VIP changes are asynchronous (netlink) and serialised per instance; the machine never waits.
 * The excluded VIPs (`virtual_ipaddress_excluded`, never in adverts), virtual routes and virtual
 * rules follow the VIPs, in keepalived's order: VIPs, routes, rules in; rules, routes, VIPs out.
 * Only what this instance added is removed (plus, at start, configured VIPs, routes and rules that
 * a killed predecessor left behind).
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { AddrSpec, RouteSpec, Rtnl, RuleSpec } from '../netlink/rtnl.js';
import { buildGarp } from '../net/garp.js';
import { buildUnsolicitedNa } from '../net/ndisc.js';
import { carryOver, dueTimers, initMachine, nextDeadline, step } from './machine.js';
import { AdvertCache } from './advert-cache.js';
import { receiveAdvert } from './packet.js';
import { RoutingHold, type RoutingPort } from './routing-hold.js';
import { specKey } from './route-specs.js';
import { countAction, countDrop, newStats } from './stats.js';
import {
  applyTrackerInput,
  initTrackers,
  reinitTrackers,
  trackerOutput,
  type TrackerInput,
  type TrackerSpec,
  type TrackerState,
} from './tracking.js';
import type { NotifyState, NotifyTarget } from './notify.js';
import type { VrrpFirewall } from './firewall.js';
import type { GarpPacer, Pacing } from './garp-pacer.js';
import type {
  DropReason,
  MachineAction,
  MachineConfig,
  MachineEvent,
  MachineState,
  StepResult,
  VrrpStateName,
  VrrpStats,
} from './types.js';
import { deletedAs } from './notify.js';

/** The lateness histogram as the snapshot carries it: `buckets` by upper bound (`le0.1` ms ... `inf`), not cumulative. */
export interface LatenessSnapshot {
  readonly count: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly buckets: Readonly<Record<string, number>>;
}

/** One instance as `lvsd status --json`, the dump and the metrics endpoint see it. */
export interface InstanceSnapshot {
  readonly name: string;
  readonly vrid: number;
  readonly family: string;
  readonly state: string;
  readonly effectivePriority: number;
  /** Held at priority 1 by a `--no-back` drill until `lvsd drill back`. */
  readonly drillHold: boolean;
  readonly trackers: ReadonlyArray<{ kind: string; name: string; ok: boolean; value: unknown }>;
  readonly masterSrc: string | null;
  /** State changes since the instance started. */
  readonly transitions: number;
  /** The VIPs this instance added and holds, as `IFINDEX|ADDRESS/LEN`. */
  readonly vipsHeld: string[];
  readonly vipsRestored: number;
  /** The excluded VIPs, virtual routes and rules this instance added, and its routing errors. */
  readonly routing: object;
  readonly stats: VrrpStats;
  readonly errors: { readonly advertSend: number; readonly garpSend: number; readonly vip: number };
}

/** Timer lateness in ms, bucketed (upper bounds), with count/sum/max. */
export class LatenessHistogram {
  static readonly BOUNDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, Infinity] as const;
  readonly buckets: number[] = LatenessHistogram.BOUNDS.map(() => 0);
  count = 0;
  sum = 0;
  max = 0;

  observe(ms: number): void {
    const v = Math.max(0, ms);
    const i = LatenessHistogram.BOUNDS.findIndex((b) => v <= b);
    this.buckets[i] = (this.buckets[i] ?? 0) + 1;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Approximate quantile: the upper bound of the bucket holding it (the max for the last bucket). */
  quantile(q: number): number {
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= want && want > 0) return Math.min(LatenessHistogram.BOUNDS[i] ?? Infinity, this.max);
    }
    return 0;
  }

  toJSON(): LatenessSnapshot {
    return {
      count: this.count,
      meanMs: this.count ? this.sum / this.count : 0,
      maxMs: this.max,
      p50Ms: this.quantile(0.5),
      p99Ms: this.quantile(0.99),
      buckets: Object.fromEntries(
        LatenessHistogram.BOUNDS.map((b, i) => [b === Infinity ? 'inf' : `le${b}`, this.buckets[i] ?? 0]),
      ),
    };
  }
}

/** What the instance sends adverts through (an IpRawSocket, or a fake in tests). */
export interface AdvertPort {
  /** `ttl`: this packet's TTL / hop limit (`unicast_ttl`); the socket's 255 when absent. */
  send(data: Uint8Array, dst: string, src?: string, ttl?: number): unknown;
  /** Called once per advert, before its copies to each destination (AH: the next sequence number). */
  beginAdvert?(): void;
}
/** What the instance sends GARP/NA frames through (a PacketSocket, or a fake). */
export interface FramePort {
  send(frame: Uint8Array): unknown;
}
export interface NotifyPort {
  stateChanged(t: NotifyTarget, state: NotifyState, priority: number): void;
  /** As MASTER, a lower-priority advert (`notify_master_rx_lower_pri`, FIFO); `priority` is ours. */
  masterRxLowerPri?(t: NotifyTarget, priority: number): void;
  /** The effective priority changed while in `state` (`notify_priority_changes`). */
  priorityChanged?(t: NotifyTarget, state: VrrpStateName, priority: number): void;
}

export interface InstanceDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly rtnl: Pick<Rtnl, 'addAddress' | 'delAddress' | 'listAddresses'> & RoutingPort;
  readonly adverts: AdvertPort;
  readonly frames: FramePort;
  /** The frame port of another interface, for addresses whose `dev` is not the instance's [none: `frames`]. */
  readonly framesOn?: (ifindex: number) => FramePort;
  readonly notifier: NotifyPort;
  /** Shared by all instances of the process. */
  readonly lateness: LatenessHistogram;
  /** Run `fn` on the next event-loop turn (setImmediate): notifications off the takeover path. */
  readonly defer?: (fn: () => void) => void;
  /**
   * Timers that fire at the deadline to the microsecond (a timerfd: src/net/precise-timers.io.ts),
   * for Master_Down, which decides failover time [none: `timers`].
   */
  readonly preciseTimers?: Timers;
  /** Called after every step (the sync group follows its members through it). */
  readonly onStep?: (inst: VrrpInstance, r: StepResult) => void;
  /** Paces GARP/NA across the engine's instances (garp_group); without it frames go at once. */
  readonly pacer?: GarpPacer;
  /** The engine's nftables table: the VIPs a no_accept MASTER drops traffic for. */
  readonly firewall?: Pick<VrrpFirewall, 'setDrops'>;
}

export interface InstanceSpec {
  readonly machine: MachineConfig;
  /** Advert destinations: unicast peers, or the (configured) multicast group. */
  readonly destinations: readonly string[];
  /** Source address of adverts (IPv6: link-local). */
  readonly source: string;
  /** MAC of the interface (GARP sender hardware address). */
  readonly mac: string;
  /** The instance's interface, and the MACs of the other interfaces its addresses are on: a GARP/NA
   *  leaves through the address's own interface, from its MAC, as keepalived sends it. */
  readonly ifindex?: number;
  readonly macs?: ReadonlyMap<number, string>;
  readonly vips: readonly AddrSpec[];
  /** `virtual_ipaddress_excluded`: held with the VIPs (and announced), never advertised [none]. */
  readonly excludedVips?: readonly AddrSpec[];
  /** `virtual_routes` / `virtual_rules`: added on MASTER after the VIPs [none]. */
  readonly routes?: readonly RouteSpec[];
  readonly rules?: readonly RuleSpec[];
  readonly notify: NotifyTarget;
  /** IPv6 NA Router flag (forwarding enabled on the interface). */
  readonly router: boolean;
  /** Where GARPs and NAs are paced (`garp_interval` / `gna_interval`, `garp_group`); unpaced when absent. */
  readonly pacing?: { readonly arp: Pacing; readonly na: Pacing };
  /** `unicast_ttl`: TTL / hop limit of unicast adverts. */
  readonly advertTtl?: number;
  /** Why the instance can only be FAULT (`unicast_fault_no_peer` without peers); absent when it can run. */
  readonly configFault?: string;
  /** no_accept, not the address owner: traffic to the VIPs is dropped while MASTER (firewall). */
  readonly dropWhileMaster?: boolean;
  /** track_interface / track_script / track_file of the instance (and of its sync group). */
  readonly trackers?: readonly TrackerSpec[];
}

/** Identity of a VIP on an interface (what the instance added, and what an address event names). */
function vipKey(v: {
  readonly address: string;
  readonly prefixLen: number;
  readonly ifindex: number;
}): string {
  return `${v.ifindex}|${v.address}/${v.prefixLen}`;
}

/** Routes or rules of an old and a new spec: those only in the old one, those only in the new one. */
function changed<T extends RouteSpec | RuleSpec>(
  before: readonly T[],
  after: readonly T[],
): { gone: T[]; fresh: T[] } {
  const was = new Set(before.map(specKey));
  const is = new Set(after.map(specKey));
  return {
    gone: before.filter((x) => !is.has(specKey(x))),
    fresh: after.filter((x) => !was.has(specKey(x))),
  };
}

const STATE_NAMES = { master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stop: 'STOP' } as const;

export class VrrpInstance {
  private st: MachineState;
  readonly stats: VrrpStats = newStats();
  /** Errors carrying out actions (send failures, netlink failures). */
  readonly errors = { advertSend: 0, garpSend: 0, vip: 0 };
  /** VIPs removed from outside while MASTER, and added back. */
  vipsRestored = 0;
  /** Handed over in place (freeze): nothing more is sent or changed. */
  private frozen = false;
  /** Called after every step with its result and time (a failover drill follows the instance). */
  private readonly watchers = new Set<(r: StepResult, at: number) => void>();
  private timer: TimerHandle | undefined;
  /** The timers `timer` belongs to (`preciseTimers` for Master_Down). */
  private timerOn: Timers;
  private readonly advertBytes = new AdvertCache();
  private timerAt = 0;
  /** When the set timer wakes (`timerAt`, or earlier for a deadline that moved later). */
  private timerWake = 0;
  private vipChain: Promise<void> = Promise.resolve();
  private readonly added = new Set<string>();
  private readonly routing: RoutingHold;
  private readonly log: Logger;
  private transitions = 0;
  private trackers: readonly TrackerState[];
  /** The state the actions being carried out happen in (a `notify` action moves it). */
  private acting: VrrpStateName = 'init';
  /** Set by `shutdown({ deleted: true })`: a reload removed the instance (notify_deleted). */
  private deleted = false;

  constructor(
    public spec: InstanceSpec,
    private readonly deps: InstanceDeps,
  ) {
    this.st = initMachine(spec.machine);
    this.trackers = initTrackers(spec.trackers ?? []);
    this.log = deps.log.child({ instance: spec.machine.name, vrid: spec.machine.vrid });
    this.timerOn = deps.timers;
    this.routing = new RoutingHold(deps.rtnl, this.log);
  }

  /** Every address the instance holds as MASTER: its VIPs, then its excluded VIPs. */
  private get addresses(): readonly AddrSpec[] {
    return [...this.spec.vips, ...(this.spec.excludedVips ?? [])];
  }

  get name(): string {
    return this.spec.machine.name;
  }
  get state(): MachineState {
    return this.st;
  }
  get vrid(): number {
    return this.spec.machine.vrid;
  }

  /** The trackers' priority delta and fault, with the configuration's fault (unicast_fault_no_peer). */
  private tracking(): { delta: number; fault: boolean } {
    const o = trackerOutput(this.trackers);
    return this.spec.configFault === undefined ? o : { delta: o.delta, fault: true };
  }

  /**
   * Start the machine. Configured VIPs (excluded ones included), routes and rules a killed
   * predecessor left behind are removed first; with `adopt` (the predecessor handed over as MASTER:
   * a hitless restart) they are taken over as this instance's own instead, and the machine goes
   * MASTER at once.
   */
  async start(adopt = false): Promise<void> {
    if (adopt) await this.routing.adopt(this.spec.routes ?? [], this.spec.rules ?? []);
    else await this.routing.clear(this.spec.routes ?? [], this.spec.rules ?? []);
    const ifindexes = new Set(this.addresses.map((v) => v.ifindex));
    for (const ifindex of ifindexes) {
      let present: Set<string>;
      try {
        present = new Set(
          (await this.deps.rtnl.listAddresses(ifindex)).map((a) => `${a.address}/${a.prefixLen}`),
        );
      } catch (e) {
        this.log.warn('cannot list addresses at start', { error: (e as Error).message });
        continue;
      }
      for (const v of this.addresses) {
        if (v.ifindex !== ifindex || !present.has(`${v.address}/${v.prefixLen}`)) continue;
        if (adopt) {
          this.added.add(vipKey(v));
          continue;
        }
        this.log.info('removing stale VIP left by a previous run', { vip: v.address });
        try {
          await this.deps.rtnl.delAddress(v);
        } catch (e) {
          this.log.warn('cannot remove stale VIP', { vip: v.address, error: (e as Error).message });
        }
      }
    }
    const o = this.tracking();
    if (this.spec.configFault !== undefined) this.log.warn(`stays FAULT: ${this.spec.configFault}`);
    if (o.delta !== 0 || o.fault) this.feed({ type: 'tracking', delta: o.delta, fault: o.fault });
    this.feed(adopt ? { type: 'start', adopt: true } : { type: 'start' });
  }

  /**
   * Hand over in place (hitless restart): stop the timers and send nothing more — no priority-0
   * advert, the VIPs stay — so a successor that adopts them advertises before the peer's
   * Master_Down_Interval ends. Resolves when queued VIP changes are done.
   */
  async freeze(): Promise<void> {
    this.frozen = true;
    this.cancelTimer();
    await this.vipChain;
  }

  /** A received VRRP payload for this instance's VRID (the socket demultiplexes by VRID). */
  receive(
    payload: Uint8Array,
    meta: { family: 'inet' | 'inet6'; src: string; dst: string; ttl: number },
  ): void {
    const r = receiveAdvert(payload, meta, this.st.config);
    if (!r.ok) {
      this.drop(r.reason);
      return;
    }
    if (r.vipMismatch) this.drop('vipMismatch');
    this.feed({ type: 'advert', advert: r.value });
  }

  drop(reason: DropReason): void {
    countDrop(this.stats, reason);
  }

  /** Link state of the instance's interface. */
  link(up: boolean): void {
    if (up !== this.st.linkUp) this.feed({ type: 'link', up });
  }

  /** A tracker observation (link of a tracked interface, vrrp_script result, track_file value). */
  observe(input: TrackerInput): void {
    const r = applyTrackerInput(this.trackers, input);
    this.trackers = r.trackers;
    if (!r.changed) return;
    const { delta, fault } = this.tracking();
    if (delta !== this.st.trackDelta || fault !== this.st.trackFault)
      this.feed({ type: 'tracking', delta, fault });
  }

  /** Whether any tracker of this instance watches `kind`/`name`. */
  tracks(kind: TrackerInput['kind'], name: string): boolean {
    return this.trackers.some((t) => t.spec.kind === kind && t.spec.name === name);
  }

  /**
   * Graceful stop: priority-0 advert if master, VIPs removed; resolves when the VIPs are gone.
   * `deleted`: a reload removed the instance, which announces DELETED or FAULT rather than STOP
   * (keepalived's notify_deleted, notify.ts deletedAs).
   */
  async shutdown(opts: { deleted?: boolean } = {}): Promise<void> {
    this.deleted = opts.deleted ?? false;
    this.feed({ type: 'shutdown' });
    this.cancelTimer();
    await this.vipChain;
  }

  /**
   * Reload (SIGHUP) of the same instance (same VRID, family, interface) under a new spec: the
   * machine keeps its state (`carryOver`: a master stays master and advertises at once, no notify).
   * A master adds only the VIPs (excluded ones included), routes and rules new to the lists (and
   * GARPs only the new addresses) and removes only the dropped ones. Trackers whose specs are unchanged keep their observations.
   */
  reconfigure(spec: InstanceSpec): void {
    const keyOf = vipKey;
    const oldAddrs = this.addresses;
    const newAddrs = [...spec.vips, ...(spec.excludedVips ?? [])];
    const oldKeys = new Set(oldAddrs.map(keyOf));
    const newKeys = new Set(newAddrs.map(keyOf));
    const gone = oldAddrs.filter((v) => !newKeys.has(keyOf(v)));
    const fresh = newAddrs.filter((v) => !oldKeys.has(keyOf(v)));
    const routes = changed(this.spec.routes ?? [], spec.routes ?? []);
    const rules = changed(this.spec.rules ?? [], spec.rules ?? []);
    const sameTrackers = JSON.stringify(this.spec.trackers ?? []) === JSON.stringify(spec.trackers ?? []);
    const faultChanged = this.spec.configFault !== spec.configFault;
    this.spec = spec;
    if (!sameTrackers) this.trackers = reinitTrackers(this.trackers, spec.trackers ?? []);
    const r = carryOver(this.st, spec.machine, this.deps.clock.now());
    const before = this.st.name;
    this.st = r.state;
    this.acting = before;
    for (const a of r.actions) this.carryOut(a);
    // deletes only what this instance added
    this.queueRouting('del', routes.gone, rules.gone);
    if (gone.length > 0) this.queueVips('del', gone);
    if (this.st.name === 'master') {
      if (fresh.length > 0) {
        this.queueVips('add', fresh);
        const repeat = spec.machine.garp.masterRepeat;
        this.vipChain = this.vipChain.then(() => {
          if (this.st.name === 'master') this.sendGarp(repeat, fresh);
        });
      }
      this.queueRouting('add', routes.fresh, rules.fresh);
    }
    // accept / no_accept or the priority may have changed: the drops follow the new spec
    this.vipChain = this.vipChain.then(() => this.syncDrops());
    if (this.st.name !== before) this.transitions++;
    this.arm();
    this.deps.onStep?.(this, r);
    if (!sameTrackers || faultChanged) {
      const { delta, fault } = this.tracking();
      if (delta !== this.st.trackDelta || fault !== this.st.trackFault)
        this.feed({ type: 'tracking', delta, fault });
    }
  }

  /**
   * The kernel says an address is gone (RTM_DELADDR). When it is a VIP this instance holds it no
   * longer does; as MASTER, while the VIP is still configured, it is added back and announced
   * (GARP/NA) at once, logged and counted: an operator's `ip addr del` must not leave a master
   * advertising for an address it does not have. Deletions of its own are not restored (it is no
   * longer MASTER, or no longer has the VIP configured, when it deletes one).
   */
  addressRemoved(a: {
    readonly address: string;
    readonly prefixLen: number;
    readonly ifindex: number;
  }): void {
    const key = vipKey(a);
    if (!this.added.delete(key)) return;
    const v = this.addresses.find((x) => vipKey(x) === key);
    if (this.st.name !== 'master' || !v) return;
    this.vipsRestored++;
    this.log.warn('VIP removed from outside while MASTER: adding it back', {
      vip: `${v.address}/${v.prefixLen}`,
      restored: this.vipsRestored,
    });
    this.queueVips('add', [v]);
    const repeat = this.spec.machine.garp.masterRepeat;
    this.vipChain = this.vipChain.then(() => {
      if (this.st.name === 'master') this.sendGarp(repeat, [v]);
    });
  }

  /** Resolves when the VIP changes (and firewall drops) queued so far are done. */
  settled(): Promise<void> {
    return this.vipChain;
  }

  feed(ev: MachineEvent): void {
    if (this.frozen) return;
    const now = this.deps.clock.now();
    const r = step(this.st, ev, now);
    const before = this.st.name;
    this.st = r.state;
    this.acting = before;
    for (const a of r.actions) this.carryOut(a);
    if (this.st.name !== before) this.transitions++;
    this.arm();
    this.deps.onStep?.(this, r);
    for (const w of this.watchers) w(r, now);
  }

  /** Follow this instance's steps (its result and time) until the returned function is called. */
  watch(cb: (r: StepResult, at: number) => void): () => void {
    this.watchers.add(cb);
    return () => this.watchers.delete(cb);
  }

  private carryOut(a: MachineAction): void {
    countAction(this.stats, a);
    switch (a.type) {
      case 'sendAdvert':
        this.sendAdvert(a.priority);
        break;
      case 'addVips':
        this.queueVips('add');
        this.queueRouting('add');
        break;
      case 'removeVips':
        this.queueRouting('del');
        this.queueVips('del');
        break;
      case 'sendGarp': {
        // after the queued VIP adds (keepalived's order: advert, VIPs, GARP), and only if still master
        const repeat = a.repeat;
        this.vipChain = this.vipChain.then(() => {
          if (this.st.name === 'master') this.sendGarp(repeat);
        });
        break;
      }
      case 'notify': {
        this.acting = a.to;
        if (a.reason === 'shutdown' && this.deleted) {
          const as = deletedAs(this.spec.notify.notifyDeleted ?? false, a.from);
          this.log.info('removed by reload', { from: a.from, announced: as ?? 'nothing' });
          if (as) this.deps.notifier.stateChanged(this.spec.notify, as, a.priority);
          break;
        }
        const to = a.to === 'init' ? undefined : STATE_NAMES[a.to];
        // logging and scripts/FIFO run after the current batch of due timers (off the takeover path)
        const emit = () => {
          this.log.notice(`Entering ${to ?? 'INIT'} state`, {
            from: a.from,
            reason: a.reason,
            priority: a.priority,
          });
          if (to) this.deps.notifier.stateChanged(this.spec.notify, to, a.priority);
        };
        if (this.deps.defer && a.reason !== 'shutdown') this.deps.defer(emit);
        else emit();
        break;
      }
      case 'notifyMasterRxLowerPri': {
        this.log.info('master received lower priority advert', { src: a.src, priority: a.priority });
        const ours = this.st.effectivePriority;
        const emit = () => this.deps.notifier.masterRxLowerPri?.(this.spec.notify, ours);
        if (this.deps.defer) this.deps.defer(emit);
        else emit();
        break;
      }
      case 'priorityChanged':
        this.log.info('effective priority changed', { from: a.from, to: a.to });
        // keepalived never changes an address owner's priority through notify (vrrp_set_effective_priority)
        if (a.from !== 255 && a.to !== 255)
          this.deps.notifier.priorityChanged?.(this.spec.notify, this.acting, a.to);
        break;
      case 'armTimer':
      case 'cancelTimer':
      case 'count':
        break; // timers: one real timer follows nextDeadline(); counts: countAction above
    }
  }

  private sendAdvert(priority: number): void {
    this.deps.adverts.beginAdvert?.();
    for (const dst of this.spec.destinations) {
      try {
        this.deps.adverts.send(
          this.advertBytes.get(this.st.config, priority, dst),
          dst,
          this.spec.source,
          this.spec.advertTtl,
        );
      } catch (e) {
        if (this.errors.advertSend++ % 100 === 0) {
          this.log.warn('advert send failed', {
            dst,
            error: (e as Error).message,
            failures: this.errors.advertSend,
          });
        }
      }
    }
  }

  /**
   * `repeat` GARPs / NAs per address, each from its own interface with that interface's MAC (a VIP
   * or excluded VIP with another `dev`), through the engine's pacer (`garp_interval`,
   * `gna_interval`, `garp_group`): a frame whose turn comes after this instance left MASTER is not
   * sent.
   */
  private sendGarp(repeat: number, vips: readonly AddrSpec[] = this.addresses): void {
    const live = (): boolean => this.st.name === 'master' && !this.frozen;
    for (const v of vips) {
      const own = this.spec.ifindex === undefined || v.ifindex === this.spec.ifindex;
      const port = own ? this.deps.frames : this.deps.framesOn?.(v.ifindex);
      const mac = own ? this.spec.mac : this.spec.macs?.get(v.ifindex);
      if (!port || !mac) continue;
      const frame =
        v.family === 'inet'
          ? buildGarp({ mac, vip: v.address })
          : buildUnsolicitedNa({ mac, vip: v.address, router: this.spec.router });
      const pacing = v.family === 'inet' ? this.spec.pacing?.arp : this.spec.pacing?.na;
      const send = (): void => {
        try {
          port.send(frame);
        } catch (e) {
          if (this.errors.garpSend++ % 100 === 0) {
            this.log.warn('GARP/NA send failed', { vip: v.address, error: (e as Error).message });
          }
        }
      };
      for (let i = 0; i < repeat; i++) {
        if (pacing && this.deps.pacer) this.deps.pacer.send(pacing, send, live);
        else send();
      }
    }
  }

  /**
   * The firewall's drops for this instance: the VIPs it holds (and `adding`) while it is a no_accept
   * non-owner, none otherwise. keepalived's order: the drop before a VIP is added, after it is removed.
   */
  private async syncDrops(adding: readonly AddrSpec[] = []): Promise<void> {
    const fw = this.deps.firewall;
    if (!fw) return;
    const held = this.spec.vips.filter((v) => this.added.has(vipKey(v)) || adding.includes(v));
    const drops = this.spec.dropWhileMaster
      ? held.map((v) => ({ family: v.family, address: v.address, ifindex: v.ifindex }))
      : [];
    await fw.setDrops(this.name, drops);
  }

  /** Virtual routes and rules in (after the VIPs queued before) or out, on the same chain as the VIPs. */
  private queueRouting(
    op: 'add' | 'del',
    routes: readonly RouteSpec[] = this.spec.routes ?? [],
    rules: readonly RuleSpec[] = this.spec.rules ?? [],
  ): void {
    if (routes.length === 0 && rules.length === 0) return;
    this.vipChain = this.vipChain.then(() =>
      op === 'add' ? this.routing.add(routes, rules) : this.routing.remove(routes, rules),
    );
  }

  private queueVips(op: 'add' | 'del', vips: readonly AddrSpec[] = this.addresses): void {
    this.vipChain = this.vipChain.then(async () => {
      if (op === 'add') await this.syncDrops(vips);
      for (const v of vips) {
        const key = vipKey(v);
        try {
          if (op === 'add') {
            const r = await this.deps.rtnl.addAddress(v);
            if (r === 'added') this.added.add(key);
            else if (!this.added.has(key))
              this.log.warn('VIP already present; not ours to remove later', { vip: v.address });
          } else if (this.added.has(key)) {
            await this.deps.rtnl.delAddress(v);
            this.added.delete(key);
          }
        } catch (e) {
          this.errors.vip++;
          this.log.error(`VIP ${op} failed`, { vip: v.address, error: (e as Error).message });
        }
      }
      if (op === 'del') await this.syncDrops();
    });
  }

  private cancelTimer(): void {
    if (this.timer) this.timerOn.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Keep one real timer at the machine's earliest deadline. */
  private arm(): void {
    const d = nextDeadline(this.st);
    if (!d) {
      this.cancelTimer();
      return;
    }
    // Master_Down decides failover time: a timer to the microsecond, where one is given
    const on = (d.which === 'masterDown' && this.deps.preciseTimers) || this.deps.timers;
    if (this.timer && this.timerOn === on && this.timerWake <= d.at) {
      // The timer set wakes no later than the deadline (the same one, or one that every advert a backup
      // hears pushes back): it stays, and sets one for the rest if it wakes early, rather than a cancel
      // and a new timer per advert.
      this.timerAt = d.at;
      return;
    }
    this.cancelTimer();
    this.timerAt = d.at;
    this.timerWake = d.at;
    this.timerOn = on;
    this.timer = on.setTimeout(() => this.fire(), d.at - this.deps.clock.now());
  }

  /** The timer is due (or woke early: then it is set again for the rest of `timerAt`). */
  private fire(): void {
    const at = this.timerAt;
    this.timer = undefined;
    const now = this.deps.clock.now();
    if (now < at) {
      // woke early: Node's timers keep the event loop's millisecond clock, and a deadline moved later
      this.arm();
      return;
    }
    this.deps.lateness.observe(now - at);
    for (const which of dueTimers(this.st, now)) {
      // a previous timer's actions may have cancelled or moved this one
      const at2 = this.st.timers[which];
      if (at2 === undefined || at2 > this.deps.clock.now()) continue;
      this.feed({ type: 'timer', which });
    }
    this.arm();
  }

  /** A JSON-able snapshot for the stats dump (SIGUSR1) and `lvsd status`. */
  snapshot(): InstanceSnapshot {
    return {
      name: this.name,
      vrid: this.vrid,
      family: this.spec.machine.family,
      state: this.st.name,
      effectivePriority: this.st.effectivePriority,
      drillHold: this.st.drillHold,
      trackers: this.trackers.map((t) => ({
        kind: t.spec.kind,
        name: t.spec.name,
        ok: t.ok,
        value: t.value,
      })),
      masterSrc: this.st.masterSrc ?? null,
      transitions: this.transitions,
      vipsHeld: [...this.added],
      vipsRestored: this.vipsRestored,
      routing: { ...this.routing.snapshot(), errors: this.routing.errors },
      stats: this.stats,
      errors: this.errors,
    };
  }
}
