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
import type { Command } from 'commander';
import { Option } from 'commander';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { loadTimeoutMs, resolveLimits } from '../../config/limits.js';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { ReloadOutcome } from '../../daemon/reloader.js';
import type { CliRun } from '../command.js';
import { jsonOption, runDirOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';

interface ReloadOptions {
  runDir?: string;
  json?: boolean;
  dryRun?: boolean;
  file?: string;
}

export function register(parent: Command, cli: CliRun): Command {
  return subcommand(parent, 'reload', cli)
    .summary('reload the running daemon and wait for the outcome')
    .description(
      'Ask the running daemon to reload its configuration file (as SIGHUP does) and wait: a file that does not validate changes nothing and its findings are printed (exit 1); otherwise each worker applies it as a diff and says what it changed (exit 0 when every worker did). With --dry-run nothing is applied: it shows what reloading the edited file (or FILE) would change on this director.',
    )
    .usage('[--dry-run [-f FILE]] [--run-dir DIR] [--json]')
    .option('--dry-run', 'show what a reload would change, apply nothing')
    .addOption(
      new Option('-f, --file <FILE>', 'with --dry-run: preview this file instead of the running one'),
    )
    .addOption(runDirOption())
    .addOption(jsonOption('the outcome'))
    .action(cli.act((o: ReloadOptions) => reload(o, cli.io)));
}

/** `lvsd reload ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

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

/**
 * How long to wait for the supervisor's answer: its validator's timeout for the loading limits of
 * this environment (the daemon's, when `lvsd reload` runs with /etc/default/lvsd's variables, as
 * systemd's ExecReload does), then 180 s for the workers' reloads (120 s each, in parallel) and the
 * start or stop of a worker. 300 s with the default limits.
 */
const replyWaitMs = (): number => loadTimeoutMs(resolveLimits(process.env).limits) + 180_000;

async function reload(o: ReloadOptions, io: CliIo): Promise<number> {
  if (o.file !== undefined && !o.dryRun) {
    io.stderr("lvsd reload: -f FILE goes with --dry-run (a reload reads the running configuration's file)\n");
    return 2;
  }
  const path = join(o.runDir ?? runDirectory(), 'supervisor.sock');
  const file = o.file === undefined ? undefined : resolve(o.file);
  let outcome: ReloadOutcome;
  try {
    const reply = await controlRequest(
      path,
      { cmd: 'reload', ...(o.dryRun ? { dryRun: true } : {}), ...(file !== undefined ? { file } : {}) },
      replyWaitMs(),
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
  if (o.json) io.stdout(JSON.stringify(outcome, null, 2) + '\n');
  for (const d of outcome.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
  if (!o.json) {
    if (outcome.diagnostics.some((d) => d.severity === 'error'))
      io.stderr('lvsd reload: configuration refused; the running configuration stays in force\n');
    for (const w of outcome.started)
      io.stdout(`worker ${w}: ${outcome.dryRun ? 'would be started' : 'started'}\n`);
    for (const w of outcome.stopped)
      io.stdout(`worker ${w}: ${outcome.dryRun ? 'would be stopped' : 'stopped'}\n`);
    const done = outcome.dryRun ? 'would change' : 'reloaded';
    for (const w of outcome.workers) {
      const failed = `NOT ${outcome.dryRun ? 'planned' : 'reloaded'} (${w.error ?? 'failed'})`;
      io.stdout(`worker ${w.worker}: ${w.ok ? done : failed}\n`);
      for (const l of summaryLines(w.summary)) io.stdout(`${l}\n`);
    }
    if (outcome.dryRun) io.stdout('(dry run: nothing was applied)\n');
  }
  return outcome.ok ? 0 : 1;
}
