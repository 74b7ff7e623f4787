// SPDX-License-Identifier: Apache-2.0
/**
 * Memory of a VRRP-only director, lvsd vs keepalived side by side in one run (root; one network
 * namespace of the netns lab, test/netns/harness.ts; no traffic leaves it): `lvsd run` (supervisor +
 * VRRP worker, as systemd starts it) and keepalived (`-n -l -D --vrrp`: its parent + VRRP child),
 * with 1 instance and with 200, each a master holding its VIP. Every process of each daemon, once
 * its VIPs are held and 3 s have passed, from /proc/PID/smaps_rollup:
 *  - RSS, and PSS (each shared page divided among the processes that map it: the node binary's
 *    ~40 MB of text is mapped by both lvsd processes, and a sum of RSS counts it twice);
 *  - PSS split into anonymous (the process's own: heaps, stacks) and file-backed (binary, libraries).
 * For lvsd also a heap snapshot of each process (NODE_OPTIONS --heapsnapshot-signal, this bench
 * only): the live JavaScript objects, by V8's node type. Issue 13's goals: ≤ 80 MB at 1 instance,
 * ≤ 100 MB at 200, over all processes. Writes bench/results/footprint.md.
 * Usage: node dist/bench/footprint.js   (FOOTPRINT_NODE_OPTIONS: more flags for lvsd's processes)
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { join } from 'node:path';
import {
  createLab,
  keepalivedArgv,
  repoRoot,
  sleep,
  waitFor,
  type Lab,
  type LabNode,
} from '../test/netns/harness.js';
import { vrrpConf, type InstanceConf } from '../test/netns/vrrp/conf.js';
import { heapSummary, memoryOf, takeHeapSnapshots, type ProcessMemory } from './lib/process-memory.js';
import { processTree } from './lib/process-tree.js';
import { asService } from './lib/service-env.js';
import { writeReport } from './lib/summary.js';
import { manyInstances } from './lib/vrrp-cpu.js';

/** FOOTPRINT_NODE_OPTIONS: more Node flags for lvsd's processes (to try V8 settings side by side). */
const EXTRA = process.env['FOOTPRINT_NODE_OPTIONS'] ?? '';

/** What a process of the daemon is: the first is the one spawned (lvsd's supervisor, keepalived's parent). */
function roleOf(impl: 'lvsd' | 'keepalived', pid: number, first: boolean): string {
  if (impl === 'keepalived') return first ? 'parent' : 'VRRP child';
  if (first) return 'supervisor';
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--vrrp-only') ? 'VRRP worker' : 'other';
}

