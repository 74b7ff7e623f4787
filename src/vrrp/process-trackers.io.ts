// SPDX-License-Identifier: Apache-2.0
/**
 * The vrrp_track_process runner: the kernel's process events (proc connector) feed the pure
 * counter (process-tracking.ts) and each quorum change goes to the instances as a tracker input.
 * Event-driven, as keepalived: one scan of /proc at start (after subscribing, so nothing falls in
 * between: the counter is idempotent), then only events; a rescan after the socket's buffer
 * overflowed (events lost; the buffer is doubled, as keepalived does). When the kernel offers no
 * process events (no CONFIG_PROC_EVENTS, no listen permission in a container, no answer to the
 * listen request within a second), lvsd warns and rescans /proc every second instead: tracking
 * degrades to polling rather than stopping.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../core/log.js';
import type { Model, TrackProcess } from '../config/model.js';
import { argvOf, type ProcRecord } from '../net/proc-records.js';
import { openProcConnector, scanProcesses, type ProcConnector } from '../net/proc-connector.io.js';
import {
  ProcessQuorum,
  type ProcessEvent,
  type ProcessInfo,
  type ProcessMatchSpec,
  type ProcessTrackerCounters,
  type QuorumChange,
} from './process-tracking.js';

/** Rescan period when the kernel gives no process events. */
export const PROCESS_POLL_MS = 1000;
/** The kernel answers a listen request at once; no answer by then = no process events. */
export const PROCESS_ACK_MS = 1000;
/** After lost events, a short pause lets a burst of forks or exits pass before the rescan. */
export const PROCESS_RESCAN_MS = 250;

export interface ProcessTrackerDeps {
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
  readonly clearTimer: (t: unknown) => void;
  readonly open: typeof openProcConnector;
  readonly scan: typeof scanProcesses;
}

const realDeps: ProcessTrackerDeps = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
  open: openProcConnector,
  scan: scanProcesses,
};

export interface ProcessTrackerRunner {
  readonly counters: ProcessTrackerCounters;
  stop(): void;
}

function matchSpec(p: TrackProcess): ProcessMatchSpec {
  return {
    name: p.name,
    process: p.process,
    fullCommand: p.fullCommand,
    params: p.params,
    ...(p.paramMatch ? { paramMatch: p.paramMatch } : {}),
    quorum: p.quorum,
    quorumMax: p.quorumMax ?? Number.POSITIVE_INFINITY,
    forkDelayMs: p.forkDelayMs,
    terminateDelayMs: p.terminateDelayMs,
  };
}

/**
 * Command-line bytes to read so that matching is exact: the longest name plus parameters (each
 * with its NUL) and two more bytes, so a longer command line always differs from every spec.
 */
function cmdlineBytes(specs: readonly ProcessMatchSpec[]): number {
  let max = 0;
  for (const s of specs) {
    if (!s.fullCommand) continue;
    const words = [s.process, ...(s.paramMatch ? s.params : [])];
    max = Math.max(max, words.reduce((n, w) => n + Buffer.byteLength(w) + 1, 0) + 2);
  }
  return Math.min(max, 65535);
}

function infoOf(pid: number, comm: string, cmdline: Buffer): ProcessInfo {
  return { pid, comm, argv: argvOf(cmdline) };
}

function eventOf(r: ProcRecord): ProcessEvent | undefined {
  switch (r.kind) {
    case 'fork':
      return { type: 'fork', parent: r.parent, child: r.pid };
    case 'exec':
      return r.info
        ? { type: 'exec', pid: r.pid, info: infoOf(r.pid, r.info.comm, r.info.cmdline) }
        : { type: 'exec', pid: r.pid };
    case 'comm':
      return { type: 'comm', pid: r.pid, comm: r.comm };
    case 'exit':
      return { type: 'exit', pid: r.pid };
    default:
      return undefined;
  }
}

/** Start tracking the vrrp_track_processes some instance uses; undefined when none is. */
export function startProcessTrackers(
  model: Model,
  used: (name: string) => boolean,
  emit: (change: QuorumChange) => void,
  log: Logger,
  deps: ProcessTrackerDeps = realDeps,
): ProcessTrackerRunner | undefined {
  const specs = model.trackProcesses.filter((p) => used(p.name)).map(matchSpec);
  if (specs.length === 0) return undefined;
  const run = new ProcessTrackerRun(specs, emit, log, deps);
  run.start(model.global.processMonitorRcvBufs);
  return run;
}

type TimerName = 'deadline' | 'rescan' | 'poll' | 'ack';

class ProcessTrackerRun implements ProcessTrackerRunner {
  readonly #quorum: ProcessQuorum;
  readonly #cmdlineMax: number;
  readonly #emit: (change: QuorumChange) => void;
  readonly #log: Logger;
  readonly #deps: ProcessTrackerDeps;
  readonly #timers = new Map<TimerName, unknown>();
  #mode: ProcessTrackerCounters['mode'] = 'events';
  #conn: ProcConnector | undefined;
  #force = false;
  #stopped = false;
  #acked = false;
  #events = 0;
  #rescans = 0;

  constructor(
    specs: readonly ProcessMatchSpec[],
    emit: (change: QuorumChange) => void,
    log: Logger,
    deps: ProcessTrackerDeps,
  ) {
    this.#quorum = new ProcessQuorum(specs);
    this.#cmdlineMax = cmdlineBytes(specs);
    this.#emit = emit;
    this.#log = log;
    this.#deps = deps;
  }

