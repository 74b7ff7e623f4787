// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): program 10,000 services x 10 reals from empty with lvsd (reconcile +
 * driver.apply over generic netlink) and with `ipvsadm-restore`, in the same VM run on the real
 * ip_vs module; report both times and the ratio (target: lvsd >= 2x faster), and the time of a
 * one-real diff on top (one weight edited: dump + reconcile + apply). Writes the results, with the
 * machine and the date, to bench/results/ipvs-apply.md. Run as root: `npm run bench ipvs-apply`.
 * It boots scripts/ipvs-vm.sh itself and re-runs this file inside it (`--inner`, in a netns).
 * Sizes: IPVS_BENCH_SERVICES (default 10000), IPVS_BENCH_REALS (default 10).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openKernelIpvs } from '../src/ipvs/kernel.io.js';
import type { IpvsTable } from '../src/ipvs/model.js';
import { reconcile } from '../src/ipvs/reconcile.js';
import { runSelfInVm } from './lib/vm-self.js';
import { syntheticTable } from '../test/fakes/ipvs-table.js';

const SERVICES = Number(process.env['IPVS_BENCH_SERVICES'] ?? 10_000);
const REALS = Number(process.env['IPVS_BENCH_REALS'] ?? 10);

interface InnerResult {
  services: number;
  reals: number;
  vmKernel: string;
  ipvsadmRestoreMs: number;
  lvsdTotalMs: number;
  lvsdApplyMs: number;
  lvsdOps: number;
  identical: boolean;
  diff: { totalMs: number; dumpMs: number; reconcileMs: number; applyMs: number; ops: number };
  ipvsadmEditMs: number;
  dumpMs: number;
}

const table = (): IpvsTable => syntheticTable(SERVICES, REALS);

function restoreText(t: IpvsTable): string {
  const lines: string[] = [];
  for (const e of t) {
    const k = e.service.key;
    if (k.kind !== 'addr') continue;
    lines.push(`-A -t ${k.address}:${k.port} -s ${e.service.scheduler}`);
    for (const d of e.destinations)
      lines.push(`-a -t ${k.address}:${k.port} -r ${d.address}:${d.port} -m -w ${d.weight}`);
  }
  return lines.join('\n') + '\n';
}

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const log = (m: string): void => {
  process.stderr.write(`ipvs-apply: ${m}\n`);
};

async function inner(): Promise<void> {
  const desired = table();
  const rules = restoreText(desired);
  sh('ipvsadm', ['-C']);

  log(`ipvsadm-restore: ${SERVICES} services x ${REALS} reals`);
  let t0 = performance.now();
  sh('ipvsadm-restore', [], rules);
  const ipvsadmRestoreMs = performance.now() - t0;
  const byIpvsadm = sh('ipvsadm', ['-Sn']);
  sh('ipvsadm', ['-C']);

  log('lvsd: reconcile + apply');
  const l0 = performance.now();
  const driver = await openKernelIpvs();
  const ops = reconcile(desired, await driver.dump());
  const t1 = performance.now();
  const report = await driver.apply(ops);
  const t2 = performance.now();
  if (report.failed !== undefined) throw report.failed.error;
  const byLvsd = sh('ipvsadm', ['-Sn']);

  log('one-real diff');
  const first = desired[0];
  const firstDest = first?.destinations[0];
  if (first === undefined || firstDest === undefined) throw new Error('empty table');
  firstDest.weight += 100;
  const d0 = performance.now();
  const actual = await driver.dump();
  const d1 = performance.now();
  const diffOps = reconcile(desired, actual);
  const d2 = performance.now();
  const diffReport = await driver.apply(diffOps);
  const d3 = performance.now();
  if (diffReport.failed !== undefined) throw diffReport.failed.error;

  const k = first.service.key;
  const vip = k.kind === 'addr' ? `${k.address}:${k.port}` : '';
  t0 = performance.now();
  sh('ipvsadm', ['-e', '-t', vip, '-r', `${firstDest.address}:${firstDest.port}`, '-m', '-w', '7']);
  const ipvsadmEditMs = performance.now() - t0;
  t0 = performance.now();
  await driver.dump();
  const dumpMs = performance.now() - t0;
  driver.close();
  sh('ipvsadm', ['-C']);

  const r: InnerResult = {
    services: SERVICES,
    reals: REALS,
    vmKernel: release(),
    ipvsadmRestoreMs,
    lvsdTotalMs: t2 - l0,
    lvsdApplyMs: t2 - t1,
    lvsdOps: ops.length,
    identical: byIpvsadm === byLvsd,
    diff: { totalMs: d3 - d0, dumpMs: d1 - d0, reconcileMs: d2 - d1, applyMs: d3 - d2, ops: diffOps.length },
    ipvsadmEditMs,
    dumpMs,
  };
  process.stdout.write(`IPVS_BENCH_RESULT ${JSON.stringify(r)}\n`);
}

async function outer(): Promise<void> {
  const started = performance.now();
  const r = (await runSelfInVm(fileURLToPath(import.meta.url), 'IPVS_BENCH_RESULT', {
    IPVS_BENCH_SERVICES: SERVICES,
    IPVS_BENCH_REALS: REALS,
  })) as InnerResult;
  const wallS = (performance.now() - started) / 1000;
  const ratio = r.ipvsadmRestoreMs / r.lvsdTotalMs;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = [
    '# bench: ipvs-apply',
    '',
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${hostname()}, ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, host kernel ${release()}, ` +
      `load average at the end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}  `,
    `Where: QEMU TCG VM (scripts/ipvs-vm.sh, no KVM: ~10x slower than the host), guest kernel ${r.vmKernel}, real ip_vs module, ` +
      `one network namespace; node ${process.version}. One run each, the same VM boot; whole run ${wallS.toFixed(0)} s.`,
    '',
    `Table: ${r.services} TCP services (wrr) x ${r.reals} masq reals = ${r.services * (1 + r.reals)} kernel objects.`,
    '',
    '| what | time |',
    '|---|---|',
    `| \`ipvsadm-restore\` from empty | ${s(r.ipvsadmRestoreMs)} |`,
    `| lvsd from empty: open + dump + reconcile + \`driver.apply\` (${r.lvsdOps} ops, 128 per datagram) | ${s(r.lvsdTotalMs)} |`,
    `| of which \`driver.apply\` alone | ${s(r.lvsdApplyMs)} |`,
    `| **ratio ipvsadm-restore / lvsd** | **${ratio.toFixed(2)}x** (target >= 2x) |`,
    `| \`ipvsadm -Sn\` identical after both | ${r.identical ? 'yes' : '**NO**'} |`,
    `| one-real diff on top (weight edit): dump + reconcile + apply, ${r.diff.ops} op(s) | ${s(r.diff.totalMs)} |`,
    `| of which dump / reconcile / apply | ${s(r.diff.dumpMs)} / ${s(r.diff.reconcileMs)} / ${r.diff.applyMs.toFixed(1)} ms |`,
    `| the same edit with one \`ipvsadm -e\` process (no diff) | ${r.ipvsadmEditMs.toFixed(1)} ms |`,
    `| full dump of the table by the driver | ${s(r.dumpMs)} |`,
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/ipvs-apply.md', md);
  process.stdout.write(md);
}

if (process.argv.includes('--inner')) await inner();
else await outer();
