// SPDX-License-Identifier: Apache-2.0
/**
 * VRRP failover benchmark, lvsd vs keepalived side by side in one run (root; network namespaces
 * on a bridge made by test/netns/harness.ts; traffic stays inside them). Method as in
 * /work/shared/reference/keepalived-measured.md: an AF_PACKET sniffer on the bridge (kernel
 * timestamps) and `ip -ts monitor address` in the backup's namespace; each SIGKILL falls at a
 * random phase of the advert timer; times are measured from the dead master's LAST ADVERT.
 *  1. 20 SIGKILL failovers per implementation, v3, advert_int 0.1, priorities 150/100:
 *     last advert → VIP on the backup, last advert → first GARP (p50/p99/max).
 *  2. lvsd timer lateness (its own histogram) while another process burns CPU.
 *  3. 200 instances failing over at once (v3, advert_int 1): per VRID last advert → VIP.
 *  4. CPU of 200 masters / 200 backups at 1 s adverts over a 20 s window.
 * Writes bench/results/failover.md. Usage: node dist/bench/failover.js [--trials N]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { createLab, repoRoot, sleep, waitFor, type LabNode } from '../test/netns/harness.js';
import { type InstanceConf } from '../test/netns/vrrp/conf.js';
import { manyCpu, type Impl } from './lib/vrrp-cpu.js';
import { f1, manyFailover, sigkillFailovers, start, type ManyResult, type Trial } from './lib/failovers.js';
import { machineAndKeepalived, quantile } from './lib/summary.js';

const TRIALS = Number(process.argv[process.argv.indexOf('--trials') + 1]) || 20;

/** Part 2: lvsd timer lateness with a CPU burner running (same namespace pair, 0.1 s adverts). */
async function latenessUnderLoad(seconds: number): Promise<{ burn: object; idle: object }> {
  const lab = await createLab(2);
  try {
    const [n1, n2] = lab.nodes as [LabNode, LabNode];
    const inst = (p: number): InstanceConf[] => [
      { priority: p, version: 3, advertInt: 0.1, vips: [`10.${lab.net}.0.100/32`] },
    ];
    const d1 = start('lvsd', lab, n1, inst(150));
    const d2 = start('lvsd', lab, n2, inst(100));
    await waitFor('master', () => lab.hasAddress(n1, `10.${lab.net}.0.100`), 10_000);
    await sleep(seconds * 1000);
    const idle = (await d1.stats()).timerLateness;
    const burners = cpus().map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    await sleep(seconds * 1000);
    const s = await d1.stats();
    for (const b of burners) b.kill('SIGKILL');
    d2.kill('SIGKILL');
    return {
      idle,
      burn: {
        ...s.timerLateness,
        note: `${burners.length} busy-loop processes (one per CPU), counts include the idle phase`,
      },
    };
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/failover needs root (network namespaces)');
  const started = new Date();
  const loadStart = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const rows: string[] = [];
  const res: Record<Impl, Trial[]> = { lvsd: [], keepalived: [] };
  // each part may fail on an overloaded machine: report it as missing instead of losing the rest
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      process.stderr.write(`bench/failover: ${what}: ${(e as Error).message}\n`);
      return undefined;
    }
  };
  for (const impl of ['lvsd', 'keepalived'] as const)
    res[impl] = (await attempt(`failovers ${impl}`, () => sigkillFailovers(impl, TRIALS))) ?? [];
  const lat: object = (await attempt('lateness', () => latenessUnderLoad(5))) ?? { failed: true };
  const manyRes: Record<Impl, ManyResult | undefined> = { lvsd: undefined, keepalived: undefined };
  for (const impl of ['lvsd', 'keepalived'] as const)
    manyRes[impl] = await attempt(`200 failover ${impl}`, () => manyFailover(impl));
  const cpu: Record<Impl, { master: number; backup: number } | undefined> = {
    lvsd: undefined,
    keepalived: undefined,
  };
  for (const impl of ['lvsd', 'keepalived'] as const)
    cpu[impl] = await attempt(`200 CPU ${impl}`, () => manyCpu(impl, 20));
  // (bench/vrrp-cpu.ts repeats this part alone, in rounds, with a longer window)

  const mdi = 300 + (156 / 256) * 100; // 360.9 ms at priority 100, 0.1 s adverts
  rows.push(`# VRRP failover: lvsd vs keepalived`, '');
  rows.push(
    `Machine: ${hostname()}, ${machineAndKeepalived()}. Date: ${started.toISOString()}. Command: \`node dist/bench/failover.js\` (root). ` +
      `Load average at start / end: ${loadStart} / ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}.`,
    '',
    'Method: as in keepalived-measured.md (bridge sniffer with kernel timestamps; `ip -ts monitor address` in the',
    "backup's namespace; kill at a random phase; times from the dead master's last advert). The machine is shared",
    'with other jobs (2 CPUs), so outliers are load, not protocol.',
    '',
    `## 1. SIGKILL failover, v3, advert_int 0.1, backup priority 100 (Master_Down_Interval ${mdi.toFixed(1)} ms), ${TRIALS} trials each`,
    '',
    '| impl | n | last advert → VIP p50 | p99 | max | last advert → first GARP p50 | p99 | max |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const impl of ['lvsd', 'keepalived'] as const) {
    const v = res[impl].map((t) => t.toVip);
    const g = res[impl].map((t) => t.toGarp);
    rows.push(
      `| ${impl} | ${v.length} | ${f1(quantile(v, 0.5))} | ${f1(quantile(v, 0.99))} | ${f1(quantile(v, 1))} | ${f1(quantile(g, 0.5))} | ${f1(quantile(g, 0.99))} | ${f1(quantile(g, 1))} |`,
    );
  }
  rows.push('', `Goal: MDI + ≤ 2 ms at p99 (${(mdi + 2).toFixed(1)} ms).`, '');
  rows.push('## 2. lvsd timer lateness (ms; its own histogram, bucket upper bounds for p50/p99)', '');
  rows.push('```json', JSON.stringify(lat, null, 2), '```', '');
  rows.push('## 3. 200 instances failing over at once (v3, advert_int 1, MDI 3609 ms)', '');
  rows.push(
    '| impl | VIPs measured | kill → first VIP | kill → last VIP | last advert → VIP min | p50 | max |',
    '|---|---|---|---|---|---|---|',
  );
  for (const impl of ['lvsd', 'keepalived'] as const) {
    const m = manyRes[impl];
    if (!m) {
      rows.push(`| ${impl} | failed (see stderr) | | | | | |`);
      continue;
    }
    rows.push(
      `| ${impl} | ${m.vips} | ${f1(m.firstVipAfterKill)} | ${f1(m.lastVipAfterKill)} | ${f1(m.lastAdvertToVip.min)} | ${f1(m.lastAdvertToVip.p50)} | ${f1(m.lastAdvertToVip.max)} |`,
    );
  }
  rows.push('', 'Goal: the last VIP within MDI + 20 ms of its last advert (3629 ms).', '');
  rows.push(
    '## 4. CPU, 200 instances at 1 s adverts, 20 s window (schedstat of every thread; % of one CPU, all processes of the node)',
    '',
  );
  rows.push('| impl | 200 masters | 200 backups |', '|---|---|---|');
  for (const impl of ['lvsd', 'keepalived'] as const) {
    const c = cpu[impl];
    rows.push(
      c ? `| ${impl} | ${c.master.toFixed(2)} % | ${c.backup.toFixed(2)} % |` : `| ${impl} | failed | |`,
    );
  }
  rows.push('', 'Goal: lvsd ≤ keepalived (about 1 % for 200 masters).', '');
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'failover.md'), rows.join('\n'));
  process.stdout.write(rows.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/failover: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
