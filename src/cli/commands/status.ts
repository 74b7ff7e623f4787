// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd status [--json] [--run-dir DIR]`: what the running daemon is doing. It asks each worker over
 * its control socket (`vrrp.sock` for the VRRP worker, `lvsd.sock` for the LVS worker, both in the run
 * directory, default /run/lvsd) and prints VRRP instances (state, priority, VIPs held, master seen)
 * and virtual servers (quorum, reals with weight and check results). A worker that does not answer is
 * reported as such. Exit 0 when at least one worker answered, 1 when none did, 2 on usage errors.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LvsStatus } from '../../check/manager.js';
import { controlRequest } from '../../daemon/control.js';
import type { CliIo } from '../io.js';

interface VrrpInstanceStatus {
  name: string;
  vrid: number;
  family: string;
  state: string;
  effectivePriority: number;
  masterSrc: string | null;
  vipsHeld: string[];
  trackers?: Array<{ kind: string; name: string; ok: boolean }>;
}

type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

async function ask<T>(path: string): Promise<Answer<T>> {
  try {
    const reply = await controlRequest(path, { cmd: 'status' }, 5000);
    return reply.ok ? { ok: true, value: reply.result as T } : { ok: false, error: reply.error };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The VRRP worker keys held VIPs as `IFINDEX|ADDR/PREFIX`; operators want the address. */
function vipText(held: string): string {
  return held.slice(held.lastIndexOf('|') + 1);
}

export function formatVrrp(instances: VrrpInstanceStatus[]): string {
  const rows = instances.map((i) => [
    i.name,
    String(i.vrid),
    i.family === 'inet6' ? 'IPv6' : 'IPv4',
    i.state.toUpperCase(),
    String(i.effectivePriority),
    i.state === 'master' ? '-' : (i.masterSrc ?? '-'),
    i.vipsHeld.length ? i.vipsHeld.map(vipText).join(',') : '-',
  ]);
  return table(['INSTANCE', 'VRID', 'FAMILY', 'STATE', 'PRIO', 'MASTER', 'VIPS HELD'], rows);
}

export function formatLvs(status: LvsStatus): string {
  const out: string[] = [];
  for (const vs of status.virtualServers) {
    out.push(`${vs.vs}  quorum ${vs.quorumUp ? 'up' : 'DOWN'}`);
    for (const rs of vs.reals) {
      const state = rs.drained ? 'drained' : rs.alive ? 'up' : 'DOWN';
      const checks = rs.checks
        .map((c) => `${c.kind}:${c.up ? 'ok' : 'fail'}${c.up || !c.lastFailure ? '' : ` (${c.lastFailure})`}`)
        .join(' ');
      out.push(`  -> ${rs.rs.padEnd(28)} ${state.padEnd(8)} weight ${String(rs.weight).padEnd(5)} ${checks}`);
    }
  }
  return out.length ? out.join('\n') + '\n' : 'no virtual servers\n';
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, 'run-dir': { type: 'string' } },
      strict: true,
    }));
  } catch (e) {
    io.stderr(`lvsd status: ${(e as Error).message}\nusage: lvsd status [--json] [--run-dir DIR]\n`);
    return 2;
  }
  const dir = values['run-dir'] ?? process.env['LVSD_RUN_DIR'] ?? '/run/lvsd';
  const [vrrp, lvs] = await Promise.all([
    ask<{ instances: VrrpInstanceStatus[] }>(join(dir, 'vrrp.sock')),
    ask<LvsStatus>(join(dir, 'lvsd.sock')),
  ]);
  if (values.json) {
    const part = <T>(a: Answer<T>) => (a.ok ? a.value : { error: a.error });
    io.stdout(JSON.stringify({ vrrp: part(vrrp), lvs: part(lvs) }, null, 2) + '\n');
  } else {
    io.stdout('VRRP\n');
    io.stdout(vrrp.ok ? formatVrrp(vrrp.value.instances) : `  not answering: ${vrrp.error}\n`);
    io.stdout('\nLVS\n');
    io.stdout(lvs.ok ? formatLvs(lvs.value) : `  not answering: ${lvs.error}\n`);
  }
  return vrrp.ok || lvs.ok ? 0 : 1;
}
