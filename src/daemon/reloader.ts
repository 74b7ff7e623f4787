// SPDX-License-Identifier: Apache-2.0
/**
 * The supervisor's reloads (SIGHUP, `lvsd reload`, its `--dry-run`), one after another: validated
 * first (a small file in this process, any other in a child, the one started ahead when the file
 * is large: validate-here.ts, validator-standby.ts), the model files put in place (renamed when the
 * child wrote them beside them), then the workers apply the new model as a diff. A refused file
 * changes nothing and its diagnostics go back to `lvsd reload`.
 */
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Diagnostic, Model } from '../config/model.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { reloadHazards } from '../config/reload-hazards.js';
import type { Logger } from '../core/log.js';
import type { ReloadCounts, ReloadTimes } from '../metrics/supervisor.js';
import { controlRequest, workerControlPath } from './control.js';
import type { EarlyWorker } from './early-worker.js';
import { type ModelShape, shapeOf } from './model-shape.js';
import { writeFileAtomic } from './files.js';
import { placeModelFiles, placeWholeWhenWritten, validationOf } from './run-config.js';
import type { RunOptions } from './run-options.js';
import type { Supervisor, WorkerReload } from './supervisor.js';
import { sdNotify } from './systemd.js';
import type { DeferredView, ValidateOptions, ValidationResult } from './validate-config.js';
import { type WrittenModelFiles, discardWritten } from './validator-files.js';
import { configBytes, largeConfig, validateForSupervisor } from './validate-here.js';
import { StandbyValidator } from './validator-standby.js';
import { lvsWorker, vrrpWorker, type WorkerSpec } from './worker-specs.js';

/** What a reload did (or, with `dryRun`, would do), as `lvsd reload` prints it. */
export interface ReloadOutcome {
  ok: boolean;
  dryRun: boolean;
  diagnostics: Diagnostic[];
  workers: WorkerReload[];
  started: string[];
  stopped: string[];
}

/** The workers a model of this shape needs: VRRP for vrrp_instance, LVS for virtual_server. */
export function workersFor(
  shape: ModelShape,
  base: string[],
  early: readonly EarlyWorker[] = [],
): WorkerSpec[] {
  const out: WorkerSpec[] = [];
  if (shape.vrrpInstances > 0) out.push(vrrpWorker(base));
  if (shape.virtualServers > 0) out.push(lvsWorker(base));
  return out.map((spec) => {
    const forked = early.find((e) => e.name === spec.name);
    return forked ? { ...spec, early: forked } : spec;
  });
}

/** Why a reload the workers applied is not ok: the supervisor could not read what they run. */
const VIEW_UNREAD =
  "the workers apply the new model, but the supervisor could not read its view (model.vrrp.json): it keeps the last one's settings";

/** Whether `workers` are the ones named (in any order). */
function sameNames(workers: readonly WorkerSpec[], names: readonly string[]): boolean {
  return workers.length === names.length && workers.every((w) => names.includes(w.name));
}

/** What the reloads drive of the supervisor: its workers. */
export type ReloadedWorkers = Pick<Supervisor, 'setWorkers' | 'reload' | 'names' | 'statusLine'>;

/**
 * Reloads one after another: validate (a small file here, bounded; any other in a child), then the
 * workers apply it as a diff.
 */
export class Reloader {
  #chain: Promise<unknown> = Promise.resolve();
  readonly #abort = new AbortController();
  /** How reloads ended, and whether the last one was applied (the metrics). */
  readonly counts: ReloadCounts = { success: 0, invalid: 0, failed: 0 };
  lastOk = true;
  /** How long the last reload took, and when one was last applied (the metrics). */
  readonly times: ReloadTimes = { lastSeconds: undefined, lastSuccessAt: Date.now() / 1000 };
  /** The child the next reload of a large file is validated by, started ahead of it. */
  readonly #standby: StandbyValidator;
  /** Whether it was said that the standby could not be raised (once: it will not be next time). */
  #saidNotRaised = false;

  constructor(
    private readonly opts: RunOptions,
    private readonly sup: ReloadedWorkers,
    private readonly log: Logger,
    private readonly modelFile: string,
    private readonly base: string[],
    /** The Model the workers run, as its VRRP view (a reload's hazards are judged against it). */
    private running: Model,
    /** Called with each model a reload applies (the supervisor's own settings follow it). */
    private readonly applied: (model: Model) => Promise<void>,
    /** How a reload is validated (a test's stands in for the child). */
    private readonly validate: typeof validateForSupervisor = validateForSupervisor,
  ) {
    // (not this.#validation(): the standby would hold the running view of now for good)
    this.#standby = new StandbyValidator({ ...validationOf(opts), filesDir: dirname(modelFile) });
  }

