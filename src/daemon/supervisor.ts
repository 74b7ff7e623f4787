// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run`: the supervisor. It validates the config, forks the VRRP worker and the LVS worker
 * (`lvsd run --vrrp-only` / `--check-only`) so no health check or netlink dump can delay a VRRP timer,
 * restarts a crashed worker with backoff, and owns the systemd protocol: READY once every worker is
 * up, RELOADING/READY around SIGHUP, STOPPING on SIGTERM, WATCHDOG pings while workers live.
 * SIGHUP re-validates first: a config that fails validation is reported and nothing is signalled,
 * so the config in force stays in force. Workers get the validated Model (`--model`), so a worker
 * restarted after a crash runs the configuration in force even when the file on disk is broken.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunOptions } from './run-options.js';
import type { Logger } from '../core/log.js';
import { formatDiagnostic, loadConfig } from '../config/load.js';
import { monotonicClock } from './clock.js';
import { createLogger } from './logger.js';
import { defaultRestartPolicy, restartDelay, type RestartPolicy } from './restart-policy.js';
import { writeModelFile } from './run-config.js';
import { sdNotify, type SdState } from './systemd.js';
import { isWorkerMessage } from './worker-ipc.js';

export interface WorkerSpec {
  name: string;
  /** Script run by `fork` (the lvsd bin in production, a test script in tests). */
  modulePath: string;
  args: string[];
}

export interface SupervisorOptions {
  workers: WorkerSpec[];
  log: Logger;
  policy?: RestartPolicy;
  notify?: (states: SdState[]) => void;
  /** How long a stopping worker gets before SIGKILL. */
  stopTimeoutMs?: number;
}

