// SPDX-License-Identifier: Apache-2.0
/**
 * The life of a worker process (`lvsd run --vrrp-only`, `lvsd run --check-only`), written once for
 * both: signal handlers installed before anything else (SIGTERM/SIGINT stop, SIGQUIT hand over in
 * place for a hitless restart, SIGHUP reload,
 * SIGUSR1/SIGUSR2 dump: their default actions would kill the process, and a SIGTERM during start-up
 * must still end in a graceful stop), the pid file, the config, the engine's start, the control
 * socket, readiness, reloads one after another, the stats dump, and the stop. What differs between
 * the workers is the `WorkerDefinition` they pass in.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Model, ProcessSettings } from '../config/model.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { LvsdError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { startControlServer, type ControlHandler, type ControlServer } from './control.js';
import { createLogger, type LogLevel } from './logger.js';
import { loadRunConfig } from './run-config.js';
import { runDirectory, type RunOptions } from './run-options.js';
import { sdNotify } from './systemd.js';
import { secureDirectory, writeFileAtomic } from './files.js';
import { dieWithParent, removeOwnFile, takeInstanceLock } from './process-control.js';
import { answerPings, modelReady, reportReady, reportReloaded, reportStatus } from './worker-ipc.js';
import { ProcessSchedule, wantedSchedule, type ScheduleState } from './process-schedule.js';
import { GcPauses, type AfterMajorGc, type GcSummary } from './gc-pauses.js';
import { native } from '../net/raw-socket.io.js';

/** How the worker process runs, in its `status` answer and dump (`process`), as `lvsd status` prints it. */
export interface WorkerProcessStatus extends ScheduleState {
  gc: GcSummary;
}

/** How a worker stops: released (SIGTERM/SIGINT) or handed over in place (SIGQUIT, hitless restart). */
export type StopMode = 'release' | 'handoff';

/** A running engine as the worker drives it. */
export interface WorkerEngine {
  /** Apply a validated model (logging what it did); resolves to a summary, throws when not applied. */
  reload(model: Model): Promise<unknown>;
  /** What `reload(model)` would do, applying nothing (`lvsd reload --dry-run`). */
  preview(model: Model): Promise<unknown>;
  /**
   * Graceful stop (VIPs released / IPVS cleaned up as configured), or with `handoff` (SIGQUIT: a
   * hitless restart) a stop that leaves VIPs and IPVS in place for a successor to adopt.
   */
  stop(mode?: StopMode): Promise<void>;
  /** What `status` and the dump report. */
  snapshot(): object;
  /** Control requests other than `status`. */
  control?: ControlHandler;
  /** A one-line summary for systemd's STATUS= (`VRRP: VI_1 MASTER, ...`). */
  statusLine?(): string;
  /**
   * What makes this director visible to others (the LVS worker's BGP announcements), run once the
   * control socket answers with this engine's status: a route is never out before `lvsd status`
   * can show it.
   */
  announce?(): Promise<void>;
}

