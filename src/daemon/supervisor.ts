// SPDX-License-Identifier: Apache-2.0
/**
 * The supervisor's workers: it forks them (`lvsd run --vrrp-only` / `--check-only`), restarts a
 * crashed one with backoff and gives up on a crash loop (restart-policy.ts), forwards signals,
 * carries a reload to each worker and collects its answer, and feeds the systemd watchdog only
 * while every running worker answers a ping from its own event loop (a hung or SIGSTOPped worker
 * stops the pings, and systemd restarts the service). Workers die with it (PR_SET_PDEATHSIG, set by
 * each worker from `LVSD_SUPERVISOR_PID`). It relays VRRP state reports from the worker that sends
 * them to the others (the LVS worker drives the IPVS sync daemon with them: VRRP never touches
 * IPVS) and replays the last state of each instance to a worker that becomes ready.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../core/log.js';
import type { HandoffRecord } from '../vrrp/handoff.js';
import { monotonicClock } from './clock.js';
import { defaultRestartPolicy, restartDelay, type RestartPolicy } from './restart-policy.js';
import { sdNotify, type SdState } from './systemd.js';
import {
  afterLastMessage,
  isWorkerMessage,
  nextCrashHandoff,
  sendQuietly,
  type SupervisorMessage,
} from './worker-ipc.js';
import { forkWorker, type WorkerSpec } from './worker-specs.js';

export interface SupervisorOptions {
  workers: WorkerSpec[];
  log: Logger;
  policy?: RestartPolicy;
  notify?: (states: SdState[]) => void;
  /** How long a stopping worker gets before SIGKILL. */
  stopTimeoutMs?: number;
  /** How long a worker gets to answer a reload. @default 120000 */
  reloadTimeoutMs?: number;
  /**
   * Called when a worker exited unasked (a crash, a SIGKILL), before its restart is scheduled, with
   * the last handoff record it reported (worker-ipc.ts `crashHandoff`), if any.
   */
  onCrash?: (worker: string, handoff: HandoffRecord | undefined) => void;
  /** Called once when a worker crash-loops; the supervisor has stopped the others by then. */
  onGiveUp?: (worker: string) => void;
  /** systemd's WATCHDOG_USEC (0 = no watchdog). @default from the environment */
  watchdogUsec?: number;
}

/** A worker's answer to a reload. */
export interface WorkerReload {
  readonly worker: string;
  readonly ok: boolean;
  readonly error?: string;
  /** What the worker changed (or, in a dry run, would change). */
  readonly summary?: unknown;
}

