// SPDX-License-Identifier: Apache-2.0
/**
 * Memory of an LVS director at 10,000 reals, lvsd vs keepalived side by side in one VM run (root;
 * the real ip_vs in scripts/ipvs-vm.sh; traffic stays inside the two namespaces of the capacity lab,
 * bench/lib/check-listener-lab.ts). Each daemon runs as systemd starts it (`env -i`): `lvsd run`
 * (its supervisor and its LVS worker: no vrrp_instance, so no VRRP worker) and `keepalived -n`
 * (its parent and its checker), on the lab's configuration: N reals (N/10 virtual servers x 10,
 * TCP_CHECK every second, `alpha`) that one listener answers. Once every real is in the table with
 * a weight, 5 s, 60 s and 150 s later (V8's memory reducer has acted by then), every process of
 * each daemon from /proc/PID/smaps_rollup (RSS, private, PSS split into anonymous and
 * file-backed), and a heap snapshot of lvsd's processes (live
 * JavaScript objects by V8 node type). With `--before DIR`, a second lvsd (the bin/lvsd of another
 * build, for an A/B in the same run); with `--try 'VAR=VALUE ...'`, another lvsd of this build with
 * those variables in its environment (NODE_OPTIONS, MALLOC_ARENA_MAX: settings tried side by side). Issue 13's goal: the LVS worker ≤ 80 MB at 10,000 reals.
 * Writes bench/results/footprint-lvs.md.
 * Usage: node dist/bench/footprint-lvs.js [--reals N] [--before DIR] [--try 'VAR=VALUE ...']   (boots the VM)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createListenerNamespaces, labCheckConfig, startListener } from './lib/check-listener-lab.js';
import {
  anonymousParts,
  heapSummary,
  memoryOf,
  takeHeapSnapshots,
  type AnonymousParts,
  type ProcessMemory,
} from './lib/process-memory.js';
import { processTree } from './lib/process-tree.js';
import { stopDaemon } from './lib/stop-daemon.js';
import { asService } from './lib/service-env.js';
import { machineAndKeepalived } from './lib/summary.js';
import { runInVmWithTools } from './lib/vm-self.js';

const { values } = parseArgs({
  options: {
    'in-vm': { type: 'boolean' },
    reals: { type: 'string', default: '10000' },
    before: { type: 'string' },
    try: { type: 'string' },
  },
});
const N = Number(values.reals);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });

/** Reals in the kernel's table with a weight. */
function liveDests(ns: string): number {
  let n = 0;
  for (const line of sh('ip', ['netns', 'exec', ns, 'ipvsadm', '-Sn']).split('\n'))
    if (line.startsWith('-a ') && !line.endsWith(' -w 0')) n++;
  return n;
}

interface Daemon {
  name: string;
  /** Variables of its own (`--try`). */
  env?: Record<string, string>;
  argv: (conf: string, dir: string) => string[];
  /** What each process is: the spawned one first. */
  role: (pid: number, first: boolean, dir: string) => string;
  node: boolean;
}

const lvsd = (name: string, root: string, env?: Record<string, string>): Daemon => ({
  name,
  ...(env ? { env } : {}),
  argv: (conf) => [process.execPath, join(root, 'bin', 'lvsd'), 'run', '-f', conf],
  role: (pid, first) => {
    if (first) return 'supervisor';
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('--check-only')) return 'LVS worker';
    return cmdline.includes('--result-wait') ? 'standby validator' : 'other';
  },
  node: true,
});

const keepalived: Daemon = {
  name: 'keepalived',
  argv: (conf, dir) => [
    'keepalived',
    '-n',
    '-l',
    '-f',
    conf,
    '-p',
    join(dir, 'p.pid'),
    '-c',
    join(dir, 'c.pid'),
  ],
  role: (pid, first, dir) => {
    if (first) return 'parent';
    try {
      if (Number(readFileSync(join(dir, 'c.pid'), 'utf8')) === pid) return 'checker';
    } catch {
      // no pid file: not the checker
    }
    return 'other';
  },
  node: false,
};

