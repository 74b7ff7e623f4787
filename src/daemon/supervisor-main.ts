// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run`: the supervisor process (systemd's MainPID), its first moments. Its signal handlers go
 * in before anything else (SIGUSR1 must never open Node's inspector in a root process; SIGUSR2 and
 * SIGHUP must never kill it; a SIGTERM before the workers run is kept for the daemon). It makes its
 * run directory safe and takes the single-instance lock, forks the workers the config may need at
 * once (early-worker.ts: their start-up overlaps the validation), and only then loads the rest of
 * the supervisor (supervisor-daemon.ts). Few imports here, for that reason.
 */
import { readFileSync } from 'node:fs';
import { EarlyWorker } from './early-worker.js';
import { secureDirectory } from './files.js';
import { lockHolder, takeInstanceLock, type InstanceLock } from './process-control.js';
import { runDirectory, type RunOptions } from './run-options.js';
import { modelFileIn } from './model-paths.js';
import { workerBaseArgs } from './worker-argv.js';
import { lvsWorker, vrrpWorker, type WorkerSpec } from './worker-specs.js';

/** Signals first: until the supervisor runs, a HUP is remembered and a dump request ignored. */
function earlySignals(): { stopped: Promise<string>; handlers: Map<NodeJS.Signals, () => void> } {
  let stop = (_sig: string): void => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const handlers = new Map<NodeJS.Signals, () => void>([
    ['SIGTERM', () => stop('SIGTERM')],
    ['SIGINT', () => stop('SIGINT')],
    // the unit's RestartKillSignal: hand over in place (hitless restart, src/vrrp/handoff.ts)
    ['SIGQUIT', () => stop('SIGQUIT')],
    ['SIGHUP', () => {}],
    ['SIGUSR1', () => {}],
    ['SIGUSR2', () => {}],
  ]);
  for (const [sig, fn] of handlers) process.on(sig, fn);
  return { stopped, handlers };
}

/** The run directory made safe and this process the only lvsd on it; undefined (with a message) otherwise. */
function claimRunDirectory(runDir: string, io: RunOptions['io']): InstanceLock | undefined {
  try {
    secureDirectory(runDir);
    const lock = takeInstanceLock(runDir, 'lvsd');
    for (const role of ['vrrp', 'lvs']) {
      const pid = lockHolder(runDir, role);
      if (pid !== undefined) {
        lock.release();
        io.stderr(`lvsd run: another lvsd is running (pid ${pid}): its ${role} worker holds ${runDir}\n`);
        return undefined;
      }
    }
    return lock;
  } catch (e) {
    io.stderr(`lvsd run: ${(e as Error).message}\n`);
    return undefined;
  }
}

/**
 * The workers the config may need, judged from the main file's text before it is validated (a
 * `vrrp_instance` needs the VRRP worker, a `virtual_server` the LVS worker; an `include` may bring
 * either): those are forked at once. A wrong guess costs a process that is dismissed, or a start
 * that waits for the validation as it did before.
 */
function mayNeed(file: string, base: string[]): WorkerSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const included = /\binclude\b/.test(text);
  return [
    ...(included || /\bvrrp_instance\b/.test(text) ? [vrrpWorker(base)] : []),
    ...(included || /\bvirtual_server\b/.test(text) ? [lvsWorker(base)] : []),
  ];
}

export async function run(opts: RunOptions): Promise<number> {
  const { stopped, handlers } = earlySignals();
  const runDir = runDirectory();
  const lock = claimRunDirectory(runDir, opts.io);
  const modelFile = modelFileIn(runDir);
  const base = workerBaseArgs(opts, modelFile);
  const early = lock ? mayNeed(opts.configFile, base).map((spec) => new EarlyWorker(spec)) : [];
  try {
    if (!lock) return 1;
    const daemon = await import('./supervisor-daemon.js');
    return await daemon.superviseConfig(opts, { modelFile, base, early, stopped });
  } finally {
    await Promise.all(early.map((w) => w.dismiss()));
    for (const [sig, fn] of handlers) process.off(sig, fn);
    lock?.release();
  }
}
