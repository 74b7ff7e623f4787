// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd reload [--run-dir DIR] [--json]`: ask the running supervisor to reload its configuration
 * (systemd's ExecReload) and wait for the outcome: the file is validated first; a refused file
 * changes nothing and its diagnostics are printed (exit 1); otherwise each worker applies it as a
 * diff and says whether it did (exit 0 when all did, 1 when one did not).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { ReloadOutcome } from '../../daemon/supervisor-main.js';
import type { CliIo } from '../io.js';

const usage = 'usage: lvsd reload [--run-dir DIR] [--json]\n';

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'run-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr(`lvsd reload: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const path = join(values['run-dir'] ?? runDirectory(), 'supervisor.sock');
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
  if (values.json) io.stdout(JSON.stringify(outcome, null, 2) + '\n');
  for (const d of outcome.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
  if (!values.json) {
    if (outcome.diagnostics.some((d) => d.severity === 'error'))
      io.stderr('lvsd reload: configuration refused; the running configuration stays in force\n');
    for (const w of outcome.started) io.stdout(`worker ${w}: started\n`);
    for (const w of outcome.stopped) io.stdout(`worker ${w}: stopped\n`);
    for (const w of outcome.workers)
      io.stdout(`worker ${w.worker}: ${w.ok ? 'reloaded' : `NOT reloaded (${w.error ?? 'failed'})`}\n`);
  }
  return outcome.ok ? 0 : 1;
}
