// SPDX-License-Identifier: Apache-2.0
/**
 * Realtime VRRP (issue 13), lvsd vs keepalived in one run (root; network namespaces, as
 * bench/failover.ts; stress-ng from apt).
 *  1. The VRRP worker's longest CPU burst and GC pause, which its RLIMIT_RTTIME must leave room for:
 *     200 backups at vrrp_rt_priority 40 take over from 200 masters at once, once per limit of a
 *     ladder; the kernel's own count (SIGXCPU at half the limit: the worker's `overruns`) and the
 *     worker's GC pauses, and whether the limit killed it.
 *  2. SIGKILL failover (v3, advert_int 0.1) with both CPUs busy (`stress-ng --cpu N`, one per CPU):
 *     lvsd and keepalived, each with and without realtime scheduling.
 *  3. 200 instances failing over at once, with and without realtime (the MDI + 20 ms), in
 *     rounds.
 * Writes bench/results/realtime.md.
 * Usage: node dist/bench/realtime.js [--trials N] [--ladder US,US,...|none] [--rounds N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { sleep, type Daemon } from '../test/netns/harness.js';
import { f1, manyFailover, sigkillFailovers, type Trial } from './lib/failovers.js';
import { loadAverage, machineAndKeepalived, quantile, writeReport } from './lib/summary.js';
import type { Impl } from './lib/vrrp-cpu.js';

const argAfter = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : process.argv[i + 1];
};
const TRIALS = Number(argAfter('--trials')) || 20;
const LADDER =
  argAfter('--ladder') === 'none'
    ? []
    : (argAfter('--ladder') ?? '5000,10000,20000,200000').split(',').map(Number);
const ROUNDS = Number(argAfter('--rounds')) || 3;

interface BurstRow {
  rttimeUs: number;
  alive: boolean;
  overruns?: number;
  gcMaxPauseMs?: number;
  gcCount?: number;
  lastVipMs?: number;
  vips: number;
}

interface WorkerProcess {
  overruns: number;
  policy: string;
  gc: { count: number; maxPauseMs: number };
}

/** Part 1: one mass takeover per RLIMIT_RTTIME of the ladder. */
async function bursts(): Promise<BurstRow[]> {
  const rows: BurstRow[] = [];
  for (const us of LADDER) {
    const inspect = async (d: Daemon): Promise<{ alive: boolean; process?: WorkerProcess }> => {
      await sleep(2000); // what the takeover's GARP repeats and adverts add
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) return { alive: false };
      const s = (await d.stats()) as unknown as { process: WorkerProcess };
      return { alive: true, process: s.process };
    };
    try {
      const r = await manyFailover('lvsd', {
        globals: ['vrrp_rt_priority 40', `vrrp_rlimit_rttime ${us}`],
        inspect,
      });
      const p = r.inspected?.process;
      if (p && p.policy !== 'SCHED_RR') throw new Error(`the worker is not realtime (${p.policy})`);
      rows.push({
        rttimeUs: us,
        alive: r.inspected?.alive ?? false,
        vips: r.vips,
        lastVipMs: r.lastAdvertToVip.max,
        ...(p ? { overruns: p.overruns, gcMaxPauseMs: p.gc.maxPauseMs, gcCount: p.gc.count } : {}),
      });
    } catch (e) {
      process.stderr.write(`bench/realtime: ladder ${us} us: ${(e as Error).message}\n`);
      rows.push({ rttimeUs: us, alive: false, vips: 0 });
    }
    process.stderr.write(`bench/realtime: ${JSON.stringify(rows.at(-1))}\n`);
  }
  return rows;
}

