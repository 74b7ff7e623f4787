// SPDX-License-Identifier: Apache-2.0
/**
 * Where a worker gets its configuration. Started by hand, a worker parses the config file itself.
 * Started by the supervisor, it reads the Model the supervisor validated (`--model FILE`, JSON): a
 * worker restarted after a crash then runs the configuration in force, not whatever is on disk now
 * (an edited file that failed validation on SIGHUP must never reach a restarted worker), and both
 * workers always run the same configuration. keepalived keeps a copy of its config for the same
 * reason. The supervisor replaces the file atomically (write + rename) before it signals a reload.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { RunOptions } from '../cli/commands/run.js';
import { unreadableFile } from '../config/diagnostics.js';
import type { Diagnostic, Model } from '../config/model.js';

export interface LoadedRunConfig {
  model: Model | undefined;
  diagnostics: Diagnostic[];
}

export async function loadRunConfig(opts: RunOptions): Promise<LoadedRunConfig> {
  if (opts.modelFile !== undefined) {
    try {
      return { model: JSON.parse(await readFile(opts.modelFile, 'utf8')) as Model, diagnostics: [] };
    } catch (e) {
      const reason = (e as Error).message;
      return {
        model: undefined,
        diagnostics: [unreadableFile(opts.modelFile, 'the validated model', reason)],
      };
    }
  }
  // The config language (lexer, parser, schema, ipaddr.js) loads only when a file is to be parsed:
  // a worker the supervisor started reads the validated Model and never needs it.
  const { loadConfig } = await import('../config/load.js');
  return loadConfig(opts.configFile, opts.configId !== undefined ? { configId: opts.configId } : {});
}

/** Write the Model for the workers; readers never see a half-written file. */
export async function writeModelFile(path: string, model: Model): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(model), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
