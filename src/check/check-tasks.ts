// SPDX-License-Identifier: Apache-2.0
/**
 * The running checkers: one task per checker of each real, run by the JavaScript scheduler or, for
 * TCP_CHECK, by the TCP check engine off the event loop. A reload keeps a task whose checker is
 * unchanged and replaces or drops the others. Each probe result is handed to `fold` (the manager
 * folds it into the real's state) and the task continues after the delay it returns. Pure of node
 * I/O: the scheduler, engine, clock and timers are injected.
 */
import type { Clock, Rng, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { watchEngine, withEngineStats } from './engine-watch.js';
import type { Probe } from './probe.js';
import { probeTarget } from './probe.js';
import type { ProbeFactory } from './probe.js';
import type { CheckState, ProbeResult } from './result.js';
import { firstProbeDelay, successIsQuiet } from './result.js';
import { CheckScheduler } from './scheduler.js';
import type { SchedulerStats } from './scheduler.js';
import type { TcpCheckEngine, TcpEngineFactory } from './tcp-engine.js';
import type { CheckSpec, CheckerSpec, RealServerSpec, VirtualServerSpec } from './types.js';
import { realKeyOf } from './virtual-server.js';
import { type SpecChanges, specChanges } from './spec-changes.js';
import { BucketHistogram, type HistogramSnapshot } from '../core/histogram.js';
import { flatString } from '../core/flat-string.js';

export interface CheckTask {
  vs: VirtualServerSpec;
  rs: RealServerSpec;
  /** The checker's index in `rs.checkers`. */
  index: number;
  /** Absent when the TCP check engine runs this checker (then `engineId` is set). */
  probe?: Probe;
  engineId?: number;
  /** What a reload compares to tell whether this checker changed (see `sameTask`). */
  checker: CheckerSpec;
  /** Where its probe durations are counted (its checker kind's histogram; JavaScript probes only). */
  durations?: BucketHistogram;
}

/** A folded result: the delay until the next probe, and the new state (absent: not folded). */
export type Fold = (task: CheckTask, result: ProbeResult) => { delayMs: number; state?: CheckState };

export interface CheckTasksOptions {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  logger: Logger;
  probes: ProbeFactory;
  /** Checks running at once in the JavaScript scheduler. */
  concurrency?: number | undefined;
  /** Runs TCP_CHECK probes outside the event loop; without it they run through `probes`. */
  tcpEngine?: TcpEngineFactory | undefined;
  /** For ha_suspend: whether the VS's address is local now. @default always */
  vipLocal?: ((vs: VirtualServerSpec) => boolean) | undefined;
  fold: Fold;
}

/**
 * Whether a reload left a task's checker as it was: the same checker spec (the task id already
 * fixes the real's address and port) under the same ha_suspend, which decides where it runs.
 */
function sameTask(old: CheckTask, c: CheckerSpec, vs: VirtualServerSpec): boolean {
  return (
    old.vs.haSuspend === vs.haSuspend &&
    (old.checker === c || JSON.stringify(old.checker) === JSON.stringify(c))
  );
}

export class CheckTasks {
  readonly #o: CheckTasksOptions;
  readonly #sched: CheckScheduler;
  readonly #tasks = new Map<string, CheckTask>();
  /** The last spec given to `update`, and the task ids of each of its virtual servers. */
  #spec: CheckSpec = { virtualServers: [], notifyFifos: [] };
  readonly #byVs = new Map<VirtualServerSpec, string[]>();
  readonly #engine: TcpCheckEngine | undefined;
  readonly #byEngineId = new Map<number, CheckTask>();
  #nextEngineId = 1;
  /** Probe durations by checker kind (the probes run here; the TCP engine reports no durations). */
  readonly #durations = new Map<string, BucketHistogram>();
  readonly #stopWatch: (() => void) | undefined;
  #stopped = false;

  constructor(o: CheckTasksOptions) {
    this.#o = o;
    const so = { clock: o.clock, timers: o.timers, logger: o.logger };
    this.#sched = new CheckScheduler(
      o.concurrency === undefined ? so : { ...so, concurrency: o.concurrency },
    );
    this.#engine = o.tcpEngine?.((id, result) => this.#onEngineResult(id, result));
    if (this.#engine) this.#stopWatch = watchEngine(this.#engine, o);
  }

  /**
   * Start, keep or replace the task of each checker in `spec`; drop the others. A virtual server
   * that is the same object as in the last spec keeps its tasks as they are, not looked at (only
   * this method drops a task, so they all still run): CheckSpecBuilder keeps the objects of
   * unchanged virtual servers, and a reload costs what it changed. `changes`: what changed since the
   * last spec given here, when the caller has found it (found again when it is from another spec).
   */
  update(spec: CheckSpec, changes?: SpecChanges): void {
    const c = changes?.from === this.#spec && changes.to === spec ? changes : specChanges(this.#spec, spec);
    this.#spec = spec;
    for (const vs of c.changed) this.#byVs.set(vs, this.#updateReals(vs));
    // a task of a virtual server that is gone was not taken by its successor (which set its `vs`)
    for (const vs of c.gone) {
      for (const id of this.#byVs.get(vs) ?? []) {
        const task = this.#tasks.get(id);
        if (task?.vs === vs) this.#drop(id, task);
      }
      this.#byVs.delete(vs);
    }
  }

  /** Keep, replace or start the task of each checker of a new or edited virtual server; its task ids. */
  #updateReals(vs: VirtualServerSpec): string[] {
    const ids: string[] = [];
    for (const rs of vs.reals) {
      rs.checkers.forEach((c, index) => {
        const id = flatString(`${realKeyOf(vs, rs)}#${index}`);
        ids.push(id);
        const old = this.#tasks.get(id);
        if (old && sameTask(old, c, vs) && (old.engineId !== undefined || this.#sched.has(id))) {
          Object.assign(old, { vs, rs, index });
          return;
        }
        if (old) this.#drop(id, old);
        this.#start(id, { vs, rs, index, checker: c });
      });
    }
    return ids;
  }

  #start(id: string, task: CheckTask): void {
    const { vs, rs, checker: c } = task;
    const first = firstProbeDelay(c.timing, this.#o.rng);
    // ha_suspend needs the VIP test before each probe, which the JavaScript scheduler does; but
    // only the engine can set SO_MARK / SO_BINDTODEVICE, so those go there anyway and their
    // results are dropped while the VIP is not local.
    const sockOpts = c.fwmark !== undefined || c.bindIf !== undefined;
    if (this.#engine && c.kind === 'tcp' && (!vs.haSuspend || sockOpts)) {
      const engineId = this.#nextEngineId++;
      task.engineId = engineId;
      this.#tasks.set(id, task);
      this.#byEngineId.set(engineId, task);
      const t = c.timing;
      this.#engine.add(engineId, probeTarget(rs, c), t.connectTimeoutMs, t.delayLoopMs, first);
      return;
    }
    task.probe = this.#o.probes(c, rs);
    let durations = this.#durations.get(c.kind);
    if (!durations) this.#durations.set(c.kind, (durations = new BucketHistogram()));
    task.durations = durations;
    this.#tasks.set(id, task);
    this.#sched.add(id, first, () => this.#runCheck(task));
  }

  #drop(id: string, task: CheckTask): void {
    this.#tasks.delete(id);
    if (task.engineId !== undefined) {
      this.#byEngineId.delete(task.engineId);
      this.#engine?.remove(task.engineId);
    } else {
      this.#sched.remove(id);
    }
  }

  #suspended(vs: VirtualServerSpec): boolean {
    return vs.haSuspend === true && this.#o.vipLocal !== undefined && !this.#o.vipLocal(vs);
  }

  async #runCheck(task: CheckTask): Promise<number> {
    const { vs, rs, index } = task;
    const checker = rs.checkers[index];
    if (!checker || !task.probe) return 60_000;
    if (this.#suspended(vs)) return checker.timing.delayLoopMs;
    const started = this.#o.clock.now();
    const result = await task.probe();
    const tookMs = this.#o.clock.now() - started;
    task.durations?.observe(tookMs / 1000);
    if (task.vs !== vs) return checker.timing.delayLoopMs; // reloaded meanwhile
    const { delayMs } = this.#o.fold(task, result);
    // the scheduler counts from the end of the run; MISC_CHECK's pace counts from its start
    return checker.timing.pacedFromStart ? Math.max(0, delayMs - tookMs) : delayMs;
  }

  /** A result reported by the TCP engine: fold it in, then tell the engine when to probe next. */
  #onEngineResult(engineId: number, result: ProbeResult): void {
    const task = this.#byEngineId.get(engineId);
    if (!task || this.#stopped) return;
    const timing = task.checker.timing;
    if (this.#suspended(task.vs)) {
      this.#engine?.resume(engineId, timing.delayLoopMs, false);
      return;
    }
    const { delayMs, state } = this.#o.fold(task, result);
    this.#engine?.resume(engineId, delayMs, state !== undefined && successIsQuiet(state, timing));
  }

  /** No more probes; resolves when the probes under way have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopWatch?.();
    this.#engine?.stop();
    await this.#sched.stop();
  }

  /** The scheduler's figures with the engine's added in. */
  stats(): SchedulerStats {
    const s = this.#sched.stats();
    return this.#engine ? withEngineStats(s, this.#engine.stats(false)) : s;
  }

  /** How long the probes run here took, by checker kind. */
  durations(): Record<string, HistogramSnapshot> {
    return Object.fromEntries([...this.#durations].map(([kind, h]) => [kind, h.snapshot()]));
  }

  /** As `stats`, and both start a new lateness window. */
  takeWindow(): SchedulerStats {
    const s = this.#sched.takeWindow();
    return this.#engine ? withEngineStats(s, this.#engine.stats(true)) : s;
  }
}
