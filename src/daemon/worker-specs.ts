// SPDX-License-Identifier: Apache-2.0
/**
 * What the supervisor forks for each worker, and how: the lvsd bin with `run`, the config file and
 * the validated model's path (known before the model is: a worker may be forked early), and the
 * worker's flag; an IPC channel, the supervisor's stdout/stderr, and its pid (to die with it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EarlyWorker } from './early-worker.js';
import { vrrpModelFile } from './model-paths.js';
import { roleFlag } from './worker-argv.js';

/** What the supervisor forks for a worker. */
export interface WorkerSpec {
  name: string;
  /** Script run by `fork` (the lvsd bin in production, a test script in tests). */
  modulePath: string;
  args: string[];
  /** Node flags of its own, before the runtime's (below). */
  nodeFlags?: readonly string[];
  /** The same worker forked before the model was validated: taken over at its first start. */
  early?: EarlyWorker;
}

/** Runtimes that accept it get --disable-sigusr1 (Node 20 does not): SIGUSR1 never opens the inspector. */
const execArgv = process.allowedNodeEnvironmentFlags.has('--disable-sigusr1') ? ['--disable-sigusr1'] : [];

/** Fork a worker: IPC channel, stdout/stderr shared, told who its supervisor is (to die with it). */
export function forkWorker(spec: Pick<WorkerSpec, 'modulePath' | 'args' | 'nodeFlags'>): ChildProcess {
  return fork(spec.modulePath, spec.args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...(spec.nodeFlags ?? []), ...execArgv],
    env: { ...process.env, LVSD_SUPERVISOR_PID: String(process.pid) },
  });
}

const binPath = (): string => fileURLToPath(new URL('../../../bin/lvsd', import.meta.url));

/**
 * The VRRP worker reads its view of the model (no real servers: model-paths.ts `vrrpModelFile`).
 * One V8 helper thread, not four: its heap is a few MB, and the threads' memory was 2–8 MB of the
 * worker's (bench/results/footprint.md).
 */
export const vrrpWorker = (base: string[]): WorkerSpec => ({
  name: 'vrrp',
  modulePath: binPath(),
  nodeFlags: ['--v8-pool-size=1'],
  args: [...base.map((a, i) => (base[i - 1] === '--model' ? vrrpModelFile(a) : a)), roleFlag.vrrp],
});

/**
 * The LVS worker's young generation held to 4 MB a semi-space, and one V8 helper thread. V8 grows
 * the young generation while a large model is read (up to 16 MB a semi-space on Node 20, 32 on
 * Node 24: 32 / 64 MB committed) and gives it back only when its memory reducer finds the
 * allocation rate low: at 10,000 reals sometimes ~70 s after the start, sometimes not by 150 s (the
 * worker's RSS then read 5–8 MB higher with 8 MB a semi-space, bench/results/footprint-lvs.md). Held
 * to 2 MB the reload of one edited real out of 100,000 (bench/reload-delta.ts) took the worker
 * 31–50 ms against 20–24 with the default and 21 with 8 MB; with 4 MB, "kernel asked" was the same
 * as with 8 (two runs each, alternating: 49.8 / 42.5 against 43.8 / 44.6 ms). One helper thread
 * instead of Node's four (as the VRRP worker): each thread that allocates keeps a malloc arena of its
 * own, and at 10,000 reals the worker's steady state was 3–7 MB smaller with one in three VM runs.
 * `--optimize-for-size` was measured too and not kept: it gives the young generation back at once
 * (the worker ~25 MB smaller in its first minute), but 150 s after the start the worker was the same
 * size without it, and it read a whole model of 100,000 reals ~120 ms slower. `--max-opt=2` (no
 * TurboFan) was measured and not kept: 83.5 against 88.4 MB at 150 s in one VM run, nearly all of it
 * the node binary's pages TurboFan's code maps (shared with every node process: PSS 1 MB less), for
 * 1.5× the CPU of each HTTP_GET probe (Node's socket code unoptimised too).
 */
export const lvsWorkerNodeFlags: readonly string[] = ['--max-semi-space-size=4', '--v8-pool-size=1'];

export const lvsWorker = (base: string[]): WorkerSpec => ({
  name: 'lvs',
  modulePath: binPath(),
  nodeFlags: lvsWorkerNodeFlags,
  args: [...base, roleFlag.lvs],
});
