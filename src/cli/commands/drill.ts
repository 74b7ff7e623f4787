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
import { parseArgs } from 'node:util';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { DrillReport } from '../../vrrp/drill.js';
import type { CliIo } from '../io.js';

const usage =
  'usage: lvsd drill failover [INSTANCE...|--all] [--no-back] [--timeout S] [--json] [--run-dir DIR]\n' +
  '       lvsd drill back [INSTANCE...|--all] [--run-dir DIR]\n';

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

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        all: { type: 'boolean', default: false },
        'no-back': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '15' },
        json: { type: 'boolean', default: false },
        'run-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr(`lvsd drill: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const [verb, ...names] = positionals;
  const timeout = Number(values.timeout);
  if ((verb !== 'failover' && verb !== 'back') || (values.all && names.length > 0) || !(timeout > 0)) {
    io.stderr(usage);
    return 2;
  }
  const instances = values.all || names.length === 0 ? 'all' : names;
  const path = join(values['run-dir'] ?? runDirectory(), 'vrrp.sock');
  try {
    if (verb === 'back') {
      const reply = await controlRequest(path, { cmd: 'drill-release', instances });
      if (!reply.ok) throw new Error(reply.error);
      const released = (reply.result as { released: string[] }).released;
      io.stdout(released.length ? `released: ${released.join(', ')}\n` : 'no instance was held by a drill\n');
      return 0;
    }
    const reply = await controlRequest(
      path,
      { cmd: 'drill', instances, back: !values['no-back'], timeoutMs: timeout * 1000 },
      timeout * 3000 + 10_000,
    );
    if (!reply.ok) throw new Error(reply.error);
    const reports = reply.result as DrillReport[];
    if (values.json) io.stdout(JSON.stringify(reports, null, 2) + '\n');
    else for (const r of reports) io.stdout(formatDrill(r));
    return reports.every((r) => r.ok && (r.back === undefined || r.back.ok)) ? 0 : 1;
  } catch (e) {
    io.stderr(`lvsd drill: ${(e as Error).message}\n`);
    return 1;
  }
}
