// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd status [--json] [--run-dir DIR]`: what the running daemon is doing. It asks each worker over
 * its control socket (`vrrp.sock` for the VRRP worker, `lvsd.sock` for the LVS worker, both in the run
 * directory, default /run/lvsd) and prints VRRP instances (state, priority, VIPs held, master seen)
 * and virtual servers (quorum, reals with weight and check results), each virtual and real server
 * in the form `lvsd real drain VS RS` takes. A worker that does not answer is reported as such,
 * unless the supervisor (`supervisor.sock`) says it runs no such worker: the configuration has no
 * vrrp_instance (a BGP-only or check-only director) or no virtual_server, and the section says so.
 * A worker applying its first configuration, or one the supervisor has started that has not said
 * ready, is shown as starting (`starting` in `--json`); one waiting to be restarted says so.
 * Exit 0 when at least one worker answered, 1 when none did, 2 on usage errors.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { BgpStatus } from '../../bgp/announcements.js';
import type { LvsStatus } from '../../check/manager.js';
import type { DrillReport } from '../../vrrp/drill.js';
import { controlRequest } from '../../daemon/control.js';
import { runDirectory } from '../../daemon/run-options.js';
import type { WorkerProcessStatus } from '../../daemon/worker.js';
import type { CliRun } from '../command.js';
import { jsonOption, runDirOption, runOne, subcommand } from '../command.js';
import { formatDrill } from './drill.js';
import type { CliIo } from '../io.js';
import { realServerText, virtualServerText } from '../../core/server-ref.js';

interface VrrpInstanceStatus {
  name: string;
  vrid: number;
  family: string;
  state: string;
  effectivePriority: number;
  /** Held at priority 1 by `lvsd drill failover --no-back` until `lvsd drill back`. */
  drillHold?: boolean;
  masterSrc: string | null;
  vipsHeld: string[];
  trackers?: Array<{ kind: string; name: string; ok: boolean }>;
}

/** `starting`: the worker answered that its first configuration is being applied (LVSD_E_STARTING). */
type Answer<T> = { ok: true; value: T } | { ok: false; error: string; starting?: true };

async function ask<T>(path: string): Promise<Answer<T>> {
  try {
    const reply = await controlRequest(path, { cmd: 'status' }, 5000);
    if (reply.ok) return { ok: true, value: reply.result as T };
    return { ok: false, error: reply.error, ...(reply.code === 'LVSD_E_STARTING' ? { starting: true } : {}) };
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
    i.state.toUpperCase() + (i.drillHold ? ' (drill hold)' : ''),
    String(i.effectivePriority),
    i.state === 'master' ? '-' : (i.masterSrc ?? '-'),
    i.vipsHeld.length ? i.vipsHeld.map(vipText).join(',') : '-',
  ]);
  return table(['INSTANCE', 'VRID', 'FAMILY', 'STATE', 'PRIO', 'MASTER', 'VIPS HELD'], rows);
}

/**
 * The worker's scheduling, when there is something to say (realtime, a nice value, an overrun, a
 * refused call): `  worker: SCHED_RR 40, RLIMIT_RTTIME 200 ms, 0 overruns, longest GC pause 5.3 ms`.
 */
export function formatProcess(p: WorkerProcessStatus | undefined): string {
  if (!p || (p.policy !== 'SCHED_RR' && p.nice === 0 && p.overruns === 0 && p.refused.length === 0))
    return '';
  const parts = [p.policy === 'SCHED_RR' ? `SCHED_RR ${p.rtPriority ?? '?'}` : p.policy];
  if (p.nice !== 0) parts.push(`nice ${p.nice}`);
  if (p.rlimitRttimeUs !== undefined)
    parts.push(
      `RLIMIT_RTTIME ${p.rlimitRttimeUs / 1000} ms, ${p.overruns} overrun${p.overruns === 1 ? '' : 's'}`,
    );
  parts.push(`longest GC pause ${p.gc.maxPauseMs.toFixed(1)} ms`);
  const refused = p.refused.map((r) => `\n  refused by the kernel: ${r}`).join('');
  return `  worker: ${parts.join(', ')}${refused}\n`;
}

interface VrrpStatus {
  process?: WorkerProcessStatus;
  instances: VrrpInstanceStatus[];
  lastDrill?: DrillReport[];
  lastDrillAgoMs?: number;
}

/** The last `lvsd drill` this worker ran, as the drill printed it, with how long ago. */
export function formatLastDrill(s: VrrpStatus): string {
  if (!s.lastDrill) return '';
  const ago = Math.round((s.lastDrillAgoMs ?? 0) / 1000);
  return `\nLast drill, ${ago} s ago\n` + s.lastDrill.map(formatDrill).join('');
}

export function formatLvs(status: LvsStatus): string {
  const out: string[] = [];
  for (const vs of status.virtualServers) {
    out.push(`${virtualServerText(vs.vs)}  quorum ${vs.quorumUp ? 'up' : 'DOWN'}`);
    for (const rs of vs.reals) {
      const state = rs.drained ? 'drained' : rs.alive ? 'up' : 'DOWN';
      const checks = rs.checks
        .map((c) => `${c.kind}:${c.up ? 'ok' : 'fail'}${c.up || !c.lastFailure ? '' : ` (${c.lastFailure})`}`)
        .join(' ');
      out.push(
        `  -> ${realServerText(rs.rs).padEnd(28)} ${state.padEnd(8)} weight ${String(rs.weight).padEnd(5)} ${checks}`,
      );
    }
  }
  return out.length ? out.join('\n') + '\n' : 'no virtual servers\n';
}

