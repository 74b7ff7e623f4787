// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS sync loop: the desired table → reconcile → the kernel, in rounds, for a daemon whose
 * desired table keeps changing (the LVS manager). Pure of node I/O: the `IpvsKernel` port, the
 * clock, the timers and the logger are injected.
 *
 * - Changes are marked by scope (a group of services that change together; the manager's virtual
 *   server). `touch` batches them: a round starts at the next turn of the event loop after the
 *   first change (every change of that turn goes into it; those that come while a round runs go
 *   into the next, which starts as it ends), and at most one per `minSyncIntervalMs` when that is
 *   set. A partial round reconciles only the services of the changed scopes against the table kept
 *   since the last read of the kernel (`AppliedTable`), so its cost follows the change, not the
 *   table: a real's verdict reaches the kernel as soon as keepalived's, which updates it at once.
 * - A full round reconciles every owned service (start, retry, stop); a reload reconciles the
 *   services it changed. The whole kernel is read first only when the kept table is missing
 *   (start, after a failure, after drift was found).
 * - Drift (the kernel changed behind lvsd's back: `ipvsadm` by hand, another program) is looked
 *   for in lvsd's own services a slice at a time, between rounds, so no step costs more than a
 *   slice however large the table: every `driftStepMs`, one step — the first of a walk reads the
 *   services alone and compares them with the kept table, each next one the destinations of the
 *   next slice of services — sized so that a walk covers them in about `resyncMs`, stretched when
 *   a step costs more than 1/20 of `driftStepMs`. Drift found is logged and repaired by a full
 *   round that reads the kernel again.
 * - `sync` and `update` wait for a round that *starts after* the call, never for the loop to go
 *   idle (under a stream of check results it may never go idle); concurrent callers share rounds.
 * - A batch that stops part way is logged with exactly what was applied; the kernel is read again
 *   and the plan made again once. When that fails too, the round is reported failed and logged,
 *   and a full round is tried again after `retryMs`.
 * Every round is returned to its waiters as a `SyncRound` (each plan, what was applied, the error).
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { AppliedTable } from './applied-table.js';
import type { IpvsTable, ServiceKey } from './model.js';
import { serviceId } from './model.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from './ops.js';
import { reconcile } from './reconcile.js';
import type { SyncAttempt } from './sync.js';
import { attemptSync, formatCounts, partialError } from './sync.js';

/** A drift step reads the destinations of at least this many services (a walk of a small table is quick). */
const minDriftSlice = 64;

/** A drift step may take at most 1/20 of the time to the next: the check costs the loop ≤ 5 %. */
const driftCostFactor = 20;

/** Where the loop gets the table it wants. */
export interface DesiredSource<Scope> {
  /** Every entry wanted now (full rounds). */
  table(): IpvsTable;
  /** The entries of these scopes (a partial round reconciles exactly the services they name). */
  entries(scopes: ReadonlySet<Scope>): IpvsTable;
}

export interface SyncLoopOptions<Scope> {
  kernel: IpvsKernel;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  desired: DesiredSource<Scope>;
  /**
   * Changes marked with `touch` are batched into at most one round per this period. @default 0 (a
   * 100 ms default held a verdict back by up to 100 ms when it followed another's round)
   */
  minSyncIntervalMs?: number;
  /** A drift walk covers the whole kernel table in about this long. @default 30000 */
  resyncMs?: number;
  /** One drift step (a slice of the table) this often, between rounds. @default 1000 */
  driftStepMs?: number;
  /** After a failed round, a full round this much later. @default 1000 */
  retryMs?: number;
}

/** What a partial round reconciles: the services of the changed scopes, and the retired ones. */
interface PartialScopes<Scope> {
  changed: ReadonlySet<Scope>;
  retired: ReadonlySet<string>;
}

/** One round of the loop and how it ended. */
export interface SyncRound {
  /** The first plan covered every owned service (else only the changed scopes' services). */
  full: boolean;
  /** Each plan and what the kernel did with it; a second follows a first that failed. */
  attempts: SyncAttempt[];
  /** Set when the round failed: the kernel may hold part of a plan (see `attempts`) or was not read. */
  error?: Error;
  /** How long the round took (ms). */
  ms: number;
}

export interface SyncLoopStats {
  /** Rounds that ended with the kernel as desired. */
  syncs: number;
  /** Rounds that failed (each is retried). */
  syncErrors: number;
  /** Kernel operations by op (`addDest`, ...): those the kernel applied and those it refused. */
  ops: Record<string, { ok: number; error: number }>;
  /** Drift steps that found the kernel changed behind lvsd's back (each repaired by a full round). */
  driftFound: number;
}

export class IpvsSyncLoop<Scope> {
  readonly #o: SyncLoopOptions<Scope>;
  readonly #log: Logger;
  /** Service ids lvsd may change or delete: every service it wanted, until a reload disowns it. */
  readonly #owned = new Set<string>();
  #running: Promise<void> | undefined;
  /** Callers waiting for a round that starts after they asked; all are served by the next round. */
  #waiters: Array<(round: SyncRound) => void> = [];
  /** A full round is due. */
  #fullDirty = false;
  /** Scopes changed since the last round. */
  readonly #dirty = new Set<Scope>();
  /** Services no longer wanted by any scope since the last round (a reload dropped their scope). */
  readonly #retired = new Set<string>();
  #retryTimer: TimerHandle | undefined;
  #batchTimer: TimerHandle | undefined;
  #lastRoundAt = -Infinity;
  /** What the kernel holds, as last read and changed since (undefined: read it). */
  #table: AppliedTable | undefined;
  #driftTimer: TimerHandle | undefined;
  /** A drift step is due (run between rounds). */
  #driftDue = false;
  /** The services this drift walk has still to look at (empty: the next step starts a walk). */
  #driftQueue: ServiceKey[] = [];
  /** How long the last drift step took (ms): the next waits at least 20 times as long. */
  #driftCostMs = 0;
  #driftFound = 0;
  /** No batching or retry timers any more. */
  #stopped = false;
  /** Full rounds want an empty table: lvsd's services leave the kernel. */
  #removing = false;
  #syncs = 0;
  #syncErrors = 0;
  readonly #ops: Record<string, { ok: number; error: number }> = {};

  constructor(opts: SyncLoopOptions<Scope>) {
    this.#o = opts;
    this.#log = opts.logger;
  }

  /** Services lvsd may change or delete from now on (they stay owned until `disown`). */
  own(serviceIds: Iterable<string>): void {
    for (const id of serviceIds) this.#owned.add(id);
  }

  /**
   * Services that are lvsd's no more: a reload removed them and the kernel has let them go. A
   * service with the same address added later by someone else is theirs (no drift, never deleted).
   */
  disown(serviceIds: Iterable<string>): void {
    for (const id of serviceIds) this.#owned.delete(id);
  }

  /** A scope changed: reconcile it in a round soon, batched with other changes. */
  touch(scope: Scope): void {
    if (this.#stopped) return;
    this.#dirty.add(scope);
    if (this.#batchTimer) return;
    const wait = Math.max(0, this.#lastRoundAt + (this.#o.minSyncIntervalMs ?? 0) - this.#o.clock.now());
    this.#batchTimer = this.#o.timers.setTimeout(() => {
      this.#batchTimer = undefined;
      this.#kick();
    }, wait);
  }

  /** A scope changed and the caller waits: a round now; resolves when a round that started after the call ends. */
  update(scope: Scope): Promise<SyncRound> {
    this.#dirty.add(scope);
    return this.#nextRound();
  }

  /**
   * A reload changed these scopes (new or edited) and retired these services (their scope is gone):
   * a round now that reconciles just those (and whatever else changed meanwhile) against the kept
   * table; resolves when a round that started after the call ends. Never rejects.
   */
  reload(changed: Iterable<Scope>, retired: Iterable<string>): Promise<SyncRound> {
    for (const scope of changed) this.#dirty.add(scope);
    for (const id of retired) this.#retired.add(id);
    return this.#nextRound();
  }

  /** Bring every owned service to the desired table; resolves when a full round that started after the call ends. Never rejects. */
  sync(): Promise<SyncRound> {
    this.#fullDirty = true;
    return this.#nextRound();
  }

  /**
   * No more batching or retries. `removeOwned`: a last full round removes lvsd's services from the
   * kernel (as keepalived does on exit), and its report is returned; else the round under way ends.
   */
  async stop(opts: { removeOwned: boolean }): Promise<SyncRound | undefined> {
    this.#stopped = true;
    for (const t of [this.#retryTimer, this.#batchTimer, this.#driftTimer])
      if (t) this.#o.timers.clearTimeout(t);
    this.#retryTimer = this.#batchTimer = this.#driftTimer = undefined;
    this.#driftDue = false;
    if (opts.removeOwned) {
      this.#removing = true;
      return this.sync();
    }
    this.#dirty.clear();
    this.#retired.clear();
    this.#fullDirty = false;
    await this.#running;
    return undefined;
  }

  stats(): SyncLoopStats {
    const ops = Object.fromEntries(Object.entries(this.#ops).map(([op, n]) => [op, { ...n }]));
    return { syncs: this.#syncs, syncErrors: this.#syncErrors, ops, driftFound: this.#driftFound };
  }

  /**
   * What a round would do if the desired table were `desired` and `alsoOwned` were owned too (a
   * reload preview): the plan against the kept table (read when there is none), applying nothing.
   */
  async preview(desired: IpvsTable, alsoOwned: Iterable<string>): Promise<IpvsOp[]> {
    const actual = this.#table?.entries() ?? (await this.#o.kernel.dump({ stats: false }));
    const owned = new Set([...this.#owned, ...alsoOwned]);
    return reconcile(desired, actual, { owned });
  }

  #nextRound(): Promise<SyncRound> {
    const p = new Promise<SyncRound>((done) => this.#waiters.push(done));
    this.#kick();
    return p;
  }

  #kick(): void {
    if (this.#running) return;
    let ended!: () => void;
    this.#running = new Promise<void>((r) => (ended = r));
    void this.#drain().finally(ended);
  }

  async #drain(): Promise<void> {
    try {
      const work = (): boolean =>
        this.#fullDirty || this.#dirty.size > 0 || this.#retired.size > 0 || this.#waiters.length > 0;
      while (work() || this.#driftDue) {
        if (!work()) {
          await this.#driftStep();
          continue;
        }
        // A waiter of `sync` made #fullDirty true, so every waiter present is served by this round.
        const full = this.#fullDirty || this.#removing;
        const scopes = full ? undefined : { changed: new Set(this.#dirty), retired: new Set(this.#retired) };
        this.#fullDirty = false;
        this.#dirty.clear();
        this.#retired.clear();
        const served = this.#waiters;
        this.#waiters = [];
        const round = await this.#round(scopes);
        for (const done of served) done(round);
      }
    } finally {
      // Not running from here on, before a caller woken by the last round can ask for another.
      this.#running = undefined;
    }
  }

  /** One round; failures are counted, logged and retried later, never thrown. */
  async #round(scopes: PartialScopes<Scope> | undefined): Promise<SyncRound> {
    const t0 = this.#o.clock.now();
    this.#lastRoundAt = t0;
    const attempts: SyncAttempt[] = [];
    let error: Error | undefined;
    try {
      try {
        await this.#attempt(scopes, attempts);
      } catch (e) {
        // Read the kernel and plan again once (someone else may have changed the table). The
        // warning says what the kernel holds now: the error names what was applied and what not.
        this.#log.warn('IPVS update failed; reading the kernel table again', { error: (e as Error).message });
        this.#table = undefined;
        await this.#attempt(undefined, attempts);
      }
    } catch (e) {
      error = e as Error;
      this.#table = undefined;
    }
    const round: SyncRound = {
      // A read of the kernel makes the first plan a full one too.
      full: scopes === undefined || attempts[0]?.reread === true,
      attempts,
      ms: Math.round(this.#o.clock.now() - t0),
    };
    if (error) round.error = error;
    this.#report(round, scopes);
    return round;
  }

  /**
   * One plan against the kept table, read again first when missing or stale (then every owned
   * service is reconciled). Throws when the batch stopped part way, after recording the attempt.
   */
  async #attempt(scopes: PartialScopes<Scope> | undefined, attempts: SyncAttempt[]): Promise<void> {
    let reread = false;
    if (!this.#table) {
      this.#table = new AppliedTable(await this.#o.kernel.dump({ stats: false }));
      this.#driftQueue = [];
      reread = true;
      scopes = undefined;
    }
    const table = this.#table;
    let a: SyncAttempt;
    if (scopes === undefined) {
      const desired = this.#removing ? [] : this.#o.desired.table();
      a = await attemptSync(this.#o.kernel, desired, table.entries(), { owned: this.#owned, reread });
    } else {
      const desired = this.#o.desired.entries(scopes.changed);
      const ids = new Set(desired.map((e) => serviceId(e.service.key)));
      // a retired service that is not desired again is deleted (it is owned: it was wanted once)
      for (const id of scopes.retired) ids.add(id);
      a = await attemptSync(this.#o.kernel, desired, table.entries(ids), { owned: this.#owned, reread });
    }
    attempts.push(a);
    this.#countOps(a.report);
    if (a.report.failed) {
      this.#table = undefined;
      throw partialError(a.report);
    }
    table.apply(a.report.applied);
  }

  /**
   * The next drift step is due in `driftStepMs`, or 20 times the last step's cost when that is
   * longer (a slow kernel or VM stretches the walk rather than the loop's share); unless one is set
   * already, or stopped.
   */
  #armDrift(): void {
    if (this.#stopped || this.#driftTimer) return;
    const wait = Math.max(this.#o.driftStepMs ?? 1000, this.#driftCostMs * driftCostFactor);
    this.#driftTimer = this.#o.timers.setTimeout(() => {
      this.#driftTimer = undefined;
      this.#driftDue = true;
      this.#kick();
    }, wait);
  }

  /**
   * One drift step against the kept table: a walk's first reads the services alone, each next one
   * the destinations of the next slice. Drift found: logged, and the kernel read again by a full
   * round. Never throws (a failed read is logged; the walk starts over).
   */
  async #driftStep(): Promise<void> {
    this.#driftDue = false;
    const table = this.#table;
    if (!table) return; // the next round reads the kernel anyway
    const start = this.#o.clock.now();
    try {
      let drifted: string[];
      if (this.#driftQueue.length === 0) {
        const owned = (id: string): boolean => this.#owned.has(id);
        drifted = table.serviceDrift(await this.#o.kernel.dumpServices(), owned);
        this.#driftQueue = table.keys(owned);
      } else {
        const stepMs = this.#o.driftStepMs ?? 1000;
        const perWalk = Math.max(1, (this.#o.resyncMs ?? 30_000) / stepMs);
        const slice = this.#driftQueue.splice(
          0,
          Math.max(minDriftSlice, Math.ceil(this.#owned.size / perWalk)),
        );
        drifted = table.destinationDrift(slice, await this.#o.kernel.dumpDestinations(slice));
      }
      if (this.#table !== table || drifted.length === 0) return;
      this.#driftFound++;
      this.#log.warn('IPVS table changed behind lvsd; reading the kernel again to repair it', {
        services: drifted.length,
        first: drifted[0],
      });
      this.#table = undefined;
      this.#fullDirty = true;
    } catch (e) {
      this.#driftQueue = [];
      this.#log.warn('IPVS drift check failed; it starts over', { error: (e as Error).message });
    } finally {
      this.#driftCostMs = this.#o.clock.now() - start;
      this.#armDrift();
    }
  }

  /** Count what the kernel did with a plan, by op (where it happens: one place for every round). */
  #countOps(r: ApplyReport): void {
    const count = (op: IpvsOp, key: 'ok' | 'error'): void => {
      const n = (this.#ops[op.op] ??= { ok: 0, error: 0 });
      n[key]++;
    };
    for (const op of r.applied) count(op, 'ok');
    if (r.failed) count(r.failed.op, 'error');
    for (const f of r.alsoFailed ?? []) count(f.op, 'error');
  }

  #report(round: SyncRound, scopes: PartialScopes<Scope> | undefined): void {
    if (round.error) {
      this.#syncErrors++;
      this.#fullDirty = false;
      this.#log.error('IPVS update failed; will retry', { error: round.error.message });
      if (!this.#stopped && !this.#retryTimer) {
        this.#retryTimer = this.#o.timers.setTimeout(() => {
          this.#retryTimer = undefined;
          void this.sync();
        }, this.#o.retryMs ?? 1000);
      }
      return;
    }
    this.#syncs++;
    this.#armDrift();
    const last = round.attempts[round.attempts.length - 1];
    const ops = last?.plan.length ?? 0;
    // Check results wait for the kernel update to end: a slow one delays every verdict.
    if (round.ms >= 1000)
      this.#log.info('IPVS update was slow', {
        ms: round.ms,
        ops,
        changed: round.full || !scopes ? 'all' : scopes.changed.size + scopes.retired.size,
      });
    else if (ops > 0 && last)
      this.#log.debug('IPVS table updated', { ops, applied: formatCounts(last.applied) });
  }
}
