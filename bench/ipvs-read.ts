// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): reading and re-applying the IPVS table, lvsd against ipvsadm, side by side
 * in ONE VM run on the real ip_vs module (issue 13): `lvsd ipvs -Ln` / `-Sn` vs `ipvsadm -Ln` / `-Sn`
 * (outputs compared byte for byte), `lvsd ipvs apply FILE` with nothing to change and with one real
 * edited vs `ipvsadm -R` of the same file from empty, and the floor every lvsd command pays
 * (`node -e 0`, `lvsd ipvs --version`), and where `-Ln`'s time goes (bench/lib/ipvs-phases.ts: the
 * kernel's part apart from the JavaScript's, cold and warm). Each command is a fresh process, timed
 * from spawn to exit, alternating lvsd and ipvsadm, RUNS times; the median is reported. Writes
 * bench/results/ipvs-read.md (another size: ipvs-read-SERVICESxREALS.md)
 * with the machine, the date and the load average at start and end. Run as root:
 * `npm run bench ipvs-read`. It boots scripts/ipvs-vm.sh itself and re-runs this file inside it
 * (`--inner`, in a network namespace). Sizes: IPVS_READ_SERVICES (default 1000), IPVS_READ_REALS
 * (default 10), IPVS_READ_RUNS (default 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { IpvsPhases } from './lib/ipvs-phases.js';
import { median } from './lib/summary.js';
import { runSelfInVm } from './lib/vm-self.js';

const SERVICES = Number(process.env['IPVS_READ_SERVICES'] ?? 1000);
const REALS = Number(process.env['IPVS_READ_REALS'] ?? 10);
const RUNS = Number(process.env['IPVS_READ_RUNS'] ?? 3);
const LVSD = fileURLToPath(new URL('../../bin/lvsd', import.meta.url));
/** The default size's results, and each other size's beside them (ipvs-read-10000.md). */
const RESULT = `bench/results/ipvs-read${SERVICES === 1000 && REALS === 10 ? '' : `-${SERVICES}x${REALS}`}.md`;
const PHASES = fileURLToPath(new URL('./lib/ipvs-phases.js', import.meta.url));

interface Timed {
  ms: number;
  stdout: string;
}

/** Spawn a command to its exit, timed; throws on a non-zero status. */
function run(cmd: string, args: string[], input?: string): Timed {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${String(r.status)}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const lvsd = (...args: string[]): Timed => run(process.execPath, [LVSD, ...args]);

function rules(): string {
  const lines: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const vip = `10.${(s >> 8) & 255}.${s & 255}.1:80`;
    lines.push(`-A -t ${vip} -s wrr`);
    for (let r = 0; r < REALS; r++)
      lines.push(`-a -t ${vip} -r 172.${16 + ((s >> 8) & 15)}.${s & 255}.${r + 1}:8080 -m -w ${r + 1}`);
  }
  return lines.join('\n') + '\n';
}

interface InnerResult {
  vmKernel: string;
  loadStart: number[];
  runs: number;
  nodeMs: number;
  versionMs: number;
  ipvsadmRestoreMs: number;
  pairs: { what: string; lvsdMs: number; ipvsadmMs: number; identical: boolean }[];
  applyNoop: { ms: number; ops: string };
  applyOne: { ms: number; ops: string };
  ipvsadmEditMs: number;
  phases: { cold: IpvsPhases; warm: IpvsPhases }[];
}

const log = (m: string): void => {
  process.stderr.write(`ipvs-read: ${m}\n`);
};

function inner(): void {
  const loadStart = loadavg();
  run('ipvsadm', ['-C']);
  log(`ipvsadm-restore: ${SERVICES} services x ${REALS} reals`);
  const ipvsadmRestoreMs = run('ipvsadm-restore', [], rules()).ms;
  // The file apply reads: the kernel's own save text, so "nothing to change" is exact.
  const saved = run('ipvsadm', ['-Sn']).stdout;
  writeFileSync('/tmp/ipvs-read.rules', saved);

  const node: number[] = [];
  const version: number[] = [];
  const pairs = new Map<string, { l: number[]; i: number[]; identical: boolean }>();
  const pair = (what: string, args: string[]): void => {
    const l = lvsd('ipvs', ...args);
    const i = run('ipvsadm', args);
    const p = pairs.get(what) ?? { l: [], i: [], identical: true };
    p.l.push(l.ms);
    p.i.push(i.ms);
    p.identical &&= l.stdout === i.stdout;
    pairs.set(what, p);
  };
  for (let k = 0; k < RUNS; k++) {
    log(`run ${k + 1}/${RUNS}`);
    node.push(run(process.execPath, ['-e', '0']).ms);
    version.push(lvsd('ipvs', '--version').ms);
    pair('-Ln', ['-Ln']);
    pair('-Sn', ['-Sn']);
  }

  log('phases of -Ln');
  const phases: { cold: IpvsPhases; warm: IpvsPhases }[] = [];
  for (let k = 0; k < RUNS; k++) {
    const line = run(process.execPath, [PHASES])
      .stdout.split('\n')
      .find((l) => l.startsWith('IPVS_PHASES '));
    if (line === undefined) throw new Error('ipvs-phases printed nothing');
    phases.push(JSON.parse(line.slice('IPVS_PHASES '.length)) as { cold: IpvsPhases; warm: IpvsPhases });
  }

  log('apply: nothing to change');
  const noop: number[] = [];
  let noopOps = '';
  for (let k = 0; k < RUNS; k++) {
    const r = lvsd('ipvs', 'apply', '/tmp/ipvs-read.rules');
    noop.push(r.ms);
    noopOps = r.stdout.trim().split('\n').pop() ?? '';
  }
  log('apply: one real edited');
  const first = saved.split('\n').find((l) => l.startsWith('-a '));
  if (first === undefined) throw new Error('no real in the table');
  const edited = saved.replace(first, first.replace(/-w \d+/, '-w 77'));
  writeFileSync('/tmp/ipvs-read-one.rules', edited);
  const one = lvsd('ipvs', 'apply', '/tmp/ipvs-read-one.rules');
  const oneOps = one.stdout.trim().split('\n').pop() ?? '';
  const after = run('ipvsadm', ['-Sn']).stdout;
  if (after !== edited) throw new Error('after the one-real apply the kernel differs from the file');
  const args = first
    .replace(/^-a/, '-e')
    .replace(/-w \d+/, '-w 78')
    .split(' ');
  const ipvsadmEditMs = run('ipvsadm', args).ms;
  run('ipvsadm', ['-C']);

  const r: InnerResult = {
    vmKernel: release(),
    loadStart,
    runs: RUNS,
    nodeMs: median(node),
    versionMs: median(version),
    ipvsadmRestoreMs,
    pairs: [...pairs].map(([what, p]) => ({
      what,
      lvsdMs: median(p.l),
      ipvsadmMs: median(p.i),
      identical: p.identical,
    })),
    applyNoop: { ms: median(noop), ops: noopOps },
    applyOne: { ms: one.ms, ops: oneOps },
    ipvsadmEditMs,
    phases,
  };
  process.stdout.write(`IPVS_READ_RESULT ${JSON.stringify(r)}\n`);
}

async function outer(): Promise<void> {
  const hostLoadStart = loadavg();
  const started = performance.now();
  const r = (await runSelfInVm(fileURLToPath(import.meta.url), 'IPVS_READ_RESULT', {
    IPVS_READ_SERVICES: SERVICES,
    IPVS_READ_REALS: REALS,
    IPVS_READ_RUNS: RUNS,
  })) as InnerResult;
  const wallS = (performance.now() - started) / 1000;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const la = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const restore = r.ipvsadmRestoreMs;
  const md = [
    '# bench: ipvs-read',
    '',
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${hostname()}, ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, host kernel ${release()}; ` +
      `host load average at start ${la(hostLoadStart)}, at the end ${la(loadavg())}  `,
    `Where: QEMU TCG VM (scripts/ipvs-vm.sh, no KVM), guest kernel ${r.vmKernel}, guest load average at start ` +
      `${la(r.loadStart)}; real ip_vs module, one network namespace; node ${process.version}. Every command a fresh ` +
      `process timed from spawn to exit, lvsd and ipvsadm alternating, median of ${r.runs}; whole run ${wallS.toFixed(0)} s.`,
    '',
    `Table: ${SERVICES} TCP services (wrr) x ${REALS} masq reals.`,
    '',
    '| what | lvsd | ipvsadm | lvsd / ipvsadm | output identical |',
    '|---|---|---|---|---|',
    ...r.pairs.map(
      (p) =>
        `| \`${p.what}\` | ${s(p.lvsdMs)} | ${s(p.ipvsadmMs)} | **${(p.lvsdMs / p.ipvsadmMs).toFixed(2)}x** (goal <= 1.2x) | ${p.identical ? 'yes' : '**NO**'} |`,
    ),
    `| \`lvsd ipvs apply FILE\`, nothing to change (${r.applyNoop.ops.replace(/^# /, '')}) vs \`ipvsadm-restore\` of FILE from empty | ${s(r.applyNoop.ms)} | ${s(restore)} | **${(r.applyNoop.ms / restore).toFixed(2)}x** (goal <= 0.3x) | |`,
    `| \`lvsd ipvs apply FILE\`, one real's weight edited (${r.applyOne.ops.replace(/^# /, '')}) vs \`ipvsadm-restore\` from empty | ${s(r.applyOne.ms)} | ${s(restore)} | **${(r.applyOne.ms / restore).toFixed(2)}x** (goal <= 0.1x) | |`,
    `| the same edit as one \`ipvsadm -e\` process | | ${s(r.ipvsadmEditMs)} | | |`,
    `| floor: \`node -e 0\` / \`lvsd ipvs --version\` | ${s(r.nodeMs)} / ${s(r.versionMs)} | | | |`,
    '',
    `Where \`-Ln\`'s time goes: the same work timed by phase in one fresh process (bench/lib/ipvs-phases.ts; ` +
      `median of ${r.runs}), the first time (cold: what a command pays) and again in the same process (warm). ` +
      '"in the kernel": inside the native exchangeNetlink call, which sends each GET_DEST dump and reads its answer.',
    '',
    '| pass | driver open + dump | of which in the kernel | JavaScript of the dump | format |',
    '|---|---|---|---|---|',
    ...(['cold', 'warm'] as const).map((pass) => {
      const m = (f: (p: IpvsPhases) => number): string => s(median(r.phases.map((p) => f(p[pass]))));
      return `| ${pass} | ${m((p) => p.dumpMs)} | ${m((p) => p.exchangeMs)} | ${m((p) => p.dumpMs - p.exchangeMs)} | ${m((p) => p.formatMs)} |`;
    }),
    '',
    'Reproduce: `npm run bench ipvs-read` (root; sizes from IPVS_READ_SERVICES, IPVS_READ_REALS, IPVS_READ_RUNS).',
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(RESULT, md);
  process.stdout.write(md);
}

if (process.argv.includes('--inner')) inner();
else await outer();
