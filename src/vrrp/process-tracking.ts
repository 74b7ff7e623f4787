// SPDX-License-Identifier: Apache-2.0
/**
 * vrrp_track_process counting: which running processes match each tracked process, how many there
 * are, and whether that number is within `quorum`..`quorum_max`, with `fork_delay` /
 * `terminate_delay`. Pure: it is fed a scan of /proc and the kernel's process events (fork, exec,
 * comm change, exit) with the time, and returns the quorum changes and its next deadline; the
 * shell (process-trackers.io.ts) owns the socket, the scan and the timer.
 *
 * keepalived's rules (keepalived/core/track_process.c), as observed:
 * - a process matches on its name (comm, at most 15 bytes), or with `full_command` (implied by
 *   parameters or `param_match`) on argv[0]; parameters match exactly, or only the first ones
 *   (`partial`), or the last one as a prefix (`initial`);
 * - a forked child of a counted process counts at once (it is the same program until it execs);
 *   an exec or a name change is checked again; an exit uncounts;
 * - when a change moves the count across a quorum bound, the status changes at once, except that a
 *   crossing caused by a fork waits `fork_delay` and one caused by an exit waits
 *   `terminate_delay` (a crossing back before then cancels the wait: a reload that forks or
 *   restarts the process does not bounce the instance). An exec or name change never waits.
 * - the status after a wait is the one the count gives then.
 * Where lvsd differs: a process is counted at most once per tracked process (keepalived 2.2.7
 * counts a counted process that execs a matching program again twice), and a rescan after lost
 * events keeps a wait that is still due (keepalived drops it).
 */

export type ParamMatch = 'exact' | 'partial' | 'initial';

export interface ProcessMatchSpec {
  /** The vrrp_track_process name. */
  readonly name: string;
  /** comm, or argv[0] with fullCommand. */
  readonly process: string;
  readonly fullCommand: boolean;
  /** Parameters are checked only with a paramMatch. */
  readonly params: readonly string[];
  readonly paramMatch?: ParamMatch;
  /** OK while quorum <= count <= quorumMax. */
  readonly quorum: number;
  readonly quorumMax: number;
  readonly forkDelayMs: number;
  readonly terminateDelayMs: number;
}

/** A process as the scan or an exec found it. */
export interface ProcessInfo {
  readonly pid: number;
  readonly comm: string;
  /** argv from /proc/PID/cmdline; only read when some spec needs it. */
  readonly argv: readonly string[];
}

export type ProcessEvent =
  | { readonly type: 'fork'; readonly parent: number; readonly child: number }
  /** `info` is absent when the process was gone before it could be read (its exit follows). */
  | { readonly type: 'exec'; readonly pid: number; readonly info?: ProcessInfo }
  | { readonly type: 'comm'; readonly pid: number; readonly comm: string }
  | { readonly type: 'exit'; readonly pid: number };

export interface QuorumChange {
  readonly name: string;
  readonly up: boolean;
}

export interface ProcessTrackerStatus {
  readonly name: string;
  readonly count: number;
  readonly up: boolean;
  /** A fork or terminate delay running, with its deadline. */
  readonly waiting?: { readonly kind: 'fork' | 'terminate'; readonly at: number };
}

/** What the runner (process-trackers.io.ts) reports in the VRRP stats dump. */
export interface ProcessTrackerCounters {
  /** `events`: the proc connector; `poll`: rescanning /proc every second (no process events). */
  readonly mode: 'events' | 'poll';
  readonly events: number;
  readonly rescans: number;
  readonly overflows: number;
  /** The connector's socket was opened from the initial network namespace (lvsd runs in another). */
  readonly viaInitialNetns: boolean;
  readonly trackers: readonly ProcessTrackerStatus[];
}

function paramsMatch(how: ParamMatch, want: readonly string[], got: readonly string[]): boolean {
  if (how === 'exact') return got.length === want.length && want.every((w, i) => got[i] === w);
  if (got.length < want.length) return false;
  const last = want.length - 1;
  if (how === 'partial') return want.every((w, i) => got[i] === w);
  return want.every((w, i) => (i < last ? got[i] === w : (got[i] ?? '').startsWith(w)));
}

/** Whether a process is one that `spec` counts. */
export function matchesProcess(spec: ProcessMatchSpec, p: Pick<ProcessInfo, 'comm' | 'argv'>): boolean {
  if (!spec.fullCommand) return p.comm === spec.process;
  if ((p.argv[0] ?? '') !== spec.process) return false;
  return spec.paramMatch === undefined || paramsMatch(spec.paramMatch, spec.params, p.argv.slice(1));
}

interface Counter {
  readonly spec: ProcessMatchSpec;
  count: number;
  up: boolean;
  timer?: { kind: 'fork' | 'terminate'; at: number };
}

/** How a count changed, which decides whether a quorum crossing waits (see the module comment). */
type Cause = 'fork' | 'exit' | 'match' | 'unmatch';

export class ProcessQuorum {
  readonly #counters: Map<string, Counter>;
  /** The tracked processes each counted pid is counted for. */
  readonly #pids = new Map<number, Set<string>>();
  #changes: QuorumChange[] = [];
  #now = 0;

  constructor(specs: readonly ProcessMatchSpec[]) {
    this.#counters = new Map(specs.map((spec) => [spec.name, { spec, count: 0, up: false }]));
  }