  /** Subscribe, then scan (so no change falls between the two), and report the scan at once. */
  start(rcv: { bytes?: number; force: boolean } | undefined): void {
    this.#force = rcv?.force ?? false;
    try {
      this.#conn = this.#deps.open({
        cmdlineMax: this.#cmdlineMax,
        onRecords: (r) => this.#onRecords(r),
        rcvBufBytes: rcv?.bytes ?? 0,
        force: this.#force,
      });
      if (this.#conn.stats().viaInitialNetns)
        this.#log.info('process events: listening from the initial network namespace (lvsd runs in another)');
      this.#timer('ack', PROCESS_ACK_MS, () => {
        if (!this.#acked) this.#degrade('no answer to the listen request');
      });
    } catch (e) {
      this.#degrade((e as Error).message);
    }
    this.#publish(this.#scan(true), true);
  }

  get counters(): ProcessTrackerCounters {
    const s = this.#conn?.stats();
    return {
      mode: this.#mode,
      events: this.#events,
      rescans: this.#rescans,
      overflows: s?.overflows ?? 0,
      viaInitialNetns: s?.viaInitialNetns ?? false,
      trackers: this.#quorum.status(),
    };
  }

  stop(): void {
    this.#stopped = true;
    this.#conn?.close();
    for (const t of this.#timers.values()) this.#deps.clearTimer(t);
    this.#timers.clear();
  }

  #timer(name: TimerName, ms: number, fn: () => void): void {
    const old = this.#timers.get(name);
    if (old !== undefined) this.#deps.clearTimer(old);
    this.#timers.set(
      name,
      this.#deps.setTimer(() => {
        this.#timers.delete(name);
        if (!this.#stopped) fn();
      }, ms),
    );
  }

  #publish(changes: readonly QuorumChange[], initial = false): void {
    for (const c of changes) {
      const fields = { trackProcess: c.name };
      if (initial) {
        const count = this.#quorum.status().find((t) => t.name === c.name)?.count ?? 0;
        this.#log.info(
          `tracked process ${c.name}: ${count} running, quorum ${c.up ? 'met' : 'not met'}`,
          fields,
        );
      } else this.#log.info(`Quorum ${c.up ? 'gained' : 'lost'} for tracked process ${c.name}`, fields);
      this.#emit(c);
    }
    const at = this.#quorum.nextDeadline();
    if (at === undefined || this.#stopped) {
      const t = this.#timers.get('deadline');
      if (t !== undefined) this.#deps.clearTimer(t);
      this.#timers.delete('deadline');
      return;
    }
    this.#timer('deadline', at - this.#deps.now(), () =>
      this.#publish(this.#quorum.expire(this.#deps.now())),
    );
  }

  /** The running processes; a failed scan (no /proc?) is logged and changes nothing. */
  #scan(initial: boolean): QuorumChange[] {
    let records: ProcRecord[];
    try {
      records = this.#deps.scan(this.#cmdlineMax);
    } catch (e) {
      this.#log.error('cannot scan /proc for vrrp_track_process', { error: (e as Error).message });
      return [];
    }
    const procs = records.flatMap((r) => (r.kind === 'scan' ? [infoOf(r.pid, r.comm, r.cmdline)] : []));
    if (!initial) this.#rescans++;
    return this.#quorum.scan(procs, this.#deps.now(), initial);
  }

  /** No events to be had: rescan /proc every second (logged once). */
  #degrade(why: string): void {
    if (this.#mode === 'poll' || this.#stopped) return;
    this.#mode = 'poll';
    this.#conn?.close();
    this.#log.warn('no process events from the kernel: vrrp_track_process rescans /proc every second', {
      error: why,
    });
    const tick = () => {
      this.#publish(this.#scan(false));
      this.#timer('poll', PROCESS_POLL_MS, tick);
    };
    this.#timer('poll', PROCESS_POLL_MS, tick);
  }

  /** Events were lost: a larger buffer (as keepalived), and a rescan once the burst has passed. */
  #overflowed(conn: ProcConnector): void {
    const size = conn.stats().rcvBufBytes;
    this.#log.warn('process events were lost (socket buffer full): rescanning /proc', { rcvBufBytes: size });
    try {
      if (size > 0 && size < 1 << 30) conn.setRcvBuf(size * 2, this.#force);
    } catch (e) {
      this.#log.warn('cannot enlarge the process-event buffer', { error: (e as Error).message });
    }
    if (!this.#timers.has('rescan'))
      this.#timer('rescan', PROCESS_RESCAN_MS, () => this.#publish(this.#scan(false)));
  }

  #onRecords(records: readonly ProcRecord[]): void {
    if (this.#stopped || this.#mode === 'poll') return;
    const changes: QuorumChange[] = [];
    let overflowed = false;
    for (const r of records) {
      if (r.kind === 'ack') {
        this.#acked = true;
        if (r.error !== 0) this.#degrade(`the kernel refused the listen request (error ${r.error})`);
      } else if (r.kind === 'overflow') overflowed = true;
      else {
        const ev = eventOf(r);
        if (ev) {
          this.#events++;
          changes.push(...this.#quorum.apply(ev, this.#deps.now()));
        }
      }
    }
    if (overflowed && this.#conn && this.#mode === 'events') this.#overflowed(this.#conn);
    this.#publish(changes);
  }
}
