// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run`, the supervisor, once it holds the run directory (supervisor-main.ts): it validates
 * the config, hands the validated Model to the workers (supervisor.ts) and owns the systemd
 * protocol: READY once every worker is up, RELOADING + MONOTONIC_USEC / READY around a reload,
 * STATUS, STOPPING, and WATCHDOG while the workers answer. A reload (SIGHUP, or `lvsd reload` over
 * `supervisor.sock`) is validated first (a small file here, any other in a child process:
 * validate-here.ts); a refused file changes nothing and its diagnostics go back to `lvsd reload`.
 * SIGQUIT (the unit's RestartKillSignal) stops the workers with a handoff: VIPs and IPVS stay for
 * the next process to adopt. Exit 1 when a worker crash-loops.
 * Loaded after the workers were forked early (early-worker.ts), so its modules cost them no start-up.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Diagnostic, Model } from '../config/model.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { Logger } from '../core/log.js';
import type { ListenAddress } from '../core/listen.js';
import type { ReloadCounts } from '../metrics/supervisor.js';
import {
  controlRequest,
  parseSupervisorRequest,
  serveRequests,
  workerControlPath,
  type ControlServer,
} from './control.js';
import { MetricsEndpoint } from './metrics-server.js';
import { loadRunConfig, validationOf, writeModelFile, writeModelFiles } from './run-config.js';
import { reloadHazards } from '../config/reload-hazards.js';
import type { RunOptions } from './run-options.js';
import type { EarlyWorker } from './early-worker.js';
import { Supervisor, type WorkerReload } from './supervisor.js';
import { sdNotify } from './systemd.js';
import { writeFileAtomic } from './files.js';
import { vrrpHandoffFileIn } from './model-paths.js';
import { vrrpView } from '../config/views.js';
import { largeConfig, validateForSupervisor } from './validate-here.js';
import { StandbyValidator } from './validator-standby.js';
import { processLogger } from './worker.js';
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

/** The workers a model needs: VRRP for vrrp_instance, LVS for virtual_server. */
function workersFor(model: Model, base: string[], early: readonly EarlyWorker[] = []): WorkerSpec[] {
  const out: WorkerSpec[] = [];
  if (model.vrrpInstances.length > 0) out.push(vrrpWorker(base));
  if (model.virtualServers.length > 0) out.push(lvsWorker(base));
  return out.map((spec) => {
    const forked = early.find((e) => e.name === spec.name);
    return forked ? { ...spec, early: forked } : spec;
  });
}

/** What the supervisor's first moments hand over (supervisor-main.ts). */
export interface SupervisorStart {
  /** Where the validated Model goes. */
  modelFile: string;
  /** The arguments every worker gets (worker-specs.ts). */
  base: string[];
  /** Workers forked before the config was validated (each taken over when the model needs it). */
  early: readonly EarlyWorker[];
  /** Resolves with the signal that asked the supervisor to stop. */
  stopped: Promise<string>;
}

/** Validate the config, then run the workers it needs until asked to stop; the exit code. */
export async function superviseConfig(opts: RunOptions, start: SupervisorStart): Promise<number> {
  const log = processLogger('supervisor');
  const { model, diagnostics } = await loadRunConfig(opts);
  for (const d of diagnostics) opts.io.stderr(formatDiagnostic(d) + '\n');
  if (!model) return 1;
  return supervise(opts, model, log, start);
}

async function supervise(
  opts: RunOptions,
  model: Model,
  log: Logger,
  { modelFile, base, early, stopped }: SupervisorStart,
): Promise<number> {
  const runDir = dirname(modelFile);
  writeModelFile(modelFile, model);
  const workers = workersFor(model, base, early);
  if (workers.length === 0) {
    opts.io.stderr(`${opts.configFile}: nothing to run: no vrrp_instance and no virtual_server\n`);
    return 1;
  }
  let gaveUp: string | undefined;
  let giveUp = (): void => {};
  const crashLoop = new Promise<void>((resolve) => (giveUp = resolve));
  const sup = new Supervisor({
    workers,
    log,
    // the LVS worker withdraws its BGP announcements and waits their grace before it stops serving
    stopTimeoutMs: 10_000 + (model.global.lvsdBgp?.withdrawGraceMs ?? 0),
    onGiveUp: (w) => {
      gaveUp = w;
      giveUp();
    },
    onCrash: (w, handoff) => {
      // its VIPs are still on the interface: a successor started within the peer's
      // Master_Down_Interval adopts them and advertises at once (vrrp/handoff.ts)
      if (w !== 'vrrp' || handoff === undefined) return;
      try {
        writeFileAtomic(vrrpHandoffFileIn(runDir), JSON.stringify(handoff), 0o600);
        log.info('VRRP worker died: its successor adopts its MASTER instances if it starts in time', {
          masters: handoff.instances.map((i) => i.name).join(','),
          ageMs: Date.now() - handoff.at,
        });
      } catch (e) {
        log.warn('cannot write the VRRP handoff: its successor starts as backup', {
          error: (e as Error).message,
        });
      }
    },
  });
  const metrics: MetricsEndpoint = new MetricsEndpoint(
    {
      runDir,
      workers: () => sup.status(),
      reloads: () => ({ counts: reloader.counts, lastOk: reloader.lastOk }),
    },
    log,
  );
  // --metrics wins; else the file's lvsd_metrics, which a reload may move
  const metricsAt = (m: Model): ListenAddress | undefined => opts.metrics ?? m.global.lvsdMetrics;
  // the supervisor keeps the view (no real servers): a reload's child hands it no more than that
  const reloader: Reloader = new Reloader(opts, sup, log, modelFile, base, vrrpView(model), (m) =>
    metrics.listen(metricsAt(m)),
  );
  process.on('SIGHUP', () => void reloader.reload());
  process.on('SIGUSR1', () => sup.signal('SIGUSR1'));
  process.on('SIGUSR2', () => sup.signal('SIGUSR2'));
  sup.start();
  reloader.standBy();
  for (const e of early) void e.dismiss(); // those not taken: the model does not need them
  await metrics.listen(metricsAt(model));
  const control = await serveSupervisorControl(join(runDir, 'supervisor.sock'), sup, reloader, log);
  const why = await Promise.race([stopped, crashLoop.then(() => 'crash loop')]);
  log.info('stopping', { reason: why });
  reloader.abort();
  await control?.close();
  await metrics.close();
  await sup.stop(why === 'SIGQUIT');
  if (gaveUp !== undefined) {
    log.error('exiting: a worker crash-loops', { worker: gaveUp });
    return 1;
  }
  return 0;
}

