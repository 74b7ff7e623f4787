// SPDX-License-Identifier: Apache-2.0
/**
 * Health-check capacity benchmark, lvsd vs keepalived side by side in the same VM run (root; real
 * ip_vs in scripts/ipvs-vm.sh; traffic stays inside two namespaces the script creates). Method as in
 * /work/shared/reference/keepalived-measured.md "Health checker capacity": N reals (N/10 virtual
 * servers × 10), TCP_CHECK, delay_loop 1, connect_timeout 2, `alpha`; ONE epoll listener in a
 * namespace answers on all N addresses (a `local` route for the /16) and counts accepts per
 * second, which is the number of checks actually done. Per implementation: time from start until
 * all N reals are in IPVS with weight > 0, then a window of W seconds: checks/s seen (median of
 * per-second counts), how often each real was really probed (gaps between two accepts on one
 * address: p50/p99/max), checker CPU % (utime+stime of one vCPU), RSS; for lvsd also its own
 * lateness. lvsd runs once per probe-thread count in --lvsd-threads. Then the ceiling of this
 * machine: a bare C connect loop (bench/tools/connect-flood.c) with FIN and with RST close.
 * Writes bench/results/checks.md.
 * Usage: node dist/bench/checks.js [--reals N] [--window S] [--lvsd-threads 1,2]   (boots the VM)
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createListenerNamespaces,
  labCheckConfig,
  startListener,
  type ListenerSecond,
} from './lib/check-listener-lab.js';
import { machineAndKeepalived } from './lib/summary.js';
import { stopDaemon } from './lib/stop-daemon.js';
import { runInVmWithTools } from './lib/vm-self.js';

const execFileAsync = promisify(execFile);

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('--reals', 10_000);
const WINDOW = arg('--window', 20);
const threadsArg = process.argv.indexOf('--lvsd-threads');
const LVSD_THREADS = (threadsArg >= 0 ? (process.argv[threadsArg + 1] ?? '1') : '1,2')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
}

/** Jiffies (utime+stime) of a process. */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function liveDests(ns: string): number {
  const text = sh('ip', ['netns', 'exec', ns, 'ipvsadm', '-Sn']);
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('-a ') && !line.endsWith(' -w 0')) n++;
  return n;
}

interface Result {
  impl: string;
  settleS: number | null;
  checksPerS: number[];
  gaps: { p50: number; p99: number; max: number };
  cpuPct: number;
  rssMb: number;
  extra: string;
}

