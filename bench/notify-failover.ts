// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (root; network namespaces made by test/netns/harness.ts, traffic stays in them): 200
 * VRRP instances failing over at once, each with a `notify_master` script, as operators' configs
 * have them, lvsd against keepalived in one run, quiet and with both cores busy (`stress-ng --cpu
 * N`, when installed). What it shows: what starting 200 scripts in the takeover's turn costs the
 * VIPs that follow. Per VRID, the dead master's last advert → its VIP on the backup (v3, advert_int
 * 1, backup priority 100: Master_Down_Interval 3609 ms), as bench/failover.ts part 3 measures it.
 * `--before DIR`: another built checkout's lvsd too (an A/B of two builds in the same run).
 * Writes bench/results/notify-failover.md with the machine, the date and the load average.
 * Usage: node dist/bench/notify-failover.js [--rounds N] [--before DIR]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { f1, manyFailover, type ManyResult } from './lib/failovers.js';
import { loadAverage, machineAndKeepalived, writeReport } from './lib/summary.js';
import { vrrpSides } from './lib/vrrp-cpu.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, before: { type: 'string' } },
});
const ROUNDS = Number(args.rounds);
const MDI = 3609;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/notify-failover needs root (network namespaces)');
  const started = new Date();
  const loadStart = loadAverage(1);
  const sides = vrrpSides(args.before);
  const stressNg = spawnSync('stress-ng', ['--version']).status === 0;
  const rows: string[] = [];
  for (const busy of stressNg ? [false, true] : [false]) {
    // sides alternate within each round, so a change of the machine's speed falls on all of them
    const res = new Map<string, ManyResult[]>(sides.map((s) => [s.label, []]));
    for (let r = 0; r < ROUNDS; r++)
      for (const side of sides) {
        const stress = busy
          ? spawn('stress-ng', ['--cpu', String(cpus().length), '--timeout', '300'], { stdio: 'ignore' })
          : undefined;
        try {
          const one = await manyFailover(side.impl, {
            extra: ['notify_master "/bin/true"'],
            ...(side.bin ? { lvsdBin: side.bin } : {}),
          });
          res.get(side.label)!.push(one);
        } catch (e) {
          process.stderr.write(`${side.label}, round ${r + 1}: ${(e as Error).message}\n`);
        } finally {
          stress?.kill('SIGTERM');
        }
      }
    for (const side of sides)
      for (const [k, one] of res.get(side.label)!.entries())
        rows.push(
          `| ${busy ? 'both cores busy' : 'quiet'} | ${side.label} | ${k + 1} | ${one.vips} | ${f1(one.lastAdvertToVip.p50 - MDI)} | ${f1(one.lastAdvertToVip.max - MDI)} |`,
        );
  }
  const md = `# 200 instances with a notify script failing over at once: lvsd vs keepalived

Machine: ${hostname()}, ${machineAndKeepalived()}. Date: ${started.toISOString()}. Load average at start / end:
${loadStart} / ${loadAverage(1)}. Command: \`node dist/bench/notify-failover.js --rounds ${ROUNDS}${args.before ? ' --before DIR' : ''}\` (root).

Each of 200 VRRPv3 instances (advert_int 1, master priority 150, backup 100: Master_Down_Interval
${MDI} ms) has \`notify_master "/bin/true"\`; the master is SIGKILLed and every instance fails over
at once. Times per VRID from the dead master's last advert (a sniffer on the bridge, kernel
timestamps) to its VIP on the backup (\`ip -ts monitor address\`), less the Master_Down_Interval, in
ms; the p50 and the last of the 200. "Both cores busy": \`stress-ng --cpu ${cpus().length}\` ran beside
(${stressNg ? 'installed' : 'not installed: no such rows'}). The sides alternate within each round.

| load | daemon | round | VIPs | last advert → VIP − MDI, p50 | max |
|---|---|---|---|---|---|
${rows.join('\n')}

Reproduce: \`npm run bench notify-failover\` (root).
`;
  writeReport('notify-failover', md);
}

await main();