async function serveSupervisorControl(
  path: string,
  sup: Supervisor,
  reloader: Reloader,
  log: Logger,
): Promise<ControlServer | undefined> {
  try {
    return await serveRequests(
      path,
      parseSupervisorRequest,
      async (req) => {
        if (req.cmd === 'reload') return req.dryRun ? reloader.preview(req.file) : reloader.reload();
        return { pid: process.pid, workers: sup.status() };
      },
      log,
    );
  } catch (e) {
    log.warn('cannot serve the supervisor control socket', { path, error: (e as Error).message });
    return undefined;
  }
}

/**
 * Reloads one after another: validate (a small file here, bounded; any other in a child), then the
 * workers apply it as a diff.
 */
class Reloader {
  #chain: Promise<unknown> = Promise.resolve();
  readonly #abort = new AbortController();
  /** How reloads ended, and whether the last one was applied (the metrics). */
  readonly counts: ReloadCounts = { success: 0, invalid: 0, failed: 0 };
  lastOk = true;
  /** The child the next reload of a large file is validated by, started ahead of it. */
  readonly #standby: StandbyValidator;

  constructor(
    private readonly opts: RunOptions,
    private readonly sup: Supervisor,
    private readonly log: Logger,
    private readonly modelFile: string,
    private readonly base: string[],
    /** The Model the workers run, as its VRRP view (a reload's hazards are judged against it). */
    private running: Model,
    /** Called with each model a reload applies (the supervisor's own settings follow it). */
    private readonly applied: (model: Model) => Promise<void>,
  ) {
    this.#standby = new StandbyValidator(validationOf(opts));
  }

  /**
   * A configuration too large to be validated here: its first reload need not start Node either.
   * Called once the workers are started (their start is not to wait for this spawn).
   */
  standBy(): void {
    if (largeConfig(this.running.files)) this.#standby.prepare();
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
    const r = await validateForSupervisor(
      { ...validationOf(this.opts, file), signal: this.#abort.signal },
      this.#standby,
    );
    outcome.diagnostics = r.diagnostics;
    if (!r.model || !r.files) return outcome;
    outcome.diagnostics.push(...reloadHazards(this.running, r.model, file ?? this.opts.configFile));
    const want = workersFor(r.model, this.base).map((w) => w.name);
    const running = this.sup.names();
    outcome.started = want.filter((w) => !running.includes(w));
    outcome.stopped = running.filter((w) => !want.includes(w));
    const previewFile = join(dirname(this.modelFile), 'model.preview.json');
    writeFileAtomic(previewFile, r.files.whole);
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

  async #reload(): Promise<ReloadOutcome> {
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
    try {
      // a small file validated here, any other in a child (validate-here.ts); the model files as
      // the validation wrote them (every location as it is now) and, to read, the VRRP view: what
      // the supervisor needs of a model, without the real servers
      const r = await validateForSupervisor(
        { ...validationOf(this.opts), signal: this.#abort.signal },
        this.#standby,
      );
      outcome.diagnostics = r.diagnostics;
      if (!r.model || !r.files) {
        for (const d of r.diagnostics) this.log.error('reload refused: ' + formatDiagnostic(d));
        this.counts.invalid++;
        return outcome;
      }
      const hazards = reloadHazards(this.running, r.model, this.opts.configFile);
      for (const d of hazards) this.log.warn('reload: ' + formatDiagnostic(d));
      outcome.diagnostics.push(...hazards);
      writeModelFiles(this.modelFile, r.files);
      this.running = r.model;
      const set = await this.sup.setWorkers(workersFor(r.model, this.base));
      outcome.started = set.started;
      outcome.stopped = set.stopped;
      outcome.workers = await this.sup.reload();
      outcome.ok = outcome.workers.every((w) => w.ok);
      await this.applied(r.model);
      this.log.info(outcome.ok ? 'reloaded' : 'reload not applied by every worker', {
        workers: outcome.workers.map((w) => `${w.worker}:${w.ok ? 'ok' : (w.error ?? 'failed')}`).join(' '),
      });
      return outcome;
    } catch (e) {
      this.log.error('reload failed', { error: (e as Error).message });
      return outcome;
    } finally {
      this.lastOk = outcome.ok;
      if (outcome.ok) this.counts.success++;
      else if (outcome.diagnostics.every((d) => d.severity !== 'error')) this.counts.failed++;
      const status = outcome.ok
        ? this.sup.statusLine()
        : `reload failed; running the previous configuration. ${this.sup.statusLine()}`;
      sdNotify(['READY=1', `STATUS=${status}`], this.log);
    }
  }
}