async function measure(
  impl: 'lvsd' | 'keepalived',
  dns: string,
  counts: ListenerSecond[],
  dir: string,
  threads = 1,
): Promise<Result> {
  const conf = join(dir, `${impl}.conf`);
  writeFileSync(conf, labCheckConfig(N, true));
  const pidFiles = ['p', 'c', 'r', 'b'].map((x) => join(dir, `ka-${x}.pid`));
  for (const p of pidFiles) rmSync(p, { force: true });
  const args =
    impl === 'lvsd'
      ? [process.execPath, join(repo, 'bin/lvsd'), 'run', '--check-only', '-f', conf]
      : [
          'keepalived',
          '-n',
          '-l',
          '-G',
          '-C',
          '-f',
          conf,
          '-p',
          pidFiles[0]!,
          '-c',
          pidFiles[1]!,
          '-r',
          pidFiles[2]!,
          '-b',
          pidFiles[3]!,
        ];
  const t0 = Date.now();
  const proc: ChildProcess = spawn('ip', ['netns', 'exec', dns, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LVSD_RUN_DIR: dir,
      LVSD_STATE_DIR: dir,
      LVSD_CONTROL_SOCKET: join(dir, 'lvsd.sock'),
      LVSD_CHECK_THREADS: String(threads),
    },
  });
  let log = '';
  const keep = (d: Buffer): void => {
    log += d.toString();
    if (log.length > 4_000_000) log = log.slice(-1_000_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let settle: number | null = null;
  while (Date.now() - t0 < 120_000) {
    await sleep(1000);
    if (liveDests(dns) >= N) {
      settle = (Date.now() - t0) / 1000;
      break;
    }
  }
  // The checker process: lvsd's node process is the one `ip netns exec` became; keepalived's
  // checker is the child in its -c pid file.
  let pid = proc.pid!;
  if (impl === 'keepalived') {
    for (let i = 0; i < 50 && !existsSync(pidFiles[1]!); i++) await sleep(100);
    pid = Number(readFileSync(pidFiles[1]!, 'utf8').trim());
  }
  await sleep(3000);
  const c0 = cpuTicks(pid);
  const from = counts.length;
  const w0 = Date.now();
  await sleep(WINDOW * 1000);
  const cpuPct = ((cpuTicks(pid) - c0) / 100 / ((Date.now() - w0) / 1000)) * 100;
  const secs = counts.slice(from + 1, counts.length - 1);
  const window = secs.map((c) => c.accepts);
  const gaps = {
    p50: median(secs.map((c) => c.p50)),
    p99: Math.max(0, ...secs.map((c) => c.p99)),
    max: Math.max(0, ...secs.map((c) => c.max)),
  };
  const rssMb = rssKb(pid) / 1024;
  let extra = '';
  if (impl === 'lvsd') {
    process.kill(pid, 'SIGUSR1');
    await sleep(1500);
    try {
      const st = JSON.parse(readFileSync(join(dir, 'check-status.json'), 'utf8')) as {
        scheduler: Record<string, number>;
      };
      const s = st.scheduler;
      extra = `${threads} probe thread(s): probes started ${s['runs']}, of which late (> 250 ms after due) ${s['lateRuns']}; in flight ${s['inFlight']}; max lateness in the last 10 s window ${Math.round(s['maxLatenessMs'] ?? 0)} ms`;
    } catch (e) {
      extra = `no status: ${(e as Error).message}`;
    }
    const warns = log.split('\n').filter((l) => l.includes('cannot keep up')).length;
    extra += `; "cannot keep up" warnings logged: ${warns}`;
  }
  if (process.env['LVSD_BENCH_LOG'])
    writeFileSync(`${process.env['LVSD_BENCH_LOG']}.${impl}.log`, log.slice(-200_000));
  await stopDaemon(proc, dns);
  return {
    impl: impl === 'lvsd' ? `lvsd (${threads} probe thread${threads > 1 ? 's' : ''})` : impl,
    settleS: settle,
    checksPerS: window,
    gaps,
    cpuPct,
    rssMb,
    extra,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}

async function inVm(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-bench-checks-'));
  const tag = `lv${process.pid}x`;
  const dns = `${tag}d`;
  const lns = `${tag}l`;
  const cleanup = (): void => {
    for (const ns of [dns, lns]) spawn('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    createListenerNamespaces(dns, lns, 'bchd', 'bchl');
    const { proc: listener, counts } = startListener(
      lns,
      join(process.env['LVSD_BENCH_TOOLS'] ?? 'missing', 'check-listener'),
    );
    await sleep(500);
    const results: Result[] = [];
    for (const threads of LVSD_THREADS) {
      results.push(await measure('lvsd', dns, counts, dir, threads));
      await sleep(3000);
    }
    results.push(await measure('keepalived', dns, counts, dir));
    await sleep(3000);
    const ceiling: string[] = [];
    for (const close of ['fin', 'rst']) {
      const from = counts.length;
      // Asynchronously, so the listener's per-second lines keep being read meanwhile.
      const out = (
        await execFileAsync('ip', [
          'netns',
          'exec',
          dns,
          join(process.env['LVSD_BENCH_TOOLS'] ?? 'missing', 'connect-flood'),
          String(N),
          String(WINDOW),
          close,
        ])
      ).stdout.trim();
      const [rate, cpu] = out.split(' ').map(Number);
      const seen = counts.slice(from + 1, counts.length - 1).map((c) => c.accepts);
      ceiling.push(
        `| C connect loop, ${close.toUpperCase()} close | ${Math.round(rate ?? 0)} | ${median(seen)} | ${(cpu ?? 0).toFixed(1)} % |`,
      );
      await sleep(3000);
    }
    listener.kill('SIGKILL');
    writeResults(results, ceiling);
  } finally {
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeResults(results: Result[], ceiling: string[]): void {
  const rows = results.map((r) => {
    const seen = r.checksPerS;
    const g = r.gaps;
    return `| ${r.impl} | ${N} | ${r.settleS === null ? 'not within 120 s' : r.settleS.toFixed(1) + ' s'} | ${median(seen)} | ${Math.min(...seen)}–${Math.max(...seen)} | ${g.p50} / ${g.p99} / ${g.max} ms | ${r.cpuPct.toFixed(1)} % | ${r.rssMb.toFixed(1)} MB |`;
  });
  const machine = `${hostname()}, ${machineAndKeepalived()}`.trim();
  const text = `# Health-check capacity: lvsd vs keepalived

Machine: ${machine} (inside scripts/ipvs-vm.sh: QEMU TCG, ~10× slower than the host). Date: ${new Date().toISOString()}.
Command: \`node dist/bench/checks.js --reals ${N} --window ${WINDOW} --lvsd-threads ${LVSD_THREADS.join(',')}\` (root).

Method: ${N / 10} virtual servers × 10 reals, TCP_CHECK, \`delay_loop 1\`, \`connect_timeout 2\`, \`alpha\`. One epoll
listener (C) in a namespace answers on all ${N} addresses (a \`local\` route) and counts accepts per second =
checks actually done. Settle = start until all ${N} reals are in IPVS with weight > 0 (polled every 1 s with
\`ipvsadm -Sn\`). Then a ${WINDOW} s window: checks/s (median and range of per-second counts), the interval at
which each real was really probed (gap between two accepts on one address: median of the per-second p50,
largest per-second p99, largest gap), CPU % of one vCPU (utime+stime of the checker process, all its threads),
RSS. Goal: ${N} checks/s (every real every second, so every gap ≈ 1000 ms).

| impl | reals | settle with alpha | checks/s (median) | checks/s (range) | probe interval per real p50 / p99 / max | CPU | RSS |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

The ceiling of this VM: no checker, just a C loop (\`bench/tools/connect-flood.c\`) connecting to the same
${N} addresses as fast as it can (512 in flight) for ${WINDOW} s, against the same listener.

| what | connects/s (client) | accepts/s (listener, median) | client CPU |
|---|---|---|---|
${ceiling.join('\n')}

${results
  .filter((r) => r.extra)
  .map((r) => `- ${r.impl}: ${r.extra}`)
  .join('\n')}
`;
  const out = join(repo, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'checks.md'), text);
  process.stdout.write(text);
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-vm')) return inVm();
  const log = process.env['LVSD_BENCH_LOG'];
  runInVmWithTools(
    fileURLToPath(import.meta.url),
    ['check-listener', 'connect-flood'],
    ['--reals', String(N), '--window', String(WINDOW), '--lvsd-threads', LVSD_THREADS.join(',')],
    log ? { LVSD_BENCH_LOG: log } : {},
  );
}

await main();