/** Report the engine's status line whenever it changes (checked each second: it is one string). */
function followStatus(engine: WorkerEngine): () => void {
  if (!engine.statusLine) return () => {};
  let last = '';
  const check = (): void => {
    const line = engine.statusLine?.() ?? '';
    if (line !== last) reportStatus((last = line));
  };
  check();
  const timer = setInterval(check, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

export interface WorkerDefinition {
  /** `vrrp` or `lvs`: the logger's name and the prefix of the pid file. */
  readonly name: string;
  /** The control socket's path. */
  readonly controlPath: (runDir: string) => string;
  /** The dump file written on SIGUSR1/SIGUSR2 and at stop, in the run directory. */
  readonly dumpFile: string;
  start(model: Model, log: Logger, context: WorkerContext): Promise<WorkerEngine>;
}

/** What the worker process gives its engine besides the model and the logger. */
export interface WorkerContext {
  readonly runDir: string;
  /** The process's one GC observer (gc-pauses.ts): a listener called after each major collection. */
  readonly afterMajorGc: AfterMajorGc;
}

/** `LVSD_LOG_LEVEL`: error, warning (or warn), notice, info (default), debug. */
function logLevel(v: string | undefined): LogLevel {
  if (v === 'warning') return 'warn';
  return v === 'debug' || v === 'warn' || v === 'error' || v === 'notice' ? v : 'info';
}

/** The logger every lvsd process uses: `LVSD_LOG_LEVEL`, `LVSD_LOG_FORMAT` (text|json). */
export function processLogger(name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return createLogger({
    name,
    level: logLevel(env['LVSD_LOG_LEVEL']),
    ...(env['LVSD_LOG_FORMAT'] === 'json' ? { format: 'json' as const } : {}),
  });
}

/** Write `data` as JSON to `file` (atomic, never through a planted symlink). */
function writeDump(file: string, data: object, log: Logger): void {
  try {
    writeFileAtomic(file, JSON.stringify(data, null, 2) + '\n', 0o640);
  } catch (e) {
    log.warn('cannot write the stats dump', { file, error: (e as Error).message });
  }
}

/**
 * This worker's claim on the run directory: safe (0700, nobody else can change it), and held by no
 * other process of the same role (a worker left by a killed supervisor, or a second lvsd). Its pid
 * file, removed at exit only while it is still this process's.
 */
function claim(runDir: string, name: string): { release(): void } {
  secureDirectory(runDir);
  const lock = takeInstanceLock(runDir, name, `lvsd ${name} worker`);
  const pidFile = join(runDir, `${name}.pid`);
  try {
    writeFileAtomic(pidFile, `${process.pid}\n`, 0o644);
  } catch (e) {
    lock.release();
    throw e;
  }
  const ino = statSync(pidFile).ino;
  return {
    release: () => {
      removeOwnFile(pidFile, ino);
      lock.release();
    },
  };
}

/**
 * The worker's scheduling from a model: keepalived's `vrrp_*` process keywords for the VRRP worker
 * (with `--realtime`'s defaults), `checker_*` for the LVS worker.
 */
function scheduleOf(kind: 'vrrp' | 'checker', opts: RunOptions, model: Model): ProcessSettings {
  return kind === 'vrrp'
    ? wantedSchedule(model.global.vrrpProcess, opts.realtime ?? false)
    : wantedSchedule(model.global.checkerProcess, false);
}

export async function runWorker(opts: RunOptions, def: WorkerDefinition): Promise<number> {
  const log = processLogger(def.name);
  const runDir = runDirectory();
  const kind = def.name === 'vrrp' ? 'vrrp' : 'checker';
  const schedule = new ProcessSchedule(kind, native, log);
  const gc = new GcPauses();
  let engine: WorkerEngine | undefined;
  let stop = (_mode: StopMode): void => {};
  const stopRequested = new Promise<StopMode>((resolve) => (stop = resolve));
  const requestStop = (): void => stop('release');
  const requestHandoff = (): void => stop('handoff');
  let reloads: Promise<void> = Promise.resolve();
  const read: ModelReads = {
    view: def.name === 'vrrp' ? 'vrrp' : undefined,
    last: undefined,
  };
  let hupPending = false;
  const snapshot = (running: WorkerEngine): object => {
    const status: WorkerProcessStatus = { ...schedule.state(), gc: gc.summary() };
    return { ...running.snapshot(), process: status };
  };
  const dump = (): void => {
    if (engine) writeDump(join(runDir, def.dumpFile), { pid: process.pid, ...snapshot(engine) }, log);
  };
  const onHup = (): void => {
    if (!engine) {
      hupPending = true; // handled once the engine runs
      return;
    }
    const running = engine;
    log.info('SIGHUP: reloading the configuration');
    reloads = reloads.then(async () => {
      // parsing the new model is the worker's longest CPU burst: at normal priority (process-schedule.ts)
      schedule.relax();
      try {
        await reloadWorker(opts, running, log, read);
      } finally {
        if (read.last) schedule.apply(scheduleOf(kind, opts, read.last));
      }
    });
  };
  const handlers = [
    ['SIGTERM', requestStop],
    ['SIGINT', requestStop],
    ['SIGQUIT', requestHandoff],
    ['SIGHUP', onHup],
    ['SIGUSR1', dump],
    ['SIGUSR2', dump],
    ['SIGXCPU', () => schedule.overrun()],
  ] as const;
  for (const [sig, fn] of handlers) process.on(sig, fn);
  // A worker dies with its supervisor: SIGTERM, so it releases (priority-0 advert, VIPs removed).
  const parent = Number(process.env['LVSD_SUPERVISOR_PID'] ?? 0);
  if (parent > 0) dieWithParent(parent);
  // the pid file appears once the signal handlers are in place (so signals are safe to send)
  let claimed: { release(): void };
  try {
    claimed = claim(runDir, def.name);
  } catch (e) {
    for (const [sig, fn] of handlers) process.off(sig, fn);
    opts.io.stderr(`lvsd run (${def.name}): ${(e as Error).message}\n`);
    return 1;
  }
  const stopPings = answerPings();
  let control: ControlServer | undefined;
  try {
    if (opts.awaitModel) {
      // Forked early: a stop or a dismissal before the model is written ends it quietly.
      const go = await Promise.race([modelReady(), stopRequested.then(() => false)]);
      if (!go) return 0;
    }
    const { model, diagnostics } = await loadRunConfig(opts, { view: read.view });
    for (const d of diagnostics) opts.io.stderr(formatDiagnostic(d) + '\n');
    if (!model) return 1;
    read.last = model;
    // the socket answers from here: "starting" until the engine runs, its status from then on
    control = await serveControl(def.name, def.controlPath(runDir), () => engine, snapshot, log);
    try {
      engine = await def.start(model, log, { runDir, afterMajorGc: gc.afterMajorGc });
      await engine.announce?.();
    } catch (e) {
      opts.io.stderr(`lvsd run (${def.name}): ${(e as Error).message}\n`);
      await control?.close();
      return 1;
    }
    schedule.apply(scheduleOf(kind, opts, model));
    reportReady();
    if (hupPending) onHup();
    const stopStatus = followStatus(engine);
    const mode = await stopRequested;
    stopStatus();
    sdNotify(['STOPPING=1'], log);
    await reloads;
    await control?.close();
    await engine.stop(mode);
    if (mode === 'release') dump();
    log.info(mode === 'handoff' ? 'stopped, handing over in place' : 'stopped');
    return 0;
  } finally {
    gc.stop();
    stopPings();
    claimed.release();
    for (const [sig, fn] of handlers) process.off(sig, fn);
  }
}

async function serveControl(
  name: string,
  path: string,
  running: () => WorkerEngine | undefined,
  snapshot: (engine: WorkerEngine) => object,
  log: Logger,
): Promise<ControlServer | undefined> {
  try {
    return await startControlServer(
      path,
      (req) => {
        const engine = running();
        if (!engine)
          return Promise.reject(
            new LvsdError('LVSD_E_STARTING', `the ${name} worker is starting: applying its configuration`),
          );
        if (req.cmd === 'status') return Promise.resolve(snapshot(engine));
        if (req.cmd === 'plan') return previewFrom(req.modelFile, engine);
        if (engine.control) return engine.control(req);
        return Promise.reject(
          new LvsdError('LVSD_E_CONTROL', `the ${name} worker does not handle '${req.cmd}'`),
        );
      },
      log,
    );
  } catch (e) {
    log.warn('cannot serve the control socket', { path, error: (e as Error).message });
    return undefined;
  }
}

/** The preview of a validated model the supervisor wrote to `file` (`lvsd reload --dry-run`). */
async function previewFrom(file: string, engine: WorkerEngine): Promise<unknown> {
  const { model, diagnostics } = await loadRunConfig({
    configFile: file,
    configId: undefined,
    modelFile: file,
    io: { stderr: () => {} },
  });
  if (!model)
    throw new LvsdError('LVSD_E_CONTROL', diagnostics[0]?.message ?? 'cannot read the model to preview');
  return engine.preview(model);
}

/** How a worker reads its model: the VRRP worker its view; the model last read (model-file.ts). */
interface ModelReads {
  view: 'vrrp' | undefined;
  last: Model | undefined;
}

/** Re-read the config and apply it; never throws (a reload must not end the worker). */
async function reloadWorker(
  opts: RunOptions,
  engine: WorkerEngine,
  log: Logger,
  read: ModelReads,
): Promise<void> {
  try {
    // the VRRP worker reads its view (no real servers to parse on its timers' loop); a model file's
    // virtual servers unchanged since the last read are kept, not parsed again
    const { model, diagnostics } = await loadRunConfig(opts, {
      offLoop: true,
      view: read.view,
      previous: read.last,
    });
    if (model) read.last = model;
    for (const d of diagnostics) {
      const line = formatDiagnostic(d);
      opts.io.stderr(line + '\n');
      if (d.severity === 'error') log.error(`reload: ${line}`);
    }
    if (!model) {
      const first = diagnostics.find((d) => d.severity === 'error');
      const msg = first ? formatDiagnostic(first) : 'invalid configuration';
      log.error('reload: configuration invalid, keeping the running configuration', { error: msg });
      reportReloaded(false, msg);
      return;
    }
    const summary = await engine.reload(model);
    reportReloaded(true, undefined, summary);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.error('reload failed; the worker keeps running with what it had', { error: msg });
    reportReloaded(false, msg);
  }
}