  /**
   * A full scan of the running processes. The first one (`initial`) sets every status at once and
   * reports them all; a later one (after lost events) moves a status that is wrong, waiting the
   * fork or terminate delay as a fork or an exit would.
   */
  scan(procs: readonly ProcessInfo[], now: number, initial: boolean): QuorumChange[] {
    this.#now = now;
    this.#pids.clear();
    for (const c of this.#counters.values()) c.count = 0;
    for (const p of procs) {
      for (const c of this.#counters.values()) {
        if (!matchesProcess(c.spec, p)) continue;
        this.#counted(p.pid).add(c.spec.name);
        c.count++;
      }
    }
    for (const c of this.#counters.values()) {
      const ok = this.#inRange(c);
      if (initial) {
        c.up = ok;
        delete c.timer;
        this.#changes.push({ name: c.spec.name, up: ok });
      } else if (ok === c.up) delete c.timer;
      else {
        const delay = ok ? c.spec.forkDelayMs : c.spec.terminateDelayMs;
        if (delay > 0) c.timer ??= { kind: ok ? 'fork' : 'terminate', at: now + delay };
        else this.#settle(c);
      }
    }
    return this.#take();
  }

  /** One process event. */
  apply(ev: ProcessEvent, now: number): QuorumChange[] {
    this.#now = now;
    switch (ev.type) {
      case 'fork': {
        const parent = this.#pids.get(ev.parent);
        // config order, as every report: changes come out in a stable order
        if (parent)
          for (const name of this.#counters.keys()) if (parent.has(name)) this.#add(ev.child, name, 'fork');
        break;
      }
      case 'exec':
        if (!ev.info) break;
        for (const c of this.#counters.values()) {
          if (matchesProcess(c.spec, ev.info)) this.#add(ev.pid, c.spec.name, 'match');
          else this.#remove(ev.pid, c.spec.name, 'unmatch');
        }
        break;
      case 'comm':
        // the command line does not change with the name: only name trackers look again
        for (const c of this.#counters.values()) {
          if (c.spec.fullCommand) continue;
          if (c.spec.process === ev.comm) this.#add(ev.pid, c.spec.name, 'match');
          else this.#remove(ev.pid, c.spec.name, 'unmatch');
        }
        break;
      case 'exit':
        if (this.#pids.has(ev.pid))
          for (const name of this.#counters.keys()) this.#remove(ev.pid, name, 'exit');
        break;
    }
    return this.#take();
  }

  /** Fire the delays due at `now`. */
  expire(now: number): QuorumChange[] {
    this.#now = now;
    for (const c of this.#counters.values()) {
      if (c.timer && c.timer.at <= now) {
        delete c.timer;
        this.#settle(c);
      }
    }
    return this.#take();
  }

  /** The earliest delay deadline, if any. */
  nextDeadline(): number | undefined {
    let at: number | undefined;
    for (const c of this.#counters.values())
      if (c.timer && (at === undefined || c.timer.at < at)) at = c.timer.at;
    return at;
  }

  status(): ProcessTrackerStatus[] {
    return [...this.#counters.values()].map((c) => ({
      name: c.spec.name,
      count: c.count,
      up: c.up,
      ...(c.timer ? { waiting: { ...c.timer } } : {}),
    }));
  }

  #counted(pid: number): Set<string> {
    let s = this.#pids.get(pid);
    if (!s) this.#pids.set(pid, (s = new Set()));
    return s;
  }

  #inRange(c: Counter): boolean {
    return c.count >= c.spec.quorum && c.count <= c.spec.quorumMax;
  }

  #add(pid: number, name: string, cause: Cause): void {
    const c = this.#counters.get(name);
    const names = this.#counted(pid);
    if (!c || names.has(name)) return;
    names.add(name);
    const before = this.#inRange(c);
    c.count++;
    if (this.#inRange(c) !== before) this.#crossed(c, cause);
  }

  #remove(pid: number, name: string, cause: Cause): void {
    const c = this.#counters.get(name);
    const names = this.#pids.get(pid);
    if (!c || !names?.delete(name)) return;
    if (names.size === 0) this.#pids.delete(pid);
    const before = this.#inRange(c);
    c.count--;
    if (this.#inRange(c) !== before) this.#crossed(c, cause);
  }

  /** The count just crossed a quorum bound. */
  #crossed(c: Counter, cause: Cause): void {
    const own = cause === 'fork' ? 'fork' : 'terminate';
    const other = cause === 'fork' ? 'terminate' : 'fork';
    if (cause === 'fork' || cause === 'exit') {
      const delay = cause === 'fork' ? c.spec.forkDelayMs : c.spec.terminateDelayMs;
      if (c.timer?.kind === other)
        delete c.timer; // crossing back within the other delay: no change
      else if (delay > 0) {
        c.timer = { kind: own, at: this.#now + delay };
        return;
      }
    } else if (c.timer?.kind === (cause === 'match' ? 'terminate' : 'fork')) delete c.timer;
    this.#settle(c);
  }

  #settle(c: Counter): void {
    const ok = this.#inRange(c);
    if (ok === c.up) return;
    c.up = ok;
    this.#changes.push({ name: c.spec.name, up: ok });
  }

  #take(): QuorumChange[] {
    const out = this.#changes;
    this.#changes = [];
    return out;
  }
}
