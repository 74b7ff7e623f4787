// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run [-f FILE] [-i ID] [--run-dir DIR] [--vrrp-only | --check-only]`.
 * --vrrp-only runs the VRRP engine in the foreground (src/daemon/vrrp-main.ts);
 * --check-only runs the checkers and the LVS manager (src/daemon/check-main.ts).
 * Without either, the supervisor runs both as separate processes (src/daemon/supervisor.ts).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { RunOptions } from '../../daemon/run-options.js';
import type { CliRun } from '../command.js';
import { configIdOption, fileOption, runDirOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';

interface RunCommandOptions {
  file: string;
  configId?: string;
  runDir?: string;
  vrrpOnly?: boolean;
  checkOnly?: boolean;
  model?: string;
}

export function register(parent: Command, cli: CliRun): Command {
  return (
    subcommand(parent, 'run', cli)
      .summary('run the daemon (or one of its workers: --vrrp-only, --check-only)')
      .description(
        'Run the daemon in the foreground: a supervisor that validates the file and runs the VRRP worker and the LVS worker as separate processes (systemd: Type=notify, SIGHUP reloads).',
      )
      .usage('[-f FILE] [-i ID] [--run-dir DIR] [--vrrp-only | --check-only]')
      .addOption(fileOption())
      .addOption(configIdOption())
      .addOption(runDirOption())
      .addOption(
        new Option('--vrrp-only', 'run only the VRRP engine, in this process').conflicts('checkOnly'),
      )
      .addOption(
        new Option('--check-only', 'run only the health checks and the IPVS manager, in this process'),
      )
      // internal: the supervisor hands its workers the validated model (src/daemon/run-config.ts)
      .addOption(new Option('--model <FILE>').hideHelp())
      .action(cli.act((o: RunCommandOptions) => runDaemon(o, cli.io)))
  );
}

/** `lvsd run ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

async function runDaemon(o: RunCommandOptions, io: CliIo): Promise<number> {
  // The daemon and the workers it forks read the run directory from the environment
  // (src/daemon/run-options.ts runDirectory), so the flag is handed down that way.
  if (o.runDir !== undefined) process.env['LVSD_RUN_DIR'] = o.runDir;
  const opts: RunOptions = { configFile: o.file, configId: o.configId, modelFile: o.model, io };
  const target = o.vrrpOnly
    ? '../../daemon/vrrp-main.js'
    : o.checkOnly
      ? '../../daemon/check-main.js'
      : '../../daemon/supervisor-main.js';
  const mod = (await import(target)) as { run: (o: RunOptions) => Promise<number> };
  return mod.run(opts);
}