/** `stress-ng --cpu N` (one busy worker per CPU) until stopped. */
function stress(): ChildProcess {
  const r = spawnSync('stress-ng', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('stress-ng is needed (apt-get install stress-ng)');
  return spawn('stress-ng', ['--cpu', String(cpus().length), '--timeout', '0', '--quiet'], {
    stdio: 'ignore',
    detached: true,
  });
}

interface Variant {
  impl: Impl;
  realtime: boolean;
}

async function underStress(variants: Variant[]): Promise<Map<Variant, Trial[]>> {
  const out = new Map<Variant, Trial[]>();
  for (const v of variants) {
    const load = stress();
    try {
      await sleep(1000);
      out.set(v, await sigkillFailovers(v.impl, TRIALS, v.realtime ? ['vrrp_rt_priority 40'] : []));
    } catch (e) {
      process.stderr.write(`bench/realtime: ${v.impl} realtime=${v.realtime}: ${(e as Error).message}\n`);
      out.set(v, []);
    } finally {
      if (load.pid) process.kill(-load.pid, 'SIGKILL');
    }
    await sleep(2000);
  }
  return out;
}

interface ManyRow {
  impl: Impl;
  realtime: boolean;
  round: number;
  vips: number;
  p50?: number;
  lastVipMs?: number;
}

/** Part 3: 200 instances at once, each variant in rounds (keepalived once: its takeover is slow). */
async function manyAtOnce(): Promise<ManyRow[]> {
  const rows: ManyRow[] = [];
  const plan: Array<[Impl, boolean, number]> = [
    ['lvsd', true, ROUNDS],
    ['lvsd', false, ROUNDS],
    ['keepalived', true, 1],
    ['keepalived', false, 1],
  ];
  for (const [impl, realtime, rounds] of plan)
    for (let round = 1; round <= rounds; round++) {
      try {
        const r = await manyFailover(impl, { globals: realtime ? ['vrrp_rt_priority 40'] : [] });
        rows.push({
          impl,
          realtime,
          round,
          vips: r.vips,
          p50: r.lastAdvertToVip.p50,
          lastVipMs: r.lastAdvertToVip.max,
        });
      } catch (e) {
        process.stderr.write(`bench/realtime: 200 at once ${impl} ${realtime}: ${(e as Error).message}\n`);
        rows.push({ impl, realtime, round, vips: 0 });
      }
      process.stderr.write(`bench/realtime: ${JSON.stringify(rows.at(-1))}\n`);
    }
  return rows;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/realtime needs root (network namespaces)');
  const started = new Date();
  const loadStart = loadAverage();
  const burstRows = LADDER.length > 0 ? await bursts() : [];
  const variants: Variant[] = [
    { impl: 'lvsd', realtime: true },
    { impl: 'keepalived', realtime: true },
    { impl: 'lvsd', realtime: false },
    { impl: 'keepalived', realtime: false },
  ];
  const stressed = await underStress(variants);
  const many = await manyAtOnce();
  const manyMdi = 3000 + (156 / 256) * 1000;
  const mdi = 300 + (156 / 256) * 100;
  const lines = [
    '# Realtime VRRP: lvsd vs keepalived',
    '',
    `Machine: ${hostname()}, ${machineAndKeepalived()}. Date: ${started.toISOString()}.`,
    `Load average (1, 5, 15 min) at start ${loadStart}, at end ${loadAverage()}.`,
    `Command: \`node dist/bench/realtime.js --trials ${TRIALS} --ladder ${LADDER.join(',') || 'none'} --rounds ${ROUNDS}\` (root).`,
    '',
    '## 1. The VRRP worker at 200 instances: its longest CPU burst and GC pause',
    '',
    '200 backups (lvsd, `vrrp_rt_priority 40`, v3, advert_int 1) take over from 200 lvsd masters (normal scheduling) killed',
    'at once, once per `vrrp_rlimit_rttime`; the kernel sends SIGXCPU when the worker runs past half the limit without',
    'blocking (counted by the worker as `overruns`) and kills it at the whole. GC pauses: the worker’s perf_hooks',
    'entries over its whole life. Last VIP: the latest of the 200, from its master’s last advert (MDI 3609 ms).',
    '',
    '| vrrp_rlimit_rttime (µs) | SIGXCPU at (ms) | worker alive | overruns | GC pauses | longest GC pause (ms) | VIPs | last VIP (ms) |',
    '|---|---|---|---|---|---|---|---|',
    ...burstRows.map(
      (r) =>
        `| ${r.rttimeUs} | ${r.rttimeUs / 2000} | ${r.alive ? 'yes' : '**no**'} | ${r.overruns ?? 'n/a'} | ${r.gcCount ?? 'n/a'} | ${r.gcMaxPauseMs ?? 'n/a'} | ${r.vips} | ${f1(r.lastVipMs ?? NaN)} |`,
    ),
    '',
    `## 2. SIGKILL failover with every CPU busy (stress-ng --cpu ${cpus().length}), v3, advert_int 0.1 (MDI ${mdi.toFixed(1)} ms), ${TRIALS} trials each`,
    '',
    'Both directors of a pair run the same variant; realtime = `vrrp_rt_priority 40` (lvsd: with its default',
    'RLIMIT_RTTIME when it is given no `vrrp_rlimit_rttime`; keepalived: its 10 ms).',
    '',
    '| impl | realtime | n | last advert → VIP p50 | p99 | max | − MDI at p99 | last advert → first GARP p99 |',
    '|---|---|---|---|---|---|---|---|',
    ...variants.map((v) => {
      const t = stressed.get(v) ?? [];
      const vip = t.map((x) => x.toVip);
      const garp = t.map((x) => x.toGarp);
      return `| ${v.impl} | ${v.realtime ? 'SCHED_RR 40' : 'no'} | ${t.length} | ${f1(quantile(vip, 0.5))} | ${f1(quantile(vip, 0.99))} | ${f1(quantile(vip, 1))} | +${f1(quantile(vip, 0.99) - mdi)} | ${f1(quantile(garp, 0.99))} |`;
    }),
    '',
    `Goal: lvsd (realtime) ≤ MDI + 2 ms at p99 (${(mdi + 2).toFixed(1)} ms) under this load.`,
    '',
    `## 3. 200 instances failing over at once (v3, advert_int 1, MDI ${manyMdi.toFixed(0)} ms), no other load`,
    '',
    'As bench/failover.ts part 3, the backups with and without `vrrp_rt_priority 40` (the masters without); lvsd in',
    `${ROUNDS} rounds, keepalived in one (its takeover of 200 takes seconds). Per VRID: its master’s last advert → its VIP on the backup.`,
    '',
    '| impl | realtime | round | VIPs | p50 (ms) | last VIP (ms) | last VIP − MDI |',
    '|---|---|---|---|---|---|---|',
    ...many.map(
      (r) =>
        `| ${r.impl} | ${r.realtime ? 'SCHED_RR 40' : 'no'} | ${r.round} | ${r.vips} | ${f1(r.p50 ?? NaN)} | ${f1(r.lastVipMs ?? NaN)} | +${f1((r.lastVipMs ?? NaN) - manyMdi)} |`,
    ),
    '',
    `Goal: the last VIP ≤ MDI + 20 ms (${(manyMdi + 20).toFixed(0)} ms) in every run.`,
    '',
  ];
  writeReport('realtime', lines.join('\n'));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/realtime: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