async function measure(
  lab: Lab,
  node: LabNode,
  impl: 'lvsd' | 'keepalived',
  inst: InstanceConf[],
): Promise<ProcessMemory[]> {
  const dir = mkdtempSync(join(lab.dir, `fp-${impl}-`));
  const file = join(dir, 'daemon.conf');
  writeFileSync(file, vrrpConf(node, inst));
  const snapshots = join(dir, 'heap');
  mkdirSync(snapshots);
  const argv =
    impl === 'lvsd'
      ? [process.execPath, join(repoRoot, 'bin', 'lvsd'), 'run', '-f', file]
      : keepalivedArgv(file, dir);
  const env = {
    LVSD_RUN_DIR: dir,
    LVSD_STATE_DIR: dir,
    LVSD_CONTROL_SOCKET: join(dir, 'lvsd.sock'),
    ...(impl === 'lvsd'
      ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGWINCH --diagnostic-dir=${snapshots} ${EXTRA}`.trim() }
      : {}),
  };
  const proc = lab.spawn(node.ns, asService(argv, env), {}, join(dir, 'output.log'));
  try {
    const last = inst.at(-1)?.vips[0]?.split('/')[0] ?? '';
    await waitFor(`${impl}: its VIPs`, () => lab.hasAddress(node, last), 60_000, 50);
    await sleep(3000);
    const pids = processTree(proc.pid ?? 0);
    const mem = pids.map((p, i) => memoryOf(p, roleOf(impl, p, i === 0)));
    if (impl === 'lvsd') await takeHeapSnapshots(mem, snapshots, 30_000);
    return mem;
  } finally {
    const gone = proc.exitCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await gone;
    await sleep(500);
  }
}

const mb = (kb: number): string => (kb / 1024).toFixed(1);

async function main(): Promise<void> {
  const loadStart = loadavg();
  const lab = await createLab(1);
  const node = lab.nodes[0];
  if (!node) throw new Error('no node');
  const sizes: [string, InstanceConf[]][] = [
    [
      '1 instance',
      [
        {
          name: 'VI_1',
          vrid: 51,
          priority: 255,
          state: 'MASTER',
          version: 3,
          advertInt: 1,
          vips: [`10.${lab.net}.0.200/24`],
        },
      ],
    ],
    ['200 instances', manyInstances(255, lab.net)],
  ];
  const results: { size: string; impl: string; mem: ProcessMemory[] }[] = [];
  try {
    for (const [size, inst] of sizes)
      for (const impl of ['lvsd', 'keepalived'] as const) {
        const mem = await measure(lab, node, impl, inst);
        results.push({ size, impl, mem });
        console.log(
          `${size} ${impl}: ${mem.map((m) => `${m.what} RSS ${mb(m.rssKb)} PSS ${mb(m.pssKb)} MB`).join('; ')}`,
        );
      }
  } finally {
    await lab.destroy();
  }
  const sum = (ms: ProcessMemory[], k: 'rssKb' | 'pssKb' | 'privateKb' | 'anonKb' | 'fileKb'): number =>
    ms.reduce((s, m) => s + m[k], 0);
  // Alone on a machine: each process's private pages, and the pages they share (the binary and its
  // libraries, mapped by every process of the daemon) once: the largest process's shared part.
  const alone = (ms: ProcessMemory[]): number =>
    sum(ms, 'privateKb') + Math.max(...ms.map((m) => m.rssKb - m.privateKb));
  const rows = results.flatMap(({ size, impl, mem }) => [
    ...mem.map(
      (m) =>
        `| ${size} | ${impl} | ${m.what} | ${mb(m.rssKb)} | ${mb(m.privateKb)} | ${mb(m.pssKb)} | ${mb(m.anonKb)} | ${mb(m.fileKb)} | |`,
    ),
    `| ${size} | **${impl}, all** | | ${mb(sum(mem, 'rssKb'))} | ${mb(sum(mem, 'privateKb'))} | ${mb(sum(mem, 'pssKb'))} | ${mb(sum(mem, 'anonKb'))} | ${mb(sum(mem, 'fileKb'))} | **${mb(alone(mem))}** |`,
  ]);
  const heapRows = results
    .filter((r) => r.impl === 'lvsd')
    .flatMap(({ size, mem }) =>
      mem.map((m) => {
        const h = heapSummary(m.heap, 5);
        return `| ${size} | ${m.what} | ${h.mb.toFixed(2)} | ${h.largest} |`;
      }),
    );
  const loadEnd = loadavg();
  const md = [
    '# Footprint: memory of a VRRP-only director, lvsd vs keepalived',
    '',
    `Generated by \`${EXTRA ? `FOOTPRINT_NODE_OPTIONS='${EXTRA}' ` : ''}node dist/bench/footprint.js\` (bench/footprint.ts) on ${hostname()}, ${new Date().toISOString()};`,
    `${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()}, node ${process.version}; load average at start`,
    `${loadStart.map((l) => l.toFixed(2)).join(' ')}, at the end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    'Each daemon started in the environment systemd gives a service (`env -i`: PATH and its own variables).',
    'Every process of each daemon 3 s after its VIPs are held (masters, VRRPv3, 1 s adverts), from',
    '/proc/PID/smaps_rollup, in MB. A sum of RSS counts twice the pages both lvsd processes map (the node',
    "binary's text, ~32 MB); PSS divides each shared page among every process mapping it, this bench's own node",
    'and other node processes of the machine included, so it depends on what else runs. "Alone": the daemon on a',
    "machine of its own, estimated as its processes' private pages plus the shared part of its largest process",
    '(each shared page once). PSS anonymous: heaps and stacks; PSS file: the share of the binary and libraries.',
    'Goal (issue 13): `lvsd run` ≤ 80 MB at 1 instance and ≤ 100 MB at 200, over all its processes.',
    '',
    '| size | daemon | process | RSS | private | PSS | PSS anonymous | PSS file | alone |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    "lvsd's live JavaScript heap (a heap snapshot of each process; MB of V8's objects by node type, the five largest):",
    '',
    '| size | process | live heap MB | largest |',
    '| --- | --- | --- | --- |',
    ...heapRows,
    '',
  ].join('\n');
  writeReport('footprint', md);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
