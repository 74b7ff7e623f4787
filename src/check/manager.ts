// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS manager shell: schedules every checker's probe, folds results through the pure state
 * (result.ts, virtual-server.ts), runs notify_up/down and quorum_up/down scripts, writes
 * keepalived-format LVS notify FIFO lines, and hands the desired table (desired.ts) to the
 * reconciler through `converge` against the `IpvsKernel` port; it never issues kernel ops itself.
 * Operator drains are kept by real identity and survive reloads.
 */
import type { Clock, Rng, Timers } from '../core/clock.js';
import { LvsdError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { partialError } from '../ipvs/converge.js';
import type { IpvsTable } from '../ipvs/model.js';
import { formatAddrPort, serviceId } from '../ipvs/model.js';
import type { IpvsKernel } from '../ipvs/ops.js';
import { reconcile } from '../ipvs/reconcile.js';
import { desiredEntries, desiredTable } from './desired.js';
import type { Probe } from './probe.js';
import { probeTarget } from './probe.js';
import type { ProbeFactory } from './probes.js';
import { effectiveWeight, realAlive } from './real-server.js';
import type { CheckState, ProbeResult } from './result.js';
import { firstProbeDelay, nextCheckState, successIsQuiet } from './result.js';
import { CheckScheduler, lateWarnEveryMs, lateWarningText } from './scheduler.js';
import type { SchedulerStats } from './scheduler.js';
import type { TcpCheckEngine, TcpEngineFactory } from './tcp-engine.js';
import type {
  CheckerSpec,
  CheckSpec,
  RealServerSpec,
  ScriptCommandSpec,
  VirtualServerSpec,
} from './types.js';
import { realKey } from './types.js';
import type { CheckEvent, CheckWorld } from './virtual-server.js';
import { applyCheckStep, buildWorld, realKeyOf, setDrained } from './virtual-server.js';

/** A full re-read of the kernel may take at most 1/20 of the time between two re-reads. */
const resyncCostFactor = 20;

/** What the LVS worker reports (`lvsd status`, the control socket, the SIGUSR1 dump). */
export interface LvsStatus {
  virtualServers: Array<{
    vs: string;
    quorumUp: boolean;
    reals: Array<{
      rs: string;
      alive: boolean;
      drained: boolean;
      weight: number;
      checks: Array<{ kind: string; up: boolean; lastFailure?: string }>;
    }>;
  }>;
  syncs: number;
  syncErrors: number;
}

/** Keeps operator drains across restarts (src/daemon/drain-store.ts). */
export interface DrainStore {
  load(): string[];
  /** May throw: the drain still applies, the failure is logged. */
  save(keys: readonly string[]): void;
}

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
  /** Check results are batched into at most one kernel update per this period. @default 100 */
  minSyncIntervalMs?: number;
  /**
   * The kernel table is re-read (drift repair) this often, stretched to 20 × the cost of the last
   * re-read when that is longer, so a large table cannot starve the checks. @default 30000
   */
  resyncMs?: number;
}

interface TaskCtx {
  vs: VirtualServerSpec;
  rs: RealServerSpec;
  index: number;
  /** Absent when the TCP check engine runs this checker (then `engineId` is set). */
  probe?: Probe;
  engineId?: number;
  /** What a reload compares to tell whether this checker changed (see `sameTask`). */
  checker: CheckerSpec;
}

/** The TCP engine is polled this often for lateness (to warn, as the scheduler does). */
const engineWatchMs = 1000;

