// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd drill failover [INSTANCE...|--all] [--no-back] [--timeout S] [--json] [--run-dir DIR]`: on
 * a live director, hand MASTER instances over to their peer and measure it (src/vrrp/drill.ts):
 * the peer's first advert as master, the VIPs gone here, the VIPs answering through the peer (the
 * neighbour entry and a TCP connect to each virtual server on them), then the instance taken back
 * unless `--no-back`. Refused, with the reason, when the instance is not MASTER or no peer takes
 * over (the instance then stays MASTER with its VIPs). `lvsd drill back [INSTANCE...|--all]` ends
 * the hold a `--no-back` drill left. Exit 0 when every drill succeeded, 1 otherwise, 2 on usage.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { DrillReport } from '../../vrrp/drill.js';
import type { CliRun } from '../command.js';
import { jsonOption, runDirOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';

const ms = (x: number | undefined): string => (x === undefined ? '-' : `${Math.round(x)} ms`);

/** A drill report as the operator reads it. */
export function formatDrill(r: DrillReport): string {
  const lines = [
    `drill ${r.instance}: ${r.ok ? `handed over to ${r.peer ?? 'the peer'}` : `FAILED: ${r.error ?? ''}`}`,
  ];
  if (r.peerMasterMs !== undefined) lines.push(`  peer advertised as master after  ${ms(r.peerMasterMs)}`);
  if (r.vipsGoneMs !== undefined) lines.push(`  VIPs gone here after             ${ms(r.vipsGoneMs)}`);
  if (r.vipsAnswerMs !== undefined) lines.push(`  VIPs answer through the peer     ${ms(r.vipsAnswerMs)}`);
  for (const [vip, a] of Object.entries(r.answers ?? {})) {
    const tcp = a.tcp.map((c) => `tcp/${c.port} ${c.ok ? 'ok' : (c.error ?? 'failed')}`).join(', ');
    lines.push(`    ${vip} -> ${a.mac ?? 'unresolved'}${tcp ? `, ${tcp}` : ''}`);
  }
  if (r.back)
    lines.push(
      `  taken back: ${r.back.ok ? `MASTER again after ${ms(r.back.masterMs)}` : `NO: ${r.back.error ?? ''}`}`,
    );
  return lines.join('\n') + '\n';
}

interface DrillOptions {
  all?: boolean;
  back: boolean;
  timeout: string;
  json?: boolean;
  runDir?: string;
}

export function register(parent: Command, cli: CliRun): Command {
  const drill = subcommand(parent, 'drill', cli)
    .summary('hand MASTER over to the peer and measure it, then take it back')
    .usage('failover [INSTANCE...|--all] [--no-back] [--timeout S] [--json] | back [INSTANCE...|--all]');
  subcommand(drill, 'failover', cli)
    .summary('hand MASTER instances over to their peer, measure, take them back')
    .description(
      'On this live director, each MASTER instance named (default: all) lets its peer take over: one priority-0 advert, then it keeps its VIPs at priority 1 until the peer advertises. Measured: the peer advertising as master, the VIPs gone here, the VIPs answering through the peer (neighbour MAC, a TCP connect to each virtual server on them); then the instance is taken back unless --no-back. Refused, with the reason, when an instance is not MASTER or no peer takes over (it then stays MASTER with its VIPs). Exit 0 when every drill succeeded.',
    )
    .usage('[INSTANCE...|--all] [--no-back] [--timeout S] [--json] [--run-dir DIR]')
    .argument('[instances...]')
    .option('--all', 'every MASTER instance (the default)')
    .option('--no-back', 'leave the peer MASTER (`lvsd drill back` ends the hold)')
    .option('--timeout <seconds>', 'how long each step may take', '15')
    .addOption(jsonOption('the reports'))
    .addOption(runDirOption())
    .action(cli.act((names: string[], o: DrillOptions) => failover(names, o, cli.io)));
  subcommand(drill, 'back', cli)
    .summary('end the hold a --no-back drill left')
    .usage('[INSTANCE...|--all] [--run-dir DIR]')
    .argument('[instances...]')
    .option('--all', 'every held instance (the default)')
    .addOption(runDirOption())
    .action(cli.act((names: string[], o: { all?: boolean; runDir?: string }) => back(names, o, cli.io)));
  return drill;
}

/** `lvsd drill ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

const socketOf = (runDir: string | undefined): string => join(runDir ?? runDirectory(), 'vrrp.sock');

async function failover(names: string[], o: DrillOptions, io: CliIo): Promise<number> {
  const timeout = Number(o.timeout);
  if ((o.all && names.length > 0) || !(timeout > 0)) {
    io.stderr(`lvsd drill failover: ${o.all ? 'INSTANCE and --all exclude each other' : 'bad --timeout'}\n`);
    return 2;
  }
  const instances = names.length === 0 ? 'all' : names;
  try {
    const reply = await controlRequest(
      socketOf(o.runDir),
      { cmd: 'drill', instances, back: o.back, timeoutMs: timeout * 1000 },
      timeout * 3000 + 10_000,
    );
    if (!reply.ok) throw new Error(reply.error);
    const reports = reply.result as DrillReport[];
    if (o.json) io.stdout(JSON.stringify(reports, null, 2) + '\n');
    else for (const r of reports) io.stdout(formatDrill(r));
    return reports.every((r) => r.ok && (r.back === undefined || r.back.ok)) ? 0 : 1;
  } catch (e) {
    io.stderr(`lvsd drill: ${(e as Error).message}\n`);
    return 1;
  }
}

async function back(names: string[], o: { all?: boolean; runDir?: string }, io: CliIo): Promise<number> {
  try {
    const reply = await controlRequest(socketOf(o.runDir), {
      cmd: 'drill-release',
      instances: names.length === 0 ? 'all' : names,
    });
    if (!reply.ok) throw new Error(reply.error);
    const released = (reply.result as { released: string[] }).released;
    io.stdout(released.length ? `released: ${released.join(', ')}\n` : 'no instance was held by a drill\n');
    return 0;
  } catch (e) {
    io.stderr(`lvsd drill: ${(e as Error).message}\n`);
    return 1;
  }
}