/** The BGP announcements: each VIP's state and why, and the engine's sessions when lvsd reads them. */
export function formatBgp(b: BgpStatus): string {
  const vipRows = b.vips.map((v) => [
    v.vip,
    v.announced ? 'announced' : 'withdrawn',
    v.reason === 'no-quorum'
      ? `no quorum: ${v.withoutQuorum.map(virtualServerText).join(',')}`
      : (v.reason ?? ''),
    v.services.map(virtualServerText).join(','),
    v.lastError ? `engine refused: ${v.lastError}` : '',
  ]);
  let out = `table ${b.table}${b.drained ? ', director DRAINED (lvsd undrain announces again)' : ''}\n`;
  out += table(['VIP', 'STATE', 'WHY', 'VIRTUAL SERVERS', 'ERROR'], vipRows);
  if (b.sessions)
    out += table(
      ['BGP SESSION', 'STATE', 'INFO'],
      b.sessions.map((s) => [s.name, s.state, s.info]),
    );
  if (b.sessionsError) out += `BGP sessions not read: ${b.sessionsError}\n`;
  return out;
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

export function register(parent: Command, cli: CliRun): Command {
  return subcommand(parent, 'status', cli)
    .summary('show instances, virtual and real servers')
    .description(
      'Ask the running daemon (both workers) what it is doing: VRRP instances with their state, priority and VIPs; virtual servers with their quorum, reals, weights and checks. Virtual and real servers are printed as `lvsd real drain VS RS` takes them. Exit 0 when a worker answered, 1 when none did.',
    )
    .usage('[--json] [--run-dir DIR]')
    .addOption(jsonOption("each worker's answer"))
    .addOption(runDirOption())
    .action(cli.act((o: { json?: boolean; runDir?: string }) => status(o, cli.io)));
}

/** `lvsd status ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

/** What the supervisor says of its workers (`supervisor.sock`). */
interface SupervisorStatus {
  workers: Array<{ name: string; pid?: number; ready?: boolean; restarts?: number }>;
}

/** Why a section has no answer: the supervisor runs no such worker, else the error. */
const notConfigured = {
  vrrp: 'none configured: no vrrp_instance in the configuration, so no VRRP worker runs',
  lvs: 'none configured: no virtual_server in the configuration, so no LVS worker runs',
};

async function status(o: { json?: boolean; runDir?: string }, io: CliIo): Promise<number> {
  const dir = o.runDir ?? runDirectory();
  const [vrrp, lvs, sup] = await Promise.all([
    ask<VrrpStatus>(join(dir, 'vrrp.sock')),
    ask<LvsStatus & { bgp?: BgpStatus; process?: WorkerProcessStatus }>(join(dir, 'lvsd.sock')),
    ask<SupervisorStatus>(join(dir, 'supervisor.sock')),
  ]);
  const slot = (name: 'vrrp' | 'lvs') =>
    sup.ok && Array.isArray(sup.value.workers) ? sup.value.workers.find((w) => w.name === name) : undefined;
  // a worker the supervisor does not run is not configured, not failing
  const absent = (name: 'vrrp' | 'lvs'): boolean => sup.ok && Array.isArray(sup.value.workers) && !slot(name);
  // one the supervisor has started and that has not said ready is starting (its socket comes up
  // once it has read its model), or, without a pid, waiting to be restarted
  const starting = (a: { starting?: true }, name: 'vrrp' | 'lvs'): boolean => {
    const w = slot(name);
    return a.starting === true || (w !== undefined && w.ready === false && w.pid !== undefined);
  };
  if (o.json) {
    const part = <T>(a: Answer<T>, name: 'vrrp' | 'lvs') =>
      a.ok
        ? a.value
        : absent(name)
          ? { notConfigured: true }
          : { error: a.error, ...(starting(a, name) ? { starting: true } : {}) };
    io.stdout(JSON.stringify({ vrrp: part(vrrp, 'vrrp'), lvs: part(lvs, 'lvs') }, null, 2) + '\n');
  } else {
    const notAnswering = (a: { error: string; starting?: true }, name: 'vrrp' | 'lvs'): string => {
      const w = slot(name);
      if (starting(a, name)) return `starting: applying its configuration${w?.pid ? ` (pid ${w.pid})` : ''}`;
      if (w && w.pid === undefined)
        return `not running: waiting to be restarted (restarts: ${w.restarts ?? 0})`;
      return `not answering: ${a.error}`;
    };
    const why = (a: { error: string; starting?: true }, name: 'vrrp' | 'lvs'): string =>
      `  ${absent(name) ? notConfigured[name] : notAnswering(a, name)}\n`;
    io.stdout('VRRP\n');
    io.stdout(
      vrrp.ok
        ? formatVrrp(vrrp.value.instances) + formatProcess(vrrp.value.process) + formatLastDrill(vrrp.value)
        : why(vrrp, 'vrrp'),
    );
    io.stdout('\nLVS\n');
    io.stdout(lvs.ok ? formatLvs(lvs.value) + formatProcess(lvs.value.process) : why(lvs, 'lvs'));
    if (lvs.ok && lvs.value.bgp) io.stdout('\nBGP\n' + formatBgp(lvs.value.bgp));
  }
  return vrrp.ok || lvs.ok ? 0 : 1;
}