  /**
   * How this supervisor's reloads validate `file`: the child writes the model files beside ours,
   * and the view is read keeping the running one's unchanged virtual servers.
   */
  #validation(file?: string): ValidateOptions {
    return { ...validationOf(this.opts, file), filesDir: dirname(this.modelFile), previous: this.running };
  }

  /**
   * A configuration too large to be validated here: its next reload need not start Node either.
   * Called once the workers are started, and after each reload once its workers answered (neither
   * is to wait for this spawn: validator-standby.ts).
   */
  standBy(): void {
    const bytes = configBytes(this.running.files);
    if (largeConfig(this.running.files, bytes)) this.#standby.prepare(bytes);
  }

  abort(): void {
    this.#abort.abort();
    this.#standby.close();
  }

  reload(): Promise<ReloadOutcome> {
    const run = this.#chain.then(() => this.#reload());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * What reloading `file` (default: the running configuration's file) would do, applying nothing:
   * it is validated as a reload is, then each running worker plans it against its running state.
   */
  async preview(file?: string): Promise<ReloadOutcome> {
    const outcome: ReloadOutcome = {
      ok: false,
      dryRun: true,
      diagnostics: [],
      workers: [],
      started: [],
      stopped: [],
    };
    let r: ValidationResult | undefined;
    try {
      r = await this.validate({ ...this.#validation(file), signal: this.#abort.signal }, this.#standby);
      return await this.#previewOf(r, outcome, file);
    } finally {
      discardWritten(r?.written);
      this.standBy(); // (the validation took the waiting child)
    }
  }

  async #previewOf(
    r: ValidationResult,
    outcome: ReloadOutcome,
    file: string | undefined,
  ): Promise<ReloadOutcome> {
    outcome.diagnostics = r.diagnostics;
    if (!r.model || !(r.files || r.written)) return outcome;
    outcome.diagnostics.push(...reloadHazards(this.running, r.model, file ?? this.opts.configFile));
    const want = workersFor(shapeOf(r.model), this.base).map((w) => w.name);
    const running = this.sup.names();
    outcome.started = want.filter((w) => !running.includes(w));
    outcome.stopped = running.filter((w) => !want.includes(w));
    const previewFile = join(dirname(this.modelFile), 'model.preview.json');
    if (r.written?.delta && !(await r.wholeWritten)) throw new Error('the validator did not write the model');
    if (r.written) renameSync(r.written.whole, previewFile);
    else if (r.files) writeFileAtomic(previewFile, r.files.whole);
    try {
      for (const w of running.filter((n) => want.includes(n))) {
        const path = workerControlPath(w, dirname(this.modelFile));
        if (!path) continue;
        try {
          const reply = await controlRequest(path, { cmd: 'plan', modelFile: previewFile }, 60_000);
          outcome.workers.push(
            reply.ok
              ? { worker: w, ok: true, summary: reply.result }
              : { worker: w, ok: false, error: reply.error },
          );
        } catch (e) {
          outcome.workers.push({ worker: w, ok: false, error: (e as Error).message });
        }
      }
    } finally {
      rmSync(previewFile, { force: true });
    }
    outcome.ok = outcome.workers.every((w) => w.ok);
    return outcome;
  }

  /**
   * After a reload handed the workers a delta: model.json replaced by the whole model once the child
   * has written it (the delta removed with it). Until then, and for good when the child could not,
   * model.json with the delta beside it is the model in force: a worker restarted meanwhile reads
   * both (run-config.ts `readModelFiles`), and the next reload's delta is made against model.json.
   */
  async #wholeInPlace(r: ValidationResult): Promise<void> {
    if (!r.written?.delta) return;
    if (!(await placeWholeWhenWritten(this.modelFile, r.written, r.wholeWritten)))
      this.log.warn(
        'reload: the validator did not write the whole model; its delta stays beside model.json',
        {
          delta: r.written.delta.lines,
        },
      );
  }

  /** A reload's warnings about what it changes (config/reload-hazards.ts), logged and answered. */
  #hazards(model: Model, outcome: ReloadOutcome): void {
    const hazards = reloadHazards(this.running, model, this.opts.configFile);
    for (const d of hazards) this.log.warn('reload: ' + formatDiagnostic(d));
    outcome.diagnostics.push(...hazards);
  }

  /**
   * The view of a model the workers were told to apply, now the running one; undefined when it
   * cannot be read (the child wrote it and read nothing wrong: a disk's fault, or a bug). The
   * workers run the new model then, and this process keeps the old view: the next reload reads
   * against it, and the supervisor's own settings (`applied`) stay as they were.
   */
  #viewOf(deferred: DeferredView, outcome: ReloadOutcome): Model | undefined {
    try {
      const model = deferred.view();
      this.#hazards(model, outcome);
      this.running = model;
      return model;
    } catch (e) {
      this.log.error(`reload: ${VIEW_UNREAD}`, { error: (e as Error).message });
      return undefined;
    }
  }

  /** Once: a standby validated at the priority it waited at (validator-standby.ts). */
  #warnNotRaised(nice: number): void {
    if (this.#saidNotRaised) return;
    this.#saidNotRaised = true;
    this.log.warn(
      `reload: validated at nice ${nice}: lvsd may not raise a process's CPU priority (CAP_SYS_NICE, ` +
        'LimitNICE=); on a director whose cores are busy a reload of a large file may wait minutes for CPU',
    );
  }

  async #reload(): Promise<ReloadOutcome> {
    const started = performance.now();
    /** ms from the start until every worker answered (else until it ended: refused, failed). */
    let took: number | undefined;
    const monotonicUsec = process.hrtime.bigint() / 1000n;
    sdNotify(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec}`], this.log);
    const outcome: ReloadOutcome = {
      ok: false,
      dryRun: false,
      diagnostics: [],
      workers: [],
      started: [],
      stopped: [],
    };
    let written: WrittenModelFiles | undefined;
    let wholeWritten: Promise<boolean> | undefined;
    try {
      // a small file validated here, any other in a child (validate-here.ts); the model files as
      // the validation wrote them (every location as it is now) and, to read, the VRRP view: what
      // the supervisor needs of a model, without the real servers
      const r = await this.validate(
        { ...this.#validation(), signal: this.#abort.signal, viewLater: true },
        this.#standby,
      );
      written = r.written;
      wholeWritten = r.wholeWritten;
      outcome.diagnostics = r.diagnostics;
      if (r.notRaised !== undefined) this.#warnNotRaised(r.notRaised);
      const shape = r.model ? shapeOf(r.model) : r.deferred?.shape;
      if (!shape || !(r.files || r.written)) {
        for (const d of r.diagnostics) this.log.error('reload refused: ' + formatDiagnostic(d));
        this.counts.invalid++;
        return outcome;
      }
      const workers = workersFor(shape, this.base);
      // the workers it runs now: told first, and the view read once they have answered (its parse,
      // 5–20 ms at 10,000 virtual servers on the host, was on every reload's way to the kernel, and
      // beside a worker's reading it slowed that down on a machine of two cores). The view is this
      // process's alone: its hazards are warnings, it is the next reload's base.
      const later = r.deferred && sameNames(workers, this.sup.names()) ? r.deferred : undefined;
      let model: Model | undefined;
      if (later) placeModelFiles(this.modelFile, r);
      else {
        // workers to start or stop: the view first (the hazards are said before any worker goes)
        model = r.model ?? r.deferred?.view();
        if (!model) throw new Error('a validation without a model'); // (`shape` came from one)
        this.#hazards(model, outcome);
        placeModelFiles(this.modelFile, r);
        this.running = model;
        const set = await this.sup.setWorkers(workers);
        outcome.started = set.started;
        outcome.stopped = set.stopped;
      }
      outcome.workers = await this.sup.reload();
      took = performance.now() - started;
      if (later) {
        model = this.#viewOf(later, outcome);
        if (!model) outcome.workers.push({ worker: 'supervisor', ok: false, error: VIEW_UNREAD });
      }
      outcome.ok = outcome.workers.every((w) => w.ok);
      if (model) await this.applied(model);
      this.log.info(outcome.ok ? 'reloaded' : 'reload not applied by every worker', {
        workers: outcome.workers.map((w) => `${w.worker}:${w.ok ? 'ok' : (w.error ?? 'failed')}`).join(' '),
        // from the start until every worker answered (`lvsd_config_last_reload_duration_seconds`)
        ms: Math.round(took),
        // how the standby validator read the file (config/incremental.ts): `statements:1` is one
        // statement parsed again, the rest kept from the file as it was; `ahead:1` the same, done
        // while it waited, after the edit (config/load.io.ts FileReloader.current)
        ...(r.parsed ? { parsed: `${r.parsed.way}:${r.parsed.parsed}` } : {}),
        // the workers were handed a delta of this many virtual servers (model-file.ts)
        ...(r.written?.delta ? { delta: r.written.delta.lines } : {}),
      });
      await this.#wholeInPlace(r);
      return outcome;
    } catch (e) {
      this.log.error('reload failed', { error: (e as Error).message });
      return outcome;
    } finally {
      await wholeWritten?.catch(() => false); // the child done writing before what it wrote goes
      discardWritten(written); // unless placed (renamed) above
      this.lastOk = outcome.ok;
      this.times.lastSeconds = (took ?? performance.now() - started) / 1000;
      if (outcome.ok) this.times.lastSuccessAt = Date.now() / 1000;
      if (outcome.ok) this.counts.success++;
      else if (outcome.diagnostics.every((d) => d.severity !== 'error')) this.counts.failed++;
      const status = outcome.ok
        ? this.sup.statusLine()
        : `reload failed; running the previous configuration. ${this.sup.statusLine()}`;
      sdNotify(['READY=1', `STATUS=${status}`], this.log);
      this.standBy(); // the next reload's child, once this one's workers have their model
    }
  }
}
