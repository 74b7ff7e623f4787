// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run [-f FILE] [-i ID] [--run-dir DIR] [--metrics ADDR:PORT] [--lenient] [--[no-]realtime] [--vrrp-only | --check-only]`.
 * --metrics serves the Prometheus metrics of every worker from the supervisor.
 * --vrrp-only runs the VRRP engine in the foreground (src/daemon/vrrp-main.ts);
 * --check-only runs the checkers and the LVS manager (src/daemon/check-main.ts).
 * Without either, the supervisor runs both as separate processes (src/daemon/supervisor.ts).
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { parseListenAddress, type ListenAddress } from '../../core/listen.js';
import type { CliRun } from '../command.js';
import { configIdOption, fileOption, runDirOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';
import { runDaemon, type RunCommandOptions } from './run-daemon.js';

/** `--metrics ADDR:PORT`, checked as commander parses (a bad one is a usage error). */
function listenOption(text: string): ListenAddress {
  const a = parseListenAddress(text);
  if ('error' in a) throw new InvalidArgumentError(a.error);
  return a;
}

export function register(parent: Command, cli: CliRun): Command {
  return (
    subcommand(parent, 'run', cli)
      .summary('run the daemon (or one of its workers: --vrrp-only, --check-only)')
      .description(
        'Run the daemon in the foreground: a supervisor that validates the file and runs the VRRP worker and the LVS worker as separate processes (systemd: Type=notify, SIGHUP reloads).',
      )
      .usage(
        '[-f FILE] [-i ID] [--run-dir DIR] [--metrics ADDR:PORT] [--lenient] [--[no-]realtime] [--vrrp-only | --check-only]',
      )
      .addOption(fileOption())
      .addOption(configIdOption())
      .addOption(runDirOption())
      .option(
        '--lenient',
        'keepalived keywords lvsd does not implement are warnings and ignored (as check-config --lenient), at start and on every reload',
      )
      .addOption(
        new Option(
          '--metrics <ADDR:PORT>',
          'serve Prometheus metrics of every worker on http://ADDR:PORT/metrics (overrides lvsd_metrics)',
        )
          .argParser(listenOption)
          .conflicts(['vrrpOnly', 'checkOnly']),
      )
      .option(
        '--realtime',
        'the VRRP worker runs realtime (SCHED_RR 40, RLIMIT_RTTIME) where global_defs does not set vrrp_rt_priority, vrrp_rlimit_rttime (the systemd unit passes it)',
      )
      .option(
        '--no-realtime',
        'cancel an earlier --realtime (e.g. LVSD_OPTS=--no-realtime in /etc/default/lvsd)',
      )
      .addOption(
        new Option('--vrrp-only', 'run only the VRRP engine, in this process').conflicts('checkOnly'),
      )
      .addOption(
        new Option('--check-only', 'run only the health checks and the IPVS manager, in this process'),
      )
      // internal: the supervisor hands its workers the validated model (src/daemon/run-config.ts)
      .addOption(new Option('--model <FILE>').hideHelp())
      // internal: a worker forked before the model is validated waits for the supervisor's word
      .addOption(new Option('--await-model').hideHelp())
      .action(cli.act((o: RunCommandOptions) => runDaemon(o, cli.io)))
  );
}

/** `lvsd run ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}