/** `--try`'s 'VAR=VALUE ...': NODE_OPTIONS may hold spaces when it is the last (`NODE_OPTIONS=--a --b`). */
function tried(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const at = text.indexOf('NODE_OPTIONS=');
  const rest = at < 0 ? text : text.slice(0, at);
  if (at >= 0) out['NODE_OPTIONS'] = text.slice(at + 'NODE_OPTIONS='.length);
  for (const w of rest.split(/\s+/).filter(Boolean)) {
    const eq = w.indexOf('=');
    if (eq > 0) out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

interface Measured {
  daemon: string;
  settleS: number | null;
  /** 5 s after every real was in the table. */
  early: ProcessMemory[];
  /** A minute after (MINUTE_S). */
  minute: ProcessMemory[];
  /** STEADY_S after: what the rows say. */
  mem: ProcessMemory[];
  /** lvsd's processes at STEADY_S: their anonymous memory by mapping. */
  anon: (AnonymousParts | undefined)[];
}

/**
 * When the figures are taken, s after every real was in the table: a minute on, and once V8's
 * memory reducer has given back what the start grew (in lvsd's LVS worker at 10,000 reals it did
 * ~70 s after the start, measured with a hook in a scratch build: bench/results/footprint-lvs.md's
 * history); the columns after RSS, and the heap snapshot, are at STEADY_S.
 */
const MINUTE_S = 60;
const STEADY_S = 150;

async function measure(d: Daemon, dns: string, work: string): Promise<Measured> {
  const dir = mkdtempSync(join(work, 'fp-'));
  const conf = join(dir, 'daemon.conf');
  writeFileSync(conf, labCheckConfig(N, true));
  const snapshots = join(dir, 'heap');
  mkdirSync(snapshots);
  const env = {
    LVSD_RUN_DIR: dir,
    LVSD_STATE_DIR: dir,
    LVSD_CONTROL_SOCKET: join(dir, 'lvsd.sock'),
    ...d.env,
    ...(d.node
      ? {
          NODE_OPTIONS:
            `--heapsnapshot-signal=SIGWINCH --diagnostic-dir=${snapshots} ${d.env?.['NODE_OPTIONS'] ?? ''}`.trim(),
        }
      : {}),
  };
  const t0 = Date.now();
  const proc = spawn('ip', ['netns', 'exec', dns, ...asService(d.argv(conf, dir), env)], { stdio: 'ignore' });
  try {
    let settleS: number | null = null;
    while (Date.now() - t0 < 240_000) {
      await sleep(1000);
      if (liveDests(dns) >= N) {
        settleS = (Date.now() - t0) / 1000;
        break;
      }
    }
    await sleep(5000);
    // the processes of each moment: a child may come and go between the two (a script, a standby's restart)
    const sample = (): ProcessMemory[] =>
      processTree(proc.pid ?? 0).flatMap((p, i) => {
        try {
          return [memoryOf(p, d.role(p, i === 0, dir))];
        } catch {
          return []; // gone while read
        }
      });
    const early = sample();
    await sleep(MINUTE_S * 1000 - 5000);
    const minute = sample();
    // V8 gives back the young generation it grew while reading the model only once its memory
    // reducer finds the allocation rate low
    await sleep((STEADY_S - MINUTE_S) * 1000);
    const mem = sample();
    const anon = d.node ? mem.map((m) => (m.what === 'other' ? undefined : anonymousParts(m.pid))) : [];
    // Node's own processes (a script a checker runs is not one)
    if (d.node)
      await takeHeapSnapshots(
        mem.filter((m) => m.what !== 'other'),
        snapshots,
        180_000,
      );
    return { daemon: d.name, settleS, early, minute, mem, anon };
  } finally {
    await stopDaemon(proc, dns);
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (kb: number): string => (kb / 1024).toFixed(1);

function report(results: Measured[], loadStart: number[]): string {
  const sum = (ms: ProcessMemory[], k: 'rssKb' | 'pssKb' | 'privateKb' | 'anonKb' | 'fileKb'): number =>
    ms.reduce((s, m) => s + m[k], 0);
  const alone = (ms: ProcessMemory[]): number =>
    sum(ms, 'privateKb') + Math.max(...ms.map((m) => m.rssKb - m.privateKb));
  const rssOf = (at: ProcessMemory[], what: string): string =>
    mb(at.find((e) => e.what === what)?.rssKb ?? NaN);
  const rows = results.flatMap(({ daemon, mem, early, minute, settleS }) => [
    ...mem.map(
      (m) =>
        `| ${daemon} | ${m.what} | ${rssOf(early, m.what)} | ${rssOf(minute, m.what)} | ${mb(m.rssKb)} | ${mb(m.privateKb)} | ${mb(m.pssKb)} | ${mb(m.anonKb)} | ${mb(m.fileKb)} | |`,
    ),
    `| **${daemon}, all** (settled in ${settleS === null ? 'more than 240' : settleS.toFixed(0)} s) | | ${mb(sum(early, 'rssKb'))} | ${mb(sum(minute, 'rssKb'))} | ${mb(sum(mem, 'rssKb'))} | ${mb(sum(mem, 'privateKb'))} | ${mb(sum(mem, 'pssKb'))} | ${mb(sum(mem, 'anonKb'))} | ${mb(sum(mem, 'fileKb'))} | **${mb(alone(mem))}** |`,
  ]);
  const heapRows = results.flatMap(({ daemon, mem }) =>
    mem
      .filter((m) => m.heap)
      .map((m) => {
        const h = heapSummary(m.heap, 6);
        return `| ${daemon} | ${m.what} | ${h.mb.toFixed(2)} | ${h.largest} |`;
      }),
  );
  const anonRows = results.flatMap(({ daemon, mem, anon }) =>
    anon.flatMap((a, i) => {
      if (!a) return [];
      const m = mem[i];
      const heap = heapSummary(m?.heap, 0).mb;
      return `| ${daemon} | ${m?.what ?? '?'} | ${mb(m?.anonKb ?? NaN)} | ${heap.toFixed(1)} | ${mb(a.other)} | ${mb(a.brkHeap)} | ${mb(a.threadArenas)} | ${mb(a.stacks)} |`;
    }),
  );
  return [
    `# Footprint: memory of an LVS director at ${N} reals, lvsd vs keepalived`,
    '',
    `Generated by \`node dist/bench/footprint-lvs.js --reals ${N}${values.before ? ` --before ${values.before}` : ''}${values.try ? ` --try '${values.try}'` : ''}\` (bench/footprint-lvs.ts), ${new Date().toISOString()}.`,
    `In the VM (scripts/ipvs-vm.sh, QEMU TCG): ${machineAndKeepalived()}.`,
    `Load average in the VM at the start ${loadStart.map((l) => l.toFixed(2)).join(' ')}, at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
    '',
    `${N / 10} virtual servers × 10 reals, TCP_CHECK every second with \`alpha\`, one listener answering every real`,
    '(bench/lib/check-listener-lab.ts). Each daemon as systemd starts it (`env -i`); every process 5 s,',
    `${MINUTE_S} s and ${STEADY_S} s after every real was in the table with a weight, from /proc/PID/smaps_rollup, in MB (the columns`,
    `after RSS, and the heap snapshot, at ${STEADY_S} s). "Alone": private pages plus the shared part of the`,
    "largest process (each shared page once). lvsd's standby validator is the child that reads a large file ahead of",
    'a reload (docs/operations.md). Goal (issue 13): the LVS worker ≤ 80 MB at 10,000 reals.',
    '',
    `| daemon | process | RSS at 5 s | RSS at ${MINUTE_S} s | RSS at ${STEADY_S} s | private | PSS | PSS anonymous | PSS file | alone |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    "lvsd's live JavaScript heap (a heap snapshot of each process; MB of V8's objects by node type, the six largest):",
    '',
    '| daemon | process | live heap MB | largest |',
    '| --- | --- | --- | --- |',
    ...heapRows,
    '',
    "Where lvsd's anonymous memory is (MB resident at the same moment, each anonymous mapping of /proc/PID/smaps",
    "counted by its name and size: a guess from sizes, bench/lib/process-memory.ts `anonymousParts`). V8's pages are",
    'in "V8 heap and other", with the live objects of the heap snapshot a part of them.',
    '',
    '| daemon | process | PSS anonymous | live JavaScript heap | V8 heap and other | malloc main arena | malloc thread arenas | stacks |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...anonRows,
    '',
  ].join('\n');
}

async function inVm(): Promise<void> {
  const loadStart = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'lvsd-bench-fp-'));
  const tag = `lf${process.pid}x`;
  const [dns, lns] = [`${tag}d`, `${tag}l`];
  try {
    createListenerNamespaces(dns, lns, 'bfpd', 'bfpl');
    const { proc: listener } = startListener(
      lns,
      join(process.env['LVSD_BENCH_TOOLS'] ?? 'missing', 'check-listener'),
    );
    await sleep(500);
    const daemons = [
      lvsd('lvsd', repo),
      ...(values.before ? [lvsd(`lvsd before (${values.before})`, values.before)] : []),
      ...(values.try ? [lvsd(`lvsd with ${values.try}`, repo, tried(values.try))] : []),
      keepalived,
    ];
    const results: Measured[] = [];
    for (const d of daemons) {
      const r = await measure(d, dns, work);
      results.push(r);
      console.log(
        `${d.name}: ${r.mem.map((m) => `${m.what} RSS ${mb(m.rssKb)} MB (${STEADY_S} s)`).join('; ')}`,
      );
      await sleep(3000);
    }
    listener.kill('SIGKILL');
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'footprint-lvs.md'), report(results, loadStart));
  } finally {
    for (const ns of [dns, lns]) spawn('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (values['in-vm']) return inVm();
  runInVmWithTools(
    fileURLToPath(import.meta.url),
    ['check-listener'],
    [
      '--reals',
      String(N),
      ...(values.before ? ['--before', values.before] : []),
      ...(values.try ? ['--try', values.try] : []),
    ],
  );
}

await main();