/** A counter that is warned about, at most once per period, when it has grown since the last warning. */
class GrowthWarning {
  #seen = 0;
  #last = -Infinity;
  readonly #everyMs: number;
  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  /** How much `value` grew since the last warning, when a warning is due now; else undefined. */
  take(value: number, now: number): number | undefined {
    if (value <= this.#seen || now - this.#last < this.#everyMs) return undefined;
    const growth = value - this.#seen;
    this.#seen = value;
    this.#last = now;
    return growth;
  }
}

/**
 * Whether a reload left a task's checker as it was: the same checker spec (the task id already
 * fixes the real's address and port) under the same ha_suspend, which decides where it runs.
 */
function sameTask(old: TaskCtx, c: CheckerSpec, vs: VirtualServerSpec): boolean {
  return (
    old.vs.haSuspend === vs.haSuspend &&
    (old.checker === c || JSON.stringify(old.checker) === JSON.stringify(c))
  );
}

/** keepalived's inet_sockaddrtotrio: `[addr]:proto:port`; fwmark services are `FWM n`. */
export function vsText(vs: VirtualServerSpec): string {
  const k = vs.service.key;
  return k.kind === 'fwmark' ? `FWM ${k.fwmark}` : `[${k.address}]:${k.protocol}:${k.port}`;
}

export function rsText(rs: RealServerSpec, vs: VirtualServerSpec): string {
  const k = vs.service.key;
  return `[${rs.address}]:${k.kind === 'addr' ? k.protocol : 'tcp'}:${rs.port}`;
}

/** Parse an operator's `[proto:]addr:port`, `[v6]:port` or `fwmark:N` against a spec. */
function matches(text: string, key: { address: string; port: number; protocol?: string }): boolean {
  const t = text.trim().toLowerCase();
  const m = /^(?:(tcp|udp|sctp):)?(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(t);
  if (!m) return false;
  if (m[1] !== undefined && key.protocol !== undefined && m[1] !== key.protocol) return false;
  return (m[2] ?? m[3]) === key.address && Number(m[4]) === key.port;
}

export class CheckManager {
  readonly #o: ManagerOptions;
  readonly #log: Logger;
  readonly #sched: CheckScheduler;
  #spec: CheckSpec = { virtualServers: [], notifyFifos: [] };
  #world: CheckWorld = { vss: new Map(), reals: new Map() };
  #tasks = new Map<string, TaskCtx>();
  #drained = new Set<string>();
  #owned = new Set<string>();
  #syncing: Promise<void> | undefined;
  /**
   * Callers waiting for a kernel round that starts after they asked (`full`: a full round). They
   * never wait for the loop to drain: under a stream of check results it may never drain.
   */
  #waiters: Array<{ full: boolean; done: () => void }> = [];
  /** A full reconcile of every owned service is due (start, reload, drift repair, stop). */
  #fullDirty = false;
  /** Virtual servers whose reals changed since the last sync (reconciled alone: O(changed)). */
  #dirtyVs = new Set<VirtualServerSpec>();
  #retryTimer: ReturnType<Timers['setTimeout']> | undefined;
  #batchTimer: ReturnType<Timers['setTimeout']> | undefined;
  #lastSyncAt = -Infinity;
  /** The kernel table as last read and then updated by the ops applied since (undefined = re-read). */
  #actual: IpvsTable | undefined;
  #actualAt = -Infinity;
  /** How often the kernel is re-read: `resyncMs`, stretched when a re-read is costly. */
  #resyncEveryMs = 30_000;
  #stopping = false;
  readonly #engine: TcpCheckEngine | undefined;
  readonly #byEngineId = new Map<number, TaskCtx>();
  #nextEngineId = 1;
  #engineWatch: ReturnType<Timers['setTimeout']> | undefined;
  readonly #engineLate = new GrowthWarning(lateWarnEveryMs);
  readonly #engineLocal = new GrowthWarning(lateWarnEveryMs);
  #syncs = 0;
  #syncErrors = 0;

  constructor(opts: ManagerOptions) {
    this.#o = opts;
    this.#resyncEveryMs = opts.resyncMs ?? 30_000;
    this.#log = opts.logger;
    for (const key of opts.drains?.load() ?? []) this.#drained.add(key);
    const so = { clock: opts.clock, timers: opts.timers, logger: opts.logger };
    this.#sched = new CheckScheduler(
      opts.concurrency === undefined ? so : { ...so, concurrency: opts.concurrency },
    );
    this.#engine = opts.tcpEngine?.((id, result) => this.#onEngineResult(id, result));
    if (this.#engine) this.#watchEngine();
  }

  /** Start with a spec: program the initial table, then start the checkers. */
  async start(spec: CheckSpec): Promise<void> {
    await this.reload(spec);
  }

  /**
   * Apply a new spec; reals whose checkers are unchanged keep their state (and drains). The kernel
   * is brought to the new spec first, then the checkers are (re)started, as keepalived does: a
   * first sync at 10,000 reals must not compete with 10,000 starting probes.
   */
  async reload(spec: CheckSpec): Promise<void> {
    const prev = { spec: this.#spec, world: this.#world };
    for (const vs of spec.virtualServers) {
      this.#owned.add(serviceId(vs.service.key));
      for (const s of vs.alsoServices ?? []) this.#owned.add(serviceId(s.key));
    }
    this.#spec = spec;
    this.#world = buildWorld(spec, prev, this.#drained);
    await this.sync();
    if (this.#spec !== spec) return; // a newer reload came in meanwhile and set the tasks
    const keep = new Set<string>();
    for (const vs of spec.virtualServers) {
      const vsId = serviceId(vs.service.key);
      for (const rs of vs.reals) {
        rs.checkers.forEach((c, index) => {
          const id = `${realKey(vsId, rs)}#${index}`;
          keep.add(id);
          const old = this.#tasks.get(id);
          if (old && sameTask(old, c, vs) && (old.engineId !== undefined || this.#sched.has(id))) {
            Object.assign(old, { vs, rs, index });
            return;
          }
          if (old) this.#dropTask(id, old);
          const first = firstProbeDelay(c.timing, this.#o.rng);
          // ha_suspend needs the VIP test before each probe, which the JavaScript scheduler does;
          // but only the engine can set SO_MARK / SO_BINDTODEVICE, so those go there anyway and
          // their results are dropped while the VIP is not local.
          const sockOpts = c.fwmark !== undefined || c.bindIf !== undefined;
          if (this.#engine && c.kind === 'tcp' && (!vs.haSuspend || sockOpts)) {
            const ctx: TaskCtx = { vs, rs, index, checker: c, engineId: this.#nextEngineId++ };
            this.#tasks.set(id, ctx);
            this.#byEngineId.set(ctx.engineId!, ctx);
            const t = c.timing;
            this.#engine.add(ctx.engineId!, probeTarget(rs, c), t.connectTimeoutMs, t.delayLoopMs, first);
            return;
          }
          const ctx: TaskCtx = { vs, rs, index, checker: c, probe: this.#o.probes(c, rs) };
          this.#tasks.set(id, ctx);
          this.#sched.add(id, first, () => this.#runCheck(id, ctx));
        });
      }
    }
    for (const [id, ctx] of [...this.#tasks]) if (!keep.has(id)) this.#dropTask(id, ctx);
  }

  #dropTask(id: string, ctx: TaskCtx): void {
    this.#tasks.delete(id);
    if (ctx.engineId !== undefined) {
      this.#byEngineId.delete(ctx.engineId);
      this.#engine?.remove(ctx.engineId);
    } else {
      this.#sched.remove(id);
    }
  }

  async #runCheck(_id: string, ctx: TaskCtx): Promise<number> {
    const { vs, rs, index } = ctx;
    const checker = rs.checkers[index];
    if (!checker || !ctx.probe) return 60_000;
    if (vs.haSuspend && this.#o.vipLocal && !this.#o.vipLocal(vs)) return checker.timing.delayLoopMs;
    const result = await ctx.probe();
    if (ctx.vs !== vs) return checker.timing.delayLoopMs;
    return this.#afterProbe(ctx, result).delayMs;
  }

  /** A result reported by the TCP engine: fold it in, then tell the engine when to probe next. */
  #onEngineResult(engineId: number, result: ProbeResult): void {
    const ctx = this.#byEngineId.get(engineId);
    if (!ctx || this.#stopping) return;
    const timing = ctx.checker.timing;
    if (ctx.vs.haSuspend && this.#o.vipLocal && !this.#o.vipLocal(ctx.vs)) {
      this.#engine?.resume(engineId, timing.delayLoopMs, false);
      return;
    }
    const { delayMs, state } = this.#afterProbe(ctx, result);
    this.#engine?.resume(engineId, delayMs, state !== undefined && successIsQuiet(state, timing));
  }

  /** Every second: warn (rate-limited) when the engine's probes started late, as the scheduler does. */
  #watchEngine(): void {
    this.#engineWatch = this.#o.timers.setTimeout(() => {
      if (this.#stopping || !this.#engine) return;
      const s = this.#engine.stats(false);
      const now = this.#o.clock.now();
      const late = this.#engineLate.take(s.lateRuns, now);
      if (late !== undefined) {
        this.#log.warn(lateWarningText, {
          maxLatenessMs: s.maxLatenessMs,
          lateRuns: late,
          inFlight: s.inFlight,
          tasks: s.checks,
          engine: 'tcp',
        });
      }
      const deferred = this.#engineLocal.take(s.localErrors, now);
      if (deferred !== undefined) {
        this.#log.warn(
          'health checks deferred: this director is short of sockets, the reals are not blamed',
          {
            error: s.lastLocalError,
            deferred,
            inFlight: s.inFlight,
            maxInFlight: s.maxInFlight,
          },
        );
      }
      this.#watchEngine();
    }, engineWatchMs);
  }

  /**
   * Fold one probe result into the checker's state; returns the delay until the next probe and the
   * new state (absent when the result was not folded: stopping, or the real is gone).
   */
  #afterProbe(ctx: TaskCtx, result: ProbeResult): { delayMs: number; state?: CheckState } {
    const { vs, rs, index } = ctx;
    const checker = rs.checkers[index];
    if (!checker) return { delayMs: 60_000 };
    if (this.#stopping) return { delayMs: checker.timing.delayLoopMs };
    const st = this.#world.reals.get(realKeyOf(vs, rs));
    const prevCheck = st?.checks[index];
    if (!st || !prevCheck) return { delayMs: checker.timing.delayLoopMs };
    const step = nextCheckState(prevCheck, result, checker.timing);
    const fields = (): { vs: string; rs: string; checker: string } => ({
      vs: vsText(vs),
      rs: rsText(rs, vs),
      checker: checker.kind,
    });
    if (step.retrying && checker.timing.logAllFailures && !result.ok) {
      this.#log.info('check failed, will retry', {
        ...fields(),
        reason: result.reason,
        retry: step.state.retryIt,
      });
    } else if (step.transition) {
      this.#log.info(step.transition === 'up' ? 'check succeeded' : 'check failed', {
        ...fields(),
        ...(result.ok ? {} : { reason: result.reason }),
      });
    } else if (!result.ok && checker.timing.logAllFailures) {
      this.#log.info('check failed', { ...fields(), reason: result.reason });
    }
    const events = applyCheckStep(this.#world, vs, rs, index, step);
    if (events.length > 0) {
      this.#handle(events);
      this.#dirtyVs.add(vs);
      this.#requestSync();
    }
    return { delayMs: step.delayMs, state: step.state };
  }

  #handle(events: CheckEvent[]): void {
    for (const e of events) {
      if (e.type === 'rs') {
        const vsName = vsText(e.vs);
        const rsName = rsText(e.rs, e.vs);
        this.#log.info(e.up ? 'real server up' : 'real server down', { vs: vsName, rs: rsName });
        const script = e.up ? e.rs.notifyUp : e.rs.notifyDown;
        if (script) this.#o.runScript(script);
        this.#o.notifyFifo?.(`RS ${rsName} ${vsName} ${e.up ? 'UP' : 'DOWN'}\n`);
      } else if (e.type === 'vs') {
        this.#log.info(e.up ? 'gained quorum' : 'lost quorum', {
          vs: vsText(e.vs),
          weightSum: e.weightSum,
          threshold: e.threshold,
          sorryServer: e.vs.sorryServer
            ? formatAddrPort(e.vs.sorryServer.family, e.vs.sorryServer.address, e.vs.sorryServer.port)
            : null,
        });
        const script = e.up ? e.vs.quorumUp : e.vs.quorumDown;
        if (script) this.#o.runScript(script);
        this.#o.notifyFifo?.(`VS ${vsText(e.vs)} ${e.up ? 'UP' : 'DOWN'}\n`);
      } else {
        this.#log.info('real server weight changed', {
          vs: vsText(e.vs),
          rs: rsText(e.rs, e.vs),
          weight: e.weight,
        });
      }
    }
  }

  /** Drain (weight 0, not counted for quorum) or re-enable a real; survives reloads and, with a store, restarts. */
  async setDrain(vsRef: string, rsRef: string, drained: boolean): Promise<void> {
    for (const vs of this.#spec.virtualServers) {
      const k = vs.service.key;
      const vsOk =
        k.kind === 'fwmark'
          ? vsRef.trim().toLowerCase() === `fwmark:${k.fwmark}`
          : matches(vsRef, { address: k.address, port: k.port, protocol: k.protocol });
      if (!vsOk) continue;
      const rs = vs.reals.find((r) => matches(rsRef, { address: r.address, port: r.port }));
      if (!rs) break;
      const key = realKey(serviceId(k), rs);
      if (drained) this.#drained.add(key);
      else this.#drained.delete(key);
      try {
        this.#o.drains?.save([...this.#drained]);
      } catch (e) {
        this.#log.error('drain not saved: it applies until the worker restarts', {
          error: (e as Error).message,
        });
      }
      this.#log.info(drained ? 'real server drained by operator' : 'real server enabled by operator', {
        vs: vsText(vs),
        rs: rsText(rs, vs),
      });
      this.#handle(setDrained(this.#world, vs, rs, drained));
      this.#dirtyVs.add(vs);
      await this.#nextRound(false);
      return;
    }
    throw new LvsdError('LVSD_E_CONTROL', `no real server ${rsRef} in virtual server ${vsRef}`);
  }

  /** The table lvsd wants in the kernel now. */
  desired(): IpvsTable {
    return desiredTable(this.#spec, this.#world);
  }

  /** A sync soon: check results within one batching period share one kernel update. */
  #requestSync(): void {
    if (this.#batchTimer || this.#stopping) return;
    const wait = Math.max(0, this.#lastSyncAt + (this.#o.minSyncIntervalMs ?? 100) - this.#o.clock.now());
    this.#batchTimer = this.#o.timers.setTimeout(() => {
      this.#batchTimer = undefined;
      this.#kick();
    }, wait);
  }

  /**
   * One reconcile round against the cached kernel table. `only` = reconcile just these virtual
   * servers' services (the cached table stands for the rest); the kernel is re-read when the
   * cache is missing (start, after a failure) or older than `resyncMs` (drift repair).
   */
  async #round(only: ReadonlySet<VirtualServerSpec> | undefined): Promise<number> {
    const now = this.#o.clock.now();
    let fullRound = false;
    if (!this.#actual || now - this.#actualAt > this.#resyncEveryMs) {
      fullRound = true;
      this.#actual = await this.#o.kernel.dump();
      this.#actualAt = now;
      only = undefined;
    }
    let desired: IpvsTable;
    let plan;
    if (only === undefined) {
      desired = this.#stopping ? [] : this.desired();
      plan = reconcile(desired, this.#actual, { owned: this.#owned });
    } else {
      desired = [...only].flatMap((vs) => desiredEntries(vs, this.#world));
      const ids = new Set(desired.map((e) => serviceId(e.service.key)));
      plan = reconcile(
        desired,
        this.#actual.filter((e) => ids.has(serviceId(e.service.key))),
      );
    }
    if (plan.length > 0) {
      const report = await this.#o.kernel.apply(plan);
      if (report.failed) {
        this.#actual = undefined;
        throw partialError(report);
      }
    }
    if (fullRound) {
      // Drift repair (dump + full plan) of a large table is expensive, most of all in a slow VM, and
      // it runs on the checkers' event loop: keep it under ~5 % of that loop, however large the table.
      const cost = this.#o.clock.now() - now;
      this.#resyncEveryMs = Math.max(this.#o.resyncMs ?? 30_000, cost * resyncCostFactor);
    }
    // The kernel now holds `desired` for these services and what it had for the others.
    const done = new Set(desired.map((e) => serviceId(e.service.key)));
    const drop = (id: string): boolean => done.has(id) || (only === undefined && this.#owned.has(id));
    this.#actual = [...this.#actual.filter((e) => !drop(serviceId(e.service.key))), ...desired];
    return plan.length;
  }

  /**
   * Bring the whole kernel table to the desired one; concurrent requests coalesce. Resolves when a
   * full round that started after the call has ended (applied, or failed and logged). Never rejects.
   */
  sync(): Promise<void> {
    this.#fullDirty = true;
    return this.#nextRound(true);
  }

  #nextRound(full: boolean): Promise<void> {
    const p = new Promise<void>((done) => this.#waiters.push({ full, done }));
    this.#kick();
    return p;
  }

  #kick(): void {
    if (!this.#syncing) {
      this.#syncing = this.#syncLoop().finally(() => {
        this.#syncing = undefined;
      });
    }
  }

  async #syncLoop(): Promise<void> {
    while (this.#fullDirty || this.#dirtyVs.size > 0 || this.#waiters.length > 0) {
      const full = this.#fullDirty || this.#stopping || this.#waiters.some((w) => w.full);
      const only = full ? undefined : new Set(this.#dirtyVs);
      this.#fullDirty = false;
      this.#dirtyVs.clear();
      const served = this.#waiters.filter((w) => !w.full || only === undefined);
      this.#waiters = this.#waiters.filter((w) => !served.includes(w));
      try {
        await this.#syncRound(only);
      } finally {
        for (const w of served) w.done();
      }
    }
  }

  /** One kernel round; failures are counted, logged and retried later, never thrown. */
  async #syncRound(only: Set<VirtualServerSpec> | undefined): Promise<void> {
    this.#lastSyncAt = this.#o.clock.now();
    try {
      let ops: number;
      const t0 = this.#o.clock.now();
      try {
        ops = await this.#round(only);
      } catch {
        // Re-read the kernel and plan again once (someone else may have changed the table).
        ops = await this.#round(undefined);
      }
      this.#syncs++;
      const ms = Math.round(this.#o.clock.now() - t0);
      // Check results wait for the kernel update to end: a slow one delays every verdict.
      if (ms >= 1000)
        this.#log.info('IPVS update was slow', { ms, ops, virtualServers: only?.size ?? 'all' });
      else if (ops > 0) this.#log.debug('IPVS table updated', { ops });
    } catch (e) {
      this.#syncErrors++;
      this.#fullDirty = false;
      this.#log.error('IPVS update failed; will retry', { error: (e as Error).message });
      if (!this.#stopping && !this.#retryTimer) {
        this.#retryTimer = this.#o.timers.setTimeout(() => {
          this.#retryTimer = undefined;
          void this.sync();
        }, 1000);
      }
    }
  }

  /**
   * Stop: no more probes; with `omega`, notify_down for live reals and quorum_down for each VS
   * (and FIFO lines); then remove lvsd's services from the kernel, as keepalived does on exit.
   */
  async stop(opts: { keepIpvs?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    if (this.#retryTimer) this.#o.timers.clearTimeout(this.#retryTimer);
    if (this.#batchTimer) this.#o.timers.clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    if (this.#engineWatch) this.#o.timers.clearTimeout(this.#engineWatch);
    this.#engine?.stop();
    await this.#sched.stop();
    for (const vs of this.#spec.virtualServers) {
      if (!vs.omega) continue;
      const vsId = serviceId(vs.service.key);
      const events: CheckEvent[] = [];
      for (const rs of vs.reals) {
        const st = this.#world.reals.get(realKey(vsId, rs));
        if (st && realAlive(st)) events.push({ type: 'rs', vs, rs, up: false });
      }
      if (this.#world.vss.get(vsId)?.quorumUp)
        events.push({ type: 'vs', vs, up: false, weightSum: 0, threshold: vs.quorum - vs.hysteresis });
      this.#handle(events);
    }
    if (!opts.keepIpvs) await this.sync();
    else if (this.#syncing) await this.#syncing;
  }

  schedulerStats(): SchedulerStats {
    return this.#withEngine(this.#sched.stats(), false);
  }

  takeSchedulerWindow(): SchedulerStats {
    return this.#withEngine(this.#sched.takeWindow(), true);
  }

  /** The scheduler's figures with the TCP engine's added in (one view of all checks). */
  #withEngine(s: SchedulerStats, newWindow: boolean): SchedulerStats {
    if (!this.#engine) return s;
    const e = this.#engine.stats(newWindow);
    const runs = s.windowRuns + e.windowRuns;
    return {
      tasks: s.tasks + e.checks,
      inFlight: s.inFlight + e.inFlight,
      waiting: s.waiting,
      runs: s.runs + e.runs,
      lateRuns: s.lateRuns + e.lateRuns,
      windowRuns: runs,
      maxLatenessMs: Math.max(s.maxLatenessMs, e.maxLatenessMs),
      meanLatenessMs: runs ? (s.meanLatenessMs * s.windowRuns + e.sumLatenessMs) / runs : 0,
    };
  }

  /** Status as data (for `lvsd status` and the control socket). */
  status(): LvsStatus {
    return {
      syncs: this.#syncs,
      syncErrors: this.#syncErrors,
      virtualServers: this.#spec.virtualServers.map((vs) => {
        const vsId = serviceId(vs.service.key);
        return {
          vs: vsText(vs),
          quorumUp: this.#world.vss.get(vsId)?.quorumUp ?? false,
          reals: vs.reals.map((rs) => {
            const st = this.#world.reals.get(realKey(vsId, rs));
            return {
              rs: rsText(rs, vs),
              alive: st ? realAlive(st) : false,
              drained: st?.drained ?? false,
              weight: st ? effectiveWeight(rs, st) : 0,
              checks: rs.checkers.map((c, i) => {
                const cs = st?.checks[i];
                const out: { kind: string; up: boolean; lastFailure?: string } = {
                  kind: c.kind,
                  up: cs?.up ?? false,
                };
                if (cs?.lastFailure !== undefined) out.lastFailure = cs.lastFailure;
                return out;
              }),
            };
          }),
        };
      }),
    };
  }
}
