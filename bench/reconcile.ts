// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): the pure IPVS reconciler and the ipvsadm formatter on 10,000 services x
 * 10 reals: plan from empty, no-op plan, plan for one changed real, `ipvsadm -Ln` and `-Sn` text.
 * Prints the timings and writes them, with the machine and the date, to bench/results/reconcile.md.
 * Target: each well under 1 s on the host (the VM is ~10x slower).
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { IpvsServiceState, IpvsTable } from '../src/ipvs/model.js';
import { noSchedulerFlags } from '../src/ipvs/model.js';
import { reconcile } from '../src/ipvs/reconcile.js';
import { formatList, formatSave } from '../src/ipvs/format.js';
import { idleState } from '../test/fakes/ipvs-table.js';

const SERVICES = 10_000;
const REALS = 10;
const RUNS = 5;

const desired: IpvsTable = [];
for (let i = 0; i < SERVICES; i++) {
  desired.push({
    service: {
      key: {
        kind: 'addr',
        family: 'inet',
        protocol: 'tcp',
        address: `10.${(i >> 8) & 255}.${i & 255}.1`,
        port: 80,
      },
      scheduler: 'wrr',
      flags: noSchedulerFlags,
    },
    destinations: Array.from({ length: REALS }, (_, j) => ({
      family: 'inet' as const,
      address: `192.168.${j}.${(i % 250) + 1}`,
      port: 8080,
      method: 'masq' as const,
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    })),
  });
}
const actual: IpvsServiceState[] = idleState(desired);
const oneChanged: IpvsTable = desired.map((e, i) =>
  i === 4321 ? { ...e, destinations: e.destinations.map((d, j) => (j === 3 ? { ...d, weight: 7 } : d)) } : e,
);

function measure(
  name: string,
  fn: () => number,
): { name: string; median: number; min: number; result: number } {
  const times: number[] = [];
  let result = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    const t0 = performance.now();
    result = fn();
    if (i > 0) times.push(performance.now() - t0); // first run warms up
  }
  times.sort((a, b) => a - b);
  return { name, median: times[Math.floor(times.length / 2)]!, min: times[0]!, result };
}

// The machine's speed at this moment (shared hosts vary 100x under load): one pass over the
// 100,000 reals comparing each with its copy, the least any plan over them can cost.
const realsFlat = desired.flatMap((e) => e.destinations);
const copiesFlat = actual.flatMap((e) => e.destinations);
const rows = [
  measure('calibration: 100,000-real compare loop (equal)', () => {
    let n = 0;
    for (let i = 0; i < realsFlat.length; i++) {
      const a = realsFlat[i]!;
      const b = copiesFlat[i]!;
      if (a.address === b.address && a.port === b.port && a.weight === b.weight) n++;
    }
    return n;
  }),
  measure('reconcile from empty (ops)', () => reconcile(desired, []).length),
  measure('reconcile no-op (ops)', () => reconcile(desired, actual).length),
  measure('reconcile one changed real (ops)', () => reconcile(oneChanged, actual).length),
  measure(
    'ipvsadm -Ln text (bytes)',
    () => formatList({ version: 0x010201, connTableSize: 4096 }, actual, { numeric: true }).length,
  ),
  measure('ipvsadm -Sn text (bytes)', () => formatSave(actual, { numeric: true }).length),
];

const machine = `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} CPUs)`;
const date = new Date().toISOString();
for (const r of rows)
  console.log(
    `${r.name.padEnd(48)} ${r.median.toFixed(1).padStart(8)} ms (min ${r.min.toFixed(1)}) -> ${r.result}`,
  );

const file = fileURLToPath(new URL('../../bench/results/reconcile.md', import.meta.url));
mkdirSync(fileURLToPath(new URL('../../bench/results/', import.meta.url)), { recursive: true });
const header =
  '# reconcile\n\n' +
  `The pure reconciler and the ipvsadm formatter on ${SERVICES} services x ${REALS} reals (${SERVICES * REALS} destinations). ` +
  'Target: each well under 1 s on the host. Median of 5 runs after one warm-up; wall times depend on the load ' +
  '(the 1-minute load average is recorded).\n\n' +
  '| date | machine | node | step | median ms | min ms | result | load avg |\n|---|---|---|---|---|---|---|---|\n';
const old = existsSync(file) ? readFileSync(file, 'utf8') : header;
const lines = rows
  .map(
    (r) =>
      `| ${date} | ${machine} | ${process.version} | ${r.name} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.result} | ${loadavg()[0]!.toFixed(1)} |\n`,
  )
  .join('');
const body = old.replace(/\nReproduce:.*\n?$/s, '\n');
writeFileSync(
  file,
  `${body.endsWith('\n') ? body : body + '\n'}${lines}\nReproduce: \`npm run bench reconcile\`.\n`,
);
