// SPDX-License-Identifier: Apache-2.0
/**
 * What the supervisor forks for each worker: the lvsd bin with `run`, the config file and the
 * validated model's path (known before the model is: a worker may be forked early), and the
 * worker's flag.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerSpec } from './early-worker.js';
import type { RunOptions } from './run-options.js';

const binPath = (): string => fileURLToPath(new URL('../../../bin/lvsd', import.meta.url));

/** Where the supervisor writes the validated Model its workers run (never the file on disk). */
export const modelFileIn = (runDir: string): string => join(runDir, 'model.json');

/** The arguments every worker gets: `run -f FILE [--config-id ID] --model MODEL`. */
export function workerBaseArgs(opts: RunOptions, modelFile: string): string[] {
  const idArgs = opts.configId === undefined ? [] : ['--config-id', opts.configId];
  return ['run', '-f', opts.configFile, ...idArgs, '--model', modelFile];
}

export const vrrpWorker = (base: string[]): WorkerSpec => ({
  name: 'vrrp',
  modulePath: binPath(),
  args: [...base, '--vrrp-only'],
});

export const lvsWorker = (base: string[]): WorkerSpec => ({
  name: 'lvs',
  modulePath: binPath(),
  args: [...base, '--check-only'],
});
