// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run`, the supervisor, once it holds the run directory (supervisor-main.ts): it validates
 * the config, hands the validated Model to the workers (supervisor.ts) and owns the systemd
 * protocol: READY once every worker is up, RELOADING + MONOTONIC_USEC / READY around a reload,
 * STATUS, STOPPING, and WATCHDOG while the workers answer. A reload (SIGHUP, or `lvsd reload` over
 * `supervisor.sock`) is reloader.ts's. A VRRP worker that dies is succeeded by one that may adopt
 * its MASTER instances (the record it last reported is written for it: vrrp/handoff.ts).
 * SIGQUIT (the unit's RestartKillSignal) stops the workers with a handoff: VIPs and IPVS stay for
 * the next process to adopt. Exit 1 when a worker crash-loops.
 * Loaded after the workers were forked early (early-worker.ts), so its modules cost them no start-up.
 */
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Model } from '../config/model.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { Logger } from '../core/log.js';
import type { ListenAddress } from '../core/listen.js';
import { parseSupervisorRequest, serveRequests, type ControlServer } from './control.js';
import type { EarlyWorker } from './early-worker.js';
import { writeFileAtomic } from './files.js';
import { MetricsEndpoint } from './metrics-server.js';
import { vrrpHandoffFileIn } from './model-paths.js';
import { shapeOf } from './model-shape.js';
import { Reloader, workersFor } from './reloader.js';
import { loadRunConfig, writeModelFile } from './run-config.js';
import type { RunOptions } from './run-options.js';
import { Supervisor } from './supervisor.js';
import { isPendingModelFile } from './validator-files.js';
import { vrrpView } from '../config/views.js';
import { processLogger } from './worker.js';

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
  // model files of validating children a supervisor that died left behind
  for (const name of readdirSync(runDir))
    if (isPendingModelFile(name)) rmSync(join(runDir, name), { force: true });
  writeModelFile(modelFile, model);
  const workers = workersFor(shapeOf(model), base, early);
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
      reloads: () => ({ counts: reloader.counts, lastOk: reloader.lastOk, times: reloader.times }),
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
