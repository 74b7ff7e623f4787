// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd reload [--run-dir DIR] [--json]`: ask the running supervisor to reload its configuration
 * (systemd's ExecReload) and wait for the outcome: the file is validated first; a refused file
 * changes nothing and its diagnostics are printed (exit 1); otherwise each worker applies it as a
 * diff and says whether it did (exit 0 when all did, 1 when one did not).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { ReloadOutcome } from '../../daemon/supervisor-main.js';
import type { CliRun } from '../command.js';
import { jsonOption, runDirOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';

interface ReloadOptions {
  runDir?: string;
  json?: boolean;
}

export function register(parent: Command, cli: CliRun): Command {
  return subcommand(parent, 'reload', cli)
    .summary('reload the running daemon and wait for the outcome')
    .description(
      'Ask the running daemon to reload its configuration file (as SIGHUP does) and wait: a file that does not validate changes nothing and its findings are printed (exit 1); otherwise each worker applies it as a diff (exit 0 when every worker did).',
    )
    .usage('[--run-dir DIR] [--json]')
    .addOption(runDirOption())
    .addOption(jsonOption('the outcome'))
    .action(cli.act((o: ReloadOptions) => reload(o, cli.io)));
}

/** `lvsd reload ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

async function reload(o: ReloadOptions, io: CliIo): Promise<number> {
  const path = join(o.runDir ?? runDirectory(), 'supervisor.sock');
  let outcome: ReloadOutcome;
  try {
    const reply = await controlRequest(path, { cmd: 'reload' }, 300_000);
    if (!reply.ok) {
      io.stderr(`lvsd reload: ${reply.error}\n`);
      return 1;
    }
    outcome = reply.result as ReloadOutcome;
  } catch (e) {
    io.stderr(`lvsd reload: ${(e as Error).message}\n`);
    return 1;
  }
  if (o.json) io.stdout(JSON.stringify(outcome, null, 2) + '\n');
  for (const d of outcome.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
  if (!o.json) {
    if (outcome.diagnostics.some((d) => d.severity === 'error'))
      io.stderr('lvsd reload: configuration refused; the running configuration stays in force\n');
    for (const w of outcome.started) io.stdout(`worker ${w}: started\n`);
    for (const w of outcome.stopped) io.stdout(`worker ${w}: stopped\n`);
    for (const w of outcome.workers)
      io.stdout(`worker ${w.worker}: ${w.ok ? 'reloaded' : `NOT reloaded (${w.error ?? 'failed'})`}\n`);
  }
  return outcome.ok ? 0 : 1;
}
