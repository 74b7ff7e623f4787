// SPDX-License-Identifier: Apache-2.0
/**
 * The check scheduler: many repeating tasks (one per checker), each run when due, at most
 * `concurrency` at once, driven by one timer armed for the earliest deadline (a binary heap, so
 * 10,000 checkers at 1 s cost O(log n) per run). A task returns the delay until its next run
 * (counted from its completion, as keepalived does). The scheduler measures its own lateness
 * (start − due) and warns, rate-limited, when it cannot keep up: never silently late.
 * Clock, timers and logger are injected, so tests drive it with the fake clock.
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';

/** The warning given when checks start late (the scheduler's, and the TCP engine's in the manager). */
export const lateWarningText = 'health checks are running late: the checker cannot keep up';

/** At most one such warning per this period, by default. */
export const lateWarnEveryMs = 10_000;

/** A repeating task: does its work and returns the delay in ms until it should run again. */
export type TaskRun = () => Promise<number>;

interface Entry {
  id: string;
  due: number;
  seq: number;
  run: TaskRun;
  /** Removed while queued or running; dropped instead of rescheduled. */
  dead: boolean;
}

export interface SchedulerOptions {
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Tasks running at once. @default 2048 */
  concurrency?: number;
  /** A run starting this late counts as late and is warned about. @default 250 */
  lateThresholdMs?: number;
  /** At most one lateness warning per this period. @default 10000 */
  warnEveryMs?: number;
}

export interface SchedulerStats {
  tasks: number;
  inFlight: number;
  /** Due but waiting for a slot. */
  waiting: number;
  runs: number;
  lateRuns: number;
  /** Runs started since the last `takeWindow()`. */
  windowRuns: number;
  /** Largest lateness seen since the last `takeWindow()` (ms). */
  maxLatenessMs: number;
  /** Mean lateness since the last `takeWindow()` (ms). */
  meanLatenessMs: number;
}

export class CheckScheduler {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #lateMs: number;
  readonly #warnEveryMs: number;
  #heap: Entry[] = [];
  #byId = new Map<string, Entry>();
  #seq = 0;
  #inFlight = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #stopped = false;
  #runs = 0;
  #lateRuns = 0;
  #winMax = 0;
  #winSum = 0;
  #winCount = 0;
  #lastWarn = -Infinity;
  #lateSinceWarn = 0;
  #idle: Array<() => void> = [];

  constructor(opts: SchedulerOptions) {
    this.#clock = opts.clock;
    this.#timers = opts.timers;
    this.#log = opts.logger;
    this.#concurrency = opts.concurrency ?? 2048;
    this.#lateMs = opts.lateThresholdMs ?? 250;
    this.#warnEveryMs = opts.warnEveryMs ?? lateWarnEveryMs;
  }

  /** Add (or replace) a task whose first run is `firstDelayMs` from now. */
  add(id: string, firstDelayMs: number, run: TaskRun): void {
    this.remove(id);
    const e: Entry = { id, due: this.#clock.now() + firstDelayMs, seq: this.#seq++, run, dead: false };
    this.#byId.set(id, e);
    this.#push(e);
    this.#arm();
  }

  remove(id: string): void {
    const e = this.#byId.get(id);
    if (!e) return;
    e.dead = true;
    this.#byId.delete(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Stop scheduling; running tasks finish, nothing new starts. Resolves when none is running. */
  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stats(): SchedulerStats {
    const now = this.#clock.now();
    let waiting = 0;
    for (const e of this.#heap) if (!e.dead && e.due <= now) waiting++;
    return {
      tasks: this.#byId.size,
      inFlight: this.#inFlight,
      waiting,
      runs: this.#runs,
      lateRuns: this.#lateRuns,
      windowRuns: this.#winCount,
      maxLatenessMs: this.#winMax,
      meanLatenessMs: this.#winCount ? this.#winSum / this.#winCount : 0,
    };
  }

  /** Stats, then start a new lateness window (for periodic metrics). */
  takeWindow(): SchedulerStats {
    const s = this.stats();
    this.#winMax = 0;
    this.#winSum = 0;
    this.#winCount = 0;
    return s;
  }

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Entry | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  #arm(): void {
    if (this.#stopped) return;
    while (this.#heap[0]?.dead) this.#pop();
    const top = this.#heap[0];
    if (!top || this.#inFlight >= this.#concurrency) return;
    if (this.#timer && this.#timerAt <= top.due) return;
    if (this.#timer) this.#timers.clearTimeout(this.#timer);
    this.#timerAt = top.due;
    this.#timer = this.#timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.#pump();
      },
      Math.max(0, top.due - this.#clock.now()),
    );
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    while (this.#inFlight < this.#concurrency) {
      const top = this.#heap[0];
      if (!top) break;
      if (top.dead) {
        this.#pop();
        continue;
      }
      if (top.due > now) break;
      this.#pop();
      this.#start(top, now);
    }
    this.#arm();
  }

  #start(e: Entry, now: number): void {
    const late = now - e.due;
    this.#runs++;
    this.#winCount++;
    this.#winSum += late;
    if (late > this.#winMax) this.#winMax = late;
    if (late > this.#lateMs) {
      this.#lateRuns++;
      this.#lateSinceWarn++;
      if (now - this.#lastWarn >= this.#warnEveryMs) {
        this.#log.warn(lateWarningText, {
          latenessMs: Math.round(late),
          lateRuns: this.#lateSinceWarn,
          inFlight: this.#inFlight,
          concurrency: this.#concurrency,
          tasks: this.#byId.size,
        });
        this.#lastWarn = now;
        this.#lateSinceWarn = 0;
      }
    }
    this.#inFlight++;
    const finish = (delay: number): void => {
      this.#inFlight--;
      if (!e.dead && !this.#stopped) {
        e.due = this.#clock.now() + delay;
        e.seq = this.#seq++;
        this.#push(e);
      }
      if (this.#stopped && this.#inFlight === 0) for (const f of this.#idle.splice(0)) f();
      this.#pump();
    };
    e.run().then(finish, (err: unknown) => {
      this.#log.error('check task failed', { task: e.id, error: String(err) });
      finish(1000);
    });
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