interface WorkerSlot {
  spec: WorkerSpec;
  child: ChildProcess | undefined;
  ready: boolean;
  crashes: number;
  startedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
  restarts: number;
  /** The last ping sent and the last pong received (ids). */
  pinged: number;
  ponged: number;
  status: string | undefined;
  reloadWaiters: Array<(r: WorkerReload) => void>;
  /** A reload came while it was starting: SIGHUP it once it is ready. */
  hupWhenReady: boolean;
  /** The handoff record its successor would adopt, as it last reported it (VRRP worker). */
  crashHandoff: HandoffRecord | undefined;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  #slots: WorkerSlot[];
  #stopping = false;
  #announcedReady = false;
  #watchdog: NodeJS.Timeout | undefined;
  #pingId = 0;
  /** The last reported state of each VRRP instance (replayed to a worker when it is ready). */
  readonly #vrrpStates = new Map<string, string>();

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#slots = opts.workers.map((spec) => this.#slot(spec));
  }

  #slot(spec: WorkerSpec): WorkerSlot {
    return {
      spec,
      child: undefined,
      ready: false,
      crashes: 0,
      startedAt: 0,
      restartTimer: undefined,
      restarts: 0,
      pinged: 0,
      ponged: 0,
      status: undefined,
      reloadWaiters: [],
      hupWhenReady: false,
      crashHandoff: undefined,
    };
  }

  start(): void {
    for (const slot of this.#slots) this.#spawn(slot);
    const usec = this.#opts.watchdogUsec ?? Number(process.env['WATCHDOG_USEC'] ?? 0);
    if (usec > 0) {
      // ping at a third of the watchdog period; feed only when every running worker answered
      this.#watchdog = setInterval(() => this.#watchdogRound(), Math.max(50, usec / 3000));
      this.#watchdog.unref();
    }
  }

  #watchdogRound(): void {
    const running = this.#slots.filter((s) => s.child && s.ready);
    if (running.every((s) => s.ponged === s.pinged)) this.#notify(['WATCHDOG=1']);
    const id = ++this.#pingId;
    for (const s of running) {
      if (s.ponged !== s.pinged) continue; // still waiting for the last one
      s.pinged = id;
      this.#send(s, { type: 'ping', id });
    }
  }

  /** Per worker: is it running, has it said ready, how often was it restarted, its last status line. */
  status(): Array<{
    name: string;
    pid: number | undefined;
    ready: boolean;
    restarts: number;
    status?: string;
  }> {
    return this.#slots.map((s) => ({
      name: s.spec.name,
      pid: s.child?.pid,
      ready: s.ready,
      restarts: s.restarts,
      ...(s.status !== undefined ? { status: s.status } : {}),
    }));
  }

  /** Send a signal to every running worker (SIGUSR1/SIGUSR2 dumps). */
  signal(sig: NodeJS.Signals): void {
    for (const s of this.#slots) s.child?.kill(sig);
  }

  /**
   * SIGHUP every running worker and collect their answers. A worker waiting to be restarted reads
   * the new model when it starts, and counts as applied. A worker still starting may have read the
   * old one already (the new file is written just before this): it is signalled once it is ready
   * (before that, its SIGHUP handler may not be installed yet) and answers as any other.
   */
  async reload(): Promise<WorkerReload[]> {
    return Promise.all(
      this.#slots.map((s): Promise<WorkerReload> => {
        const child = s.child;
        if (!child)
          return Promise.resolve({
            worker: s.spec.name,
            ok: true,
            error: 'not running: applied at its start',
          });
        return new Promise<WorkerReload>((resolve) => {
          const timer = setTimeout(
            () => resolve({ worker: s.spec.name, ok: false, error: 'no answer to the reload' }),
            this.#opts.reloadTimeoutMs ?? 120_000,
          );
          s.reloadWaiters.push((r) => {
            clearTimeout(timer);
            resolve(r);
          });
          if (s.ready) child.kill('SIGHUP');
          else s.hupWhenReady = true;
        });
      }),
    );
  }

  /** The names of the workers running now. */
  names(): string[] {
    return this.#slots.map((s) => s.spec.name);
  }

  /** Start workers the configuration now needs and stop those it no longer needs. */
  async setWorkers(specs: readonly WorkerSpec[]): Promise<{ started: string[]; stopped: string[] }> {
    const want = new Set(specs.map((s) => s.name));
    const leaving = this.#slots.filter((s) => !want.has(s.spec.name));
    this.#slots = this.#slots.filter((s) => want.has(s.spec.name));
    await Promise.all(leaving.map((s) => this.#stopSlot(s)));
    const started: string[] = [];
    for (const spec of specs) {
      if (this.#slots.some((s) => s.spec.name === spec.name)) continue;
      const slot = this.#slot(spec);
      this.#slots.push(slot);
      this.#spawn(slot);
      started.push(spec.name);
    }
    return { started, stopped: leaving.map((s) => s.spec.name) };
  }

  /**
   * SIGTERM every worker (SIGQUIT with `handoff`: they leave VIPs and IPVS in place for a successor),
   * SIGKILL after the timeout; resolves when all have exited.
   */
  async stop(handoff = false): Promise<void> {
    this.#stopping = true;
    this.#notify(['STOPPING=1']);
    if (this.#watchdog) clearInterval(this.#watchdog);
    await Promise.all(this.#slots.map((s) => this.#stopSlot(s, handoff ? 'SIGQUIT' : 'SIGTERM')));
  }

  async #stopSlot(s: WorkerSlot, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (s.restartTimer) clearTimeout(s.restartTimer);
    s.restartTimer = undefined;
    const child = s.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#opts.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timer);
  }

  #notify(states: SdState[]): void {
    (this.#opts.notify ?? ((s: SdState[]) => void sdNotify(s, this.#opts.log)))(states);
  }

  #send(s: WorkerSlot, m: SupervisorMessage): void {
    try {
      if (s.child?.connected) sendQuietly(s.child, m);
    } catch {
      // the worker is exiting; its exit is handled below
    }
  }

  #spawn(slot: WorkerSlot): void {
    const log = this.#opts.log.child({ worker: slot.spec.name });
    slot.restartTimer = undefined;
    slot.ready = false;
    slot.hupWhenReady = false; // a new process reads the model file as it is now
    slot.pinged = slot.ponged = 0;
    slot.startedAt = monotonicClock.now();
    // the first start takes over the worker forked early, if any (early-worker.ts)
    const early = slot.spec.early?.take(slot.spec);
    const child = early ?? forkWorker(slot.spec);
    slot.child = child;
    log.info('worker started', { pid: child.pid, ...(early ? { forked: 'early' } : {}) });
    child.on('message', (m: unknown) => this.#onMessage(slot, m, log));
    child.once('exit', () => afterLastMessage(child, () => this.#onExit(slot, child, log)));
  }

  #onMessage(slot: WorkerSlot, m: unknown, log: Logger): void {
    if (!isWorkerMessage(m)) return;
    switch (m.type) {
      case 'ready':
        slot.ready = true;
        if (slot.hupWhenReady) {
          slot.hupWhenReady = false;
          slot.child?.kill('SIGHUP');
        }
        for (const [instance, state] of this.#vrrpStates)
          this.#send(slot, { type: 'vrrpState', instance, state });
        if (!this.#announcedReady && this.#slots.every((s) => s.ready)) {
          this.#announcedReady = true;
          log.info('all workers ready');
          this.#notify(['READY=1', `STATUS=${this.statusLine()}`]);
        }
        break;
      case 'reloaded': {
        if (m.ok) log.info('worker reloaded');
        else log.error('worker kept its old config', { error: m.error });
        const r: WorkerReload = {
          worker: slot.spec.name,
          ok: m.ok,
          ...(m.error ? { error: m.error } : {}),
          ...(m.summary !== undefined ? { summary: m.summary } : {}),
        };
        for (const w of slot.reloadWaiters.splice(0)) w(r);
        break;
      }
      case 'pong':
        if (m.id === slot.pinged) slot.ponged = m.id;
        break;
      case 'status':
        slot.status = m.text;
        if (this.#announcedReady) this.#notify([`STATUS=${this.statusLine()}`]);
        break;
      case 'crashHandoff':
        slot.crashHandoff = nextCrashHandoff(slot.crashHandoff, m);
        break;
      case 'vrrpState':
        this.#vrrpStates.set(m.instance, m.state);
        for (const s of this.#slots) if (s !== slot && s.ready) this.#send(s, m);
        break;
    }
  }

  /** systemd's STATUS= line: each worker's own summary. */
  statusLine(): string {
    return this.#slots
      .map((s) => s.status ?? `${s.spec.name} ${s.child ? 'running' : 'restarting'}`)
      .join('; ');
  }

  #onExit(slot: WorkerSlot, child: ChildProcess, log: Logger): void {
    if (slot.child !== child) return;
    const { exitCode: code, signalCode: signal } = child;
    slot.child = undefined;
    slot.ready = false;
    for (const w of slot.reloadWaiters.splice(0))
      w({ worker: slot.spec.name, ok: false, error: 'the worker exited' });
    const handoff = slot.crashHandoff;
    slot.crashHandoff = undefined;
    if (this.#stopping || !this.#slots.includes(slot)) return;
    const { delayMs, crashes, giveUp } = restartDelay(
      { crashes: slot.crashes, startedAt: slot.startedAt },
      monotonicClock.now(),
      this.#opts.policy ?? defaultRestartPolicy,
    );
    slot.crashes = crashes;
    if (giveUp) {
      log.error('worker keeps crashing: giving up', { code, signal, crashes });
      this.#opts.onGiveUp?.(slot.spec.name);
      return;
    }
    // before the restart: the successor reads it at its start
    this.#opts.onCrash?.(slot.spec.name, handoff);
    slot.restarts++;
    log.error('worker exited; restarting', {
      code,
      signal,
      delayMs,
      // keepalived asks the same: a realtime worker past its RLIMIT_RTTIME gets SIGKILL
      ...(signal === 'SIGKILL'
        ? { hint: `killed: out of memory, by hand, or past ${rttimeKeyword(slot.spec.name)}?` }
        : {}),
    });
    this.#notify([`STATUS=${this.statusLine()}`]);
    slot.restartTimer = setTimeout(() => this.#spawn(slot), delayMs);
  }
}

/** The keyword whose limit kills a realtime worker that runs too long without blocking. */
function rttimeKeyword(worker: string): string {
  return worker === 'vrrp' ? 'vrrp_rlimit_rttime' : 'checker_rlimit_rttime';
}
