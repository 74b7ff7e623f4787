// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS manager: composes the running checkers (check-tasks.ts), the check state (result.ts,
 * virtual-server.ts), the effects of its events (effects.ts: logs, notify scripts, FIFO lines),
 * operator drains (drains.ts) and the IPVS sync loop (ipvs/sync-loop.ts), which brings the kernel
 * to the desired table (desired.ts) through the `IpvsKernel` port; it never issues kernel ops
 * itself. Pure of node I/O: every collaborator is injected (src/daemon/check-main.ts wires them).
 */
import type { Clock, Rng, Timers } from '../core/clock.js';
import { LvsdError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { IpvsTable } from '../ipvs/model.js';
import type { IpvsKernel, IpvsOp } from '../ipvs/ops.js';
import { IpvsSyncLoop } from '../ipvs/sync-loop.js';
import type { SyncLoopStats, SyncRound } from '../ipvs/sync-loop.js';
import type { HistogramSnapshot } from '../core/histogram.js';
import { CheckTasks } from './check-tasks.js';
import type { CheckTask } from './check-tasks.js';
import { desiredEntries, desiredTable } from './desired.js';
import type { DrainStore } from './drains.js';
import { OperatorDrains, findReal } from './drains.js';
import type { MailAlerts } from '../mail/alerts.js';
import { checkerAlert, logCheckStep, rsText, runEffects, vsText } from './effects.js';
import { realAlive } from './real-server.js';
import { serviceIdsOf, specChanges } from './spec-changes.js';
import type { ProbeFactory } from './probe.js';
import type { CheckState, ProbeResult } from './result.js';
import { nextCheckState } from './result.js';
import type { SchedulerStats } from './scheduler.js';
import type { LvsStatus } from './status.js';
import { buildStatus } from './status.js';
import type { TcpEngineFactory } from './tcp-engine.js';
import type { CheckSpec, ScriptCommandSpec, VirtualServerSpec } from './types.js';
import type { CheckEvent, CheckWorld } from './virtual-server.js';
import {
  applyCheckStep,
  buildWorld,
  realKeyOf,
  setDrained,
  shutdownEvents,
  updateWorld,
  vsIdOf,
} from './virtual-server.js';

export type { DrainStore } from './drains.js';
export type { LvsStatus } from './status.js';

export interface ManagerOptions {
  kernel: IpvsKernel;
  clock: Clock;
  timers: Timers;
  rng: Rng;
  logger: Logger;
  probes: ProbeFactory;
  /** Run a notify/quorum script (fire and forget). */
  runScript: (script: ScriptCommandSpec) => void;
  /** Write one line (with its newline) to the LVS notify FIFOs. */
  notifyFifo?: (line: string) => void;
  /** Where `smtp_alert` e-mails go (queued, never waited for). */
  mail?: MailAlerts;
  /** For ha_suspend: whether the VS's address is local now. @default always */
  vipLocal?: (vs: VirtualServerSpec) => boolean;
  /** Checks running at once. */
  concurrency?: number;
  /** Where drains are kept across restarts; without it they last as long as the process. */
  drains?: DrainStore;
  /**
   * Runs TCP_CHECK probes outside the event loop (src/net/tcp-check-engine.ts); without it they
   * run through `probes` like every other checker. Under `ha_suspend` only checkers with `fwmark`
   * or `bind_if` use it (the scheduler tests the VIP before each probe; only the engine sets those).
   */
  tcpEngine?: TcpEngineFactory;
  /**
   * Check results are batched into at most one kernel update per this period. @default 0: an update
   * starts at the next turn of the event loop (results that come while one runs go into the next)
   */
  minSyncIntervalMs?: number;
  /**
   * A drift walk over lvsd's services in the kernel takes about this long, one slice a second
   * (stretched when a step is costly: ipvs/sync-loop.ts). @default 30000
   */
  resyncMs?: number;
  /**
   * Called when a virtual server's quorum may have changed: a quorum transition, a drain, a reload
   * (the BGP announcements follow it: src/bgp/announcements.ts). Read `quorums()` for the states.
   */
  onQuorumChange?: () => void;
}

export class CheckManager {
  readonly #o: ManagerOptions;
  readonly #log: Logger;
  readonly #tasks: CheckTasks;
  readonly #ipvs: IpvsSyncLoop<VirtualServerSpec>;
  readonly #drains: OperatorDrains;
  #spec: CheckSpec = { virtualServers: [], notifyFifos: [] };
  /** The running spec's virtual servers by service id (a scope marked before a reload maps to its successor). */
  readonly #byId = new Map<string, VirtualServerSpec>();
  #world: CheckWorld = { vss: new Map(), reals: new Map() };
  /** The first spec has been applied (later ones reconcile only what they change). */
  #started = false;
  #stopping = false;

  constructor(opts: ManagerOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.#drains = new OperatorDrains(opts.drains, opts.logger);
    this.#tasks = new CheckTasks({
      clock: opts.clock,
      timers: opts.timers,
      rng: opts.rng,
      logger: opts.logger,
      probes: opts.probes,
      concurrency: opts.concurrency,
      tcpEngine: opts.tcpEngine,
      vipLocal: opts.vipLocal,
      fold: (task, result) => this.#fold(task, result),
    });
    this.#ipvs = new IpvsSyncLoop<VirtualServerSpec>({
      kernel: opts.kernel,
      clock: opts.clock,
      timers: opts.timers,
      logger: opts.logger,
      desired: {
        table: () => this.desired(),
        entries: (vss) => [...this.#current(vss)].flatMap((vs) => desiredEntries(vs, this.#world)),
      },
      ...(opts.minSyncIntervalMs === undefined ? {} : { minSyncIntervalMs: opts.minSyncIntervalMs }),
      ...(opts.resyncMs === undefined ? {} : { resyncMs: opts.resyncMs }),
    });
  }

  /** Start with a spec: program the initial table, then start the checkers. */
  async start(spec: CheckSpec): Promise<void> {
    await this.reload(spec);
  }

  /**
   * Apply a new spec (resolves to the IPVS ops the kernel carried out); reals whose checkers are
   * unchanged keep their state (and drains). The kernel
   * is brought to the new spec first, then the checkers are (re)started, as keepalived does: a
   * first sync at 10,000 reals must not compete with 10,000 starting probes.
   *
   * After the first spec, a virtual server that is the same object as before (CheckSpecBuilder) is
   * unchanged: its checkers and state carry over as they are and only the changed and removed
   * virtual servers are reconciled, against the table lvsd keeps (ipvs/sync-loop.ts), so a reload
   * costs what it changes.
   */
  async reload(spec: CheckSpec): Promise<IpvsOp[]> {
    const changes = specChanges(this.#spec, spec);
    for (const vs of changes.changed) this.#ipvs.own(serviceIdsOf(vs));
    updateWorld(this.#world, changes, this.#drains.keys);
    this.#spec = spec;
    for (const vs of changes.gone) {
      const id = vsIdOf(vs);
      if (this.#byId.get(id) === vs) this.#byId.delete(id);
    }
    for (const vs of changes.changed) this.#byId.set(vsIdOf(vs), vs);
    const first = !this.#started;
    this.#started = true;
    const round = first ? await this.#ipvs.sync() : await this.#ipvs.reload(changes.changed, changes.retired);
    if (!round.error) {
      // the services it removed have left the kernel: an address reused by hand is not lvsd's
      const wanted = new Set(changes.changed.flatMap(serviceIdsOf));
      this.#ipvs.disown(changes.retired.filter((id) => !wanted.has(id)));
    }
    const applied = round.attempts.flatMap((a) => a.report.applied);
    if (this.#spec !== spec) return applied; // a newer reload came in meanwhile and set the tasks
    this.#tasks.update(spec, changes);
    this.#o.onQuorumChange?.();
    return applied;
  }

  /**
   * What `reload(spec)` would change in the kernel now (`lvsd reload --dry-run`), applying nothing:
   * the new desired table (unchanged reals keep their check state, new ones start as they would)
   * planned against the table lvsd keeps.
   */
  preview(spec: CheckSpec): Promise<IpvsOp[]> {
    const world = buildWorld(spec, { spec: this.#spec, world: this.#world }, this.#drains.keys);
    const owned = spec.virtualServers.flatMap(serviceIdsOf);
    return this.#ipvs.preview(desiredTable(spec, world), owned);
  }

  /**
   * The running virtual servers these scopes stand for: a scope marked before a reload replaced
   * its virtual server stands for its successor (same service), and for nothing once it is gone.
   */
  #current(scopes: Iterable<VirtualServerSpec>): Set<VirtualServerSpec> {
    const out = new Set<VirtualServerSpec>();
    for (const vs of scopes) {
      const now = this.#byId.get(vsIdOf(vs));
      if (now) out.add(now);
    }
    return out;
  }

  /**
   * Fold one probe result into the checker's state; returns the delay until the next probe and the
   * new state (absent when the result was not folded: stopping, or the real is gone).
   */
  #fold(task: CheckTask, result: ProbeResult): { delayMs: number; state?: CheckState } {
    const { vs, rs, index } = task;
    const checker = rs.checkers[index];
    if (!checker) return { delayMs: 60_000 };
    if (this.#stopping) return { delayMs: checker.timing.delayLoopMs };
    const prevCheck = this.#world.reals.get(realKeyOf(vs, rs))?.checks[index];
    if (!prevCheck) return { delayMs: checker.timing.delayLoopMs };
    const step = nextCheckState(prevCheck, result, checker.timing);
    logCheckStep(this.#log, { vs, rs, checker }, step, result);
    const events = applyCheckStep(this.#world, vs, rs, index, step);
    if (step.transition && this.#o.mail) {
      const st = this.#world.reals.get(realKeyOf(vs, rs));
      const real = {
        alive: st ? realAlive(st) : false,
        changed: events.some((e) => e.type === 'rs' && e.rs === rs),
      };
      const a = checkerAlert({ vs, rs, checker }, step.transition === 'up', result, real);
      if (a) this.#o.mail.alert(a);
    }
    if (events.length > 0) {
      this.#effects(events);
      this.#ipvs.touch(vs);
    }
    return { delayMs: step.delayMs, state: step.state };
  }

  #effects(events: readonly CheckEvent[], stopping = false): void {
    const { runScript, notifyFifo, mail } = this.#o;
    runEffects(events, { logger: this.#log, runScript, notifyFifo, mail }, { stopping });
    if (!stopping && events.some((e) => e.type === 'vs')) this.#o.onQuorumChange?.();
  }

  /** Each virtual server of the running spec and whether it has its quorum now. */
  quorums(): Array<{ vs: VirtualServerSpec; quorumUp: boolean }> {
    return this.#spec.virtualServers.map((vs) => ({
      vs,
      quorumUp: this.#world.vss.get(vsIdOf(vs))?.quorumUp ?? false,
    }));
  }

  /** Drain (weight 0, not counted for quorum) or re-enable a real; survives reloads and, with a store, restarts. */
  async setDrain(vsRef: string, rsRef: string, drained: boolean): Promise<void> {
    const found = findReal(this.#spec, vsRef, rsRef);
    if (!found) throw new LvsdError('LVSD_E_CONTROL', `no real server ${rsRef} in virtual server ${vsRef}`);
    const { vs, rs } = found;
    this.#drains.set(vs, rs, drained);
    this.#log.info(drained ? 'real server drained by operator' : 'real server enabled by operator', {
      vs: vsText(vs),
      rs: rsText(rs, vs),
    });
    this.#effects(setDrained(this.#world, vs, rs, drained));
    await this.#ipvs.update(vs);
  }

  /** The table lvsd wants in the kernel now. */
  desired(): IpvsTable {
    return desiredTable(this.#spec, this.#world);
  }

  /**
   * Bring the whole kernel table to the desired one; concurrent requests coalesce. Resolves when a
   * full round that started after the call has ended (applied, or failed and logged). Never rejects.
   */
  sync(): Promise<SyncRound> {
    return this.#ipvs.sync();
  }

  /**
   * Stop: no more probes; with `omega`, notify_down for live reals and quorum_down for each VS
   * (and FIFO lines); then remove lvsd's services from the kernel, as keepalived does on exit.
   */
  async stop(opts: { keepIpvs?: boolean; handoff?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    await this.#tasks.stop();
    // a handoff (hitless restart) is no shutdown: no omega notify_down/quorum_down
    if (!opts.handoff)
      for (const vs of this.#spec.virtualServers)
        if (vs.omega) this.#effects(shutdownEvents(vs, this.#world), true);
    await this.#ipvs.stop({ removeOwned: !opts.keepIpvs });
  }

  schedulerStats(): SchedulerStats {
    return this.#tasks.stats();
  }

  takeSchedulerWindow(): SchedulerStats {
    return this.#tasks.takeWindow();
  }

  /** How long probes took, by checker kind (those run on the event loop; see CheckTasks). */
  checkDurations(): Record<string, HistogramSnapshot> {
    return this.#tasks.durations();
  }

  /** Kernel operations by op, applied and refused, since the start. */
  ipvsOps(): SyncLoopStats['ops'] {
    return this.#ipvs.stats().ops;
  }

  /**
   * The counts systemd's STATUS= line shows, asked for every second: counted from the state, not
   * from `status()`, which formats a line per real (100,000 of them at 10,000 x 10).
   */
  summary(): { virtualServers: number; withoutQuorum: number; reals: number; realsUp: number } {
    let withoutQuorum = 0;
    let reals = 0;
    let realsUp = 0;
    for (const vs of this.#spec.virtualServers) {
      if (!this.#world.vss.get(vsIdOf(vs))?.quorumUp) withoutQuorum++;
      for (const rs of vs.reals) {
        reals++;
        const st = this.#world.reals.get(realKeyOf(vs, rs));
        if (st && !st.drained && realAlive(st)) realsUp++;
      }
    }
    return { virtualServers: this.#spec.virtualServers.length, withoutQuorum, reals, realsUp };
  }

  /** Status as data (for `lvsd status` and the control socket). */
  status(): LvsStatus {
    return buildStatus(this.#spec, this.#world, this.#ipvs.stats());
  }
}
