// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): how long the LVS worker's drift check holds its event loop, on the real
 * ip_vs module in ONE VM run (issue 13: "the drift check is incremental and never runs on the
 * checkers' event loop"). The old check read the whole table and planned every owned service in one
 * go (`dump` + kept table + full reconcile); the new one takes one step a second: the services alone
 * (`dumpServices` + compare), or the destinations of a slice of services (`dumpDestinations` +
 * compare; a slice is 64 services or 1/30 of the table, the larger). Each is timed in-process, on the
 * driver lvsd runs, median of RUNS. keepalived is not beside it: it never reads the table again.
 * Writes bench/results/ipvs-drift.md. Run as root: `npm run bench ipvs-drift` (boots
 * scripts/ipvs-vm.sh and re-runs this file inside it, in a network namespace). Sizes:
 * IPVS_DRIFT_SERVICES (default "1000,10000"), IPVS_DRIFT_REALS (10), IPVS_DRIFT_RUNS (5).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AppliedTable } from '../src/ipvs/applied-table.js';
import { openKernelIpvs } from '../src/ipvs/kernel.io.js';
import { syntheticTable } from '../test/fakes/ipvs-table.js';
import type { IpvsTable } from '../src/ipvs/model.js';
import { serviceId } from '../src/ipvs/model.js';
import { reconcile } from '../src/ipvs/reconcile.js';
import { median } from './lib/summary.js';
import { runSelfInVm } from './lib/vm-self.js';

const SIZES = (process.env['IPVS_DRIFT_SERVICES'] ?? '1000,10000').split(',').map(Number);
const REALS = Number(process.env['IPVS_DRIFT_REALS'] ?? 10);
const RUNS = Number(process.env['IPVS_DRIFT_RUNS'] ?? 5);

const table = (services: number): IpvsTable => syntheticTable(services, REALS);

function restoreText(t: IpvsTable): string {
  const lines = ['-C'];
  for (const e of t) {
    const k = e.service.key;
    if (k.kind !== 'addr') continue;
    const vip = `${k.address}:${k.port}`;
    lines.push(`-A -t ${vip} -s wrr`);
    for (const d of e.destinations) lines.push(`-a -t ${vip} -r ${d.address}:${d.port} -m -w ${d.weight}`);
  }
  return lines.join('\n') + '\n';
}

interface Row {
  services: number;
  fullMs: number;
  servicesStepMs: number;
  slice: number;
  sliceStepMs: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function inner(): Promise<void> {
  const kernel = await openKernelIpvs();
  const rows: Row[] = [];
  for (const services of SIZES) {
    const desired = table(services);
    const r = spawnSync('ipvsadm', ['-R'], {
      input: restoreText(desired),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0) throw new Error(`ipvsadm -R failed: ${r.stderr}`);
    const owned = new Set(desired.map((e) => serviceId(e.service.key)));
    const isOwned = (id: string): boolean => owned.has(id);
    const kept = new AppliedTable(await kernel.dump({ stats: false }));
    // the old drift check: read everything, keep it, plan every owned service
    const fullMs = await timed(async () => {
      const t = new AppliedTable(await kernel.dump({ stats: false }));
      if (reconcile(desired, t.entries(), { owned }).length !== 0) throw new Error('table not as programmed');
    });
    const servicesStepMs = await timed(async () => {
      if (kept.serviceDrift(await kernel.dumpServices(), isOwned).length !== 0) throw new Error('drift?');
    });
    const slice = Math.max(64, Math.ceil(services / 30));
    const keys = kept.keys(isOwned).slice(0, slice);
    const sliceStepMs = await timed(async () => {
      if (kept.destinationDrift(keys, await kernel.dumpDestinations(keys)).length !== 0)
        throw new Error('drift?');
    });
    rows.push({ services, fullMs, servicesStepMs, slice, sliceStepMs });
  }
  kernel.close();
  process.stdout.write(
    `IPVS_DRIFT_RESULT ${JSON.stringify({ vmKernel: release(), loadStart: loadavg(), rows })}\n`,
  );
}

async function outer(): Promise<void> {
  const hostLoadStart = loadavg();
  const r = (await runSelfInVm(fileURLToPath(import.meta.url), 'IPVS_DRIFT_RESULT', {
    IPVS_DRIFT_SERVICES: SIZES.join(','),
    IPVS_DRIFT_REALS: REALS,
    IPVS_DRIFT_RUNS: RUNS,
  })) as {
    vmKernel: string;
    loadStart: number[];
    rows: Row[];
  };
  const ms = (x: number): string => `${x.toFixed(0)} ms`;
  const la = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
  const md = [
    '# bench: ipvs-drift',
    '',
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${hostname()}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, host kernel ${release()}; ` +
      `host load average at start ${la(hostLoadStart)}, at the end ${la(loadavg())}  `,
    `Where: QEMU TCG VM (scripts/ipvs-vm.sh, no KVM, ~10x slower than the host), guest kernel ${r.vmKernel}, guest ` +
      `load average at start ${la(r.loadStart)}; real ip_vs; node ${process.version}; median of ${RUNS} in-process runs.`,
    '',
    `How long one drift check holds the LVS worker's event loop (TCP services, wrr, ${REALS} masq reals each).`,
    'Before: the whole table read and every owned service planned at once (every 30 s or more, at the first',
    'kernel update after it was due). Now: one step a second (or 20 times its cost when longer), the services',
    'alone or one slice of services with their reals, so that a walk covers the table in about 30 s when steps',
    'are cheap. keepalived never reads the table again.',
    '',
    '| services | before: whole read + plan | now: services step | now: slice step (services) | longest hold, now / before |',
    '|---|---|---|---|---|',
    ...r.rows.map(
      (x) =>
        `| ${x.services} | ${ms(x.fullMs)} | ${ms(x.servicesStepMs)} | ${ms(x.sliceStepMs)} (${x.slice}) | ` +
        `${(Math.max(x.servicesStepMs, x.sliceStepMs) / x.fullMs).toFixed(2)} |`,
    ),
    '',
    'Reproduce: `npm run bench ipvs-drift` (root; IPVS_DRIFT_SERVICES, IPVS_DRIFT_REALS, IPVS_DRIFT_RUNS).',
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/ipvs-drift.md', md);
  process.stdout.write(md);
}

if (process.argv.includes('--inner')) await inner();
else await outer();
