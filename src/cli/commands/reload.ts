// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd reload [--dry-run [-f FILE]] [--run-dir DIR] [--json]`: ask the running supervisor to reload
 * its configuration (systemd's ExecReload) and wait for the outcome: the file is validated first; a
 * refused file changes nothing and its diagnostics are printed (exit 1); otherwise each worker
 * applies it as a diff and says what it changed (exit 0 when all did, 1 when one did not). With
 * `--dry-run` nothing is applied: it prints what reloading the edited file (or FILE) would change on
 * this running director — VRRP instances kept, carried, replaced, added or removed, VIPs added or
 * removed, and the IPVS changes as ipvsadm lines.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { ReloadOutcome } from '../../daemon/supervisor-main.js';
import type { CliIo } from '../io.js';

const usage = 'usage: lvsd reload [--dry-run [-f FILE]] [--run-dir DIR] [--json]\n';

interface PlanSummary {
  unchanged: string[];
  added: string[];
  removed: string[];
  carried: string[];
  replaced: string[];
  changes: Record<
    string,
    { replacedBecause: string[]; vipsAdded: string[]; vipsRemoved: string[]; settings: string[] }
  >;
  notApplied: string[];
}

/** A worker's summary as lines: the VRRP plan by instance, the IPVS ops as ipvsadm lines. */
export function summaryLines(summary: unknown): string[] {
  const out: string[] = [];
  const s = summary as { vrrp?: PlanSummary; ipvs?: string[] } | undefined;
  const p = s?.vrrp;
  if (p) {
    for (const n of p.carried) {
      const c = p.changes[n];
      const what = [
        ...(c?.settings ?? []),
        ...(c?.vipsAdded ?? []).map((v) => `+VIP ${v}`),
        ...(c?.vipsRemoved ?? []).map((v) => `-VIP ${v}`),
      ];
      out.push(`  ${n}: kept in its state, changed: ${what.join(', ') || 'nothing'}`);
    }
    for (const n of p.replaced)
      out.push(
        `  ${n}: restarted (a new router to its peers: ${p.changes[n]?.replacedBecause.join(', ') ?? ''})`,
      );
    for (const n of p.added) out.push(`  ${n}: added`);
    for (const n of p.removed) out.push(`  ${n}: removed (releases its VIPs)`);
    if (p.unchanged.length > 0) out.push(`  unchanged: ${p.unchanged.join(', ')}`);
    for (const x of p.notApplied) out.push(`  not applied until restart: ${x}`);
  }
  if (s?.ipvs) {
    for (const l of s.ipvs) out.push(`  ${l}`);
    out.push(`  # ${s.ipvs.length} IPVS operation${s.ipvs.length === 1 ? '' : 's'}`);
  }
  return out;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'run-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        file: { type: 'string', short: 'f' },
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
  if (values.file !== undefined && !values['dry-run']) {
    io.stderr(
      `lvsd reload: -f FILE goes with --dry-run (a reload reads the running configuration's file)\n${usage}`,
    );
    return 2;
  }
  const path = join(values['run-dir'] ?? runDirectory(), 'supervisor.sock');
  const dryRun = values['dry-run'];
  const file = values.file === undefined ? undefined : resolve(values.file);
  let outcome: ReloadOutcome;
  try {
    const reply = await controlRequest(
      path,
      { cmd: 'reload', ...(dryRun ? { dryRun } : {}), ...(file !== undefined ? { file } : {}) },
      300_000,
    );
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
    const done = outcome.dryRun ? 'would change' : 'reloaded';
    for (const w of outcome.workers) {
      io.stdout(
        `worker ${w.worker}: ${w.ok ? done : `NOT ${outcome.dryRun ? 'planned' : 'reloaded'} (${w.error ?? 'failed'})`}\n`,
      );
      for (const l of summaryLines(w.summary)) io.stdout(`${l}\n`);
    }
    if (outcome.dryRun) io.stdout('(dry run: nothing was applied)\n');
  }
  return outcome.ok ? 0 : 1;
}
