// SPDX-License-Identifier: Apache-2.0
/**
 * What `lvsd run` does once its flags are read (by commander in run.ts, or, for a worker's command
 * line from its supervisor, by daemon/worker-argv.ts): the supervisor, or one worker in this
 * process. No commander here, so a worker's start does not load it.
 */
import type { ListenAddress } from '../../core/listen.js';
import type { RunOptions } from '../../daemon/run-options.js';
import type { CliIo } from '../io.js';

export interface RunCommandOptions {
  file: string;
  configId?: string | undefined;
  runDir?: string | undefined;
  vrrpOnly?: boolean | undefined;
  checkOnly?: boolean | undefined;
  model?: string | undefined;
  awaitModel?: boolean | undefined;
  metrics?: ListenAddress | undefined;
  lenient?: boolean | undefined;
  realtime?: boolean | undefined;
}

export async function runDaemon(o: RunCommandOptions, io: CliIo): Promise<number> {
  // The daemon and the workers it forks read the run directory from the environment
  // (src/daemon/run-options.ts runDirectory), so the flag is handed down that way.
  if (o.runDir !== undefined) process.env['LVSD_RUN_DIR'] = o.runDir;
  const opts: RunOptions = {
    configFile: o.file,
    configId: o.configId,
    modelFile: o.model,
    awaitModel: o.awaitModel ?? false,
    metrics: o.metrics,
    lenient: o.lenient ?? false,
    realtime: o.realtime ?? false,
    io,
  };
  // Literal specifiers, so a bundler sees (and splits out) each entry.
  const mod: { run: (o: RunOptions) => Promise<number> } = o.vrrpOnly
    ? await import('../../daemon/vrrp-main.js')
    : o.checkOnly
      ? await import('../../daemon/check-main.js')
      : await import('../../daemon/supervisor-main.js');
  return mod.run(opts);
}