interface WorkerSlot {
  spec: WorkerSpec;
  child: ChildProcess | undefined;
  ready: boolean;
  crashes: number;
  startedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
  restarts: number;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #slots: WorkerSlot[];
  #stopping = false;
  #announcedReady = false;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#slots = opts.workers.map((spec) => ({
      spec,
      child: undefined,
      ready: false,
      crashes: 0,
      startedAt: 0,
      restartTimer: undefined,
      restarts: 0,
    }));
  }

  start(): void {
    for (const slot of this.#slots) this.#spawn(slot);
    const usec = Number(process.env['WATCHDOG_USEC'] ?? 0);
    if (usec > 0) {
      this.#watchdog = setInterval(() => {
        if (this.#slots.every((s) => s.child !== undefined || s.restartTimer !== undefined)) {
          this.#notify(['WATCHDOG=1']);
        }
      }, usec / 2000);
      this.#watchdog.unref();
    }
  }

  /** Per worker: is it running, has it said ready, how often was it restarted. */
  status(): Array<{ name: string; pid: number | undefined; ready: boolean; restarts: number }> {
    return this.#slots.map((s) => ({
      name: s.spec.name,
      pid: s.child?.pid,
      ready: s.ready,
      restarts: s.restarts,
    }));
  }

  /** Forward SIGHUP to every running worker. */
  reload(): void {
    this.#notify(['RELOADING=1']);
    for (const s of this.#slots) s.child?.kill('SIGHUP');
    this.#notify(['READY=1']);
  }

  /** SIGTERM every worker, SIGKILL after the timeout; resolves when all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#notify(['STOPPING=1']);
    if (this.#watchdog) clearInterval(this.#watchdog);
    await Promise.all(
      this.#slots.map(async (s) => {
        if (s.restartTimer) clearTimeout(s.restartTimer);
        const child = s.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), this.#opts.stopTimeoutMs ?? 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #notify(states: SdState[]): void {
    (this.#opts.notify ?? ((s: SdState[]) => void sdNotify(s, this.#opts.log)))(states);
  }

  #spawn(slot: WorkerSlot): void {
    const log = this.#opts.log.child({ worker: slot.spec.name });
    slot.restartTimer = undefined;
    slot.ready = false;
    slot.startedAt = monotonicClock.now();
    const child = fork(slot.spec.modulePath, slot.spec.args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    log.info('worker started', { pid: child.pid });
    child.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'ready') {
        slot.ready = true;
        if (!this.#announcedReady && this.#slots.every((s) => s.ready)) {
          this.#announcedReady = true;
          log.info('all workers ready');
          this.#notify(['READY=1', 'STATUS=running']);
        }
      } else if (m.type === 'reloaded') {
        if (m.ok) log.info('worker reloaded');
        else log.error('worker kept its old config', { error: m.error });
      }
    });
    child.on('exit', (code, signal) => {
      slot.child = undefined;
      slot.ready = false;
      if (this.#stopping) return;
      const { delayMs, crashes } = restartDelay(
        { crashes: slot.crashes, startedAt: slot.startedAt },
        monotonicClock.now(),
        this.#opts.policy ?? defaultRestartPolicy,
      );
      slot.crashes = crashes;
      slot.restarts++;
      log.error('worker exited; restarting', { code, signal, delayMs });
      slot.restartTimer = setTimeout(() => this.#spawn(slot), delayMs);
    });
  }
}

function binPath(): string {
  return fileURLToPath(new URL('../../../bin/lvsd', import.meta.url));
}

export async function run(opts: RunOptions): Promise<number> {
  const log = createLogger({ name: 'supervisor' });
  const idArgs = opts.configId === undefined ? [] : ['--config-id', opts.configId];
  const loadOpts = opts.configId === undefined ? {} : { configId: opts.configId };
  const loaded = await loadConfig(opts.configFile, loadOpts);
  for (const d of loaded.diagnostics) opts.io.stderr(formatDiagnostic(d) + '\n');
  if (!loaded.model) return 1;
  const model = loaded.model;
  // Workers run the Model validated here, never the file on disk (src/daemon/run-config.ts).
  const runDir = process.env['LVSD_RUN_DIR'] ?? '/run/lvsd';
  const modelFile = join(runDir, 'model.json');
  try {
    mkdirSync(runDir, { recursive: true });
    await writeModelFile(modelFile, model);
  } catch (e) {
    opts.io.stderr(`lvsd run: cannot write ${modelFile}: ${(e as Error).message}\n`);
    return 1;
  }
  const base = ['run', '-f', opts.configFile, ...idArgs, '--model', modelFile];
  const workers: WorkerSpec[] = [];
  if (model.vrrpInstances.length > 0) {
    workers.push({ name: 'vrrp', modulePath: binPath(), args: [...base, '--vrrp-only'] });
  }
  if (model.virtualServers.length > 0) {
    workers.push({ name: 'lvs', modulePath: binPath(), args: [...base, '--check-only'] });
  }
  if (workers.length === 0) {
    opts.io.stderr(`${opts.configFile}: nothing to run: no vrrp_instance and no virtual_server\n`);
    return 1;
  }
  const sup = new Supervisor({ workers, log });
  sup.start();
  let reloads = Promise.resolve();
  const reload = async (): Promise<void> => {
    const r = await loadConfig(opts.configFile, loadOpts);
    if (!r.model) {
      for (const d of r.diagnostics) log.error('reload refused: ' + formatDiagnostic(d));
      return;
    }
    if (
      r.model.vrrpInstances.length > 0 !== model.vrrpInstances.length > 0 ||
      r.model.virtualServers.length > 0 !== model.virtualServers.length > 0
    ) {
      log.warn('reload adds or removes a whole worker (VRRP or LVS part): restart lvsd to apply that');
    }
    await writeModelFile(modelFile, r.model);
    log.info('reloading');
    sup.reload();
  };
  process.on('SIGHUP', () => {
    // One reload at a time, in order; a failure is logged and the running configuration stays.
    reloads = reloads.then(reload).catch((e: unknown) => {
      log.error('reload failed', { error: (e as Error).message });
    });
  });
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log.info('stopping', { signal: sig });
      void sup.stop().then(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
