// SPDX-License-Identifier: Apache-2.0
/**
 * Health-check capacity on the host (issue 13: "10,000 reals checked every second with < 1 core,
 * and lateness reported"): lvsd's check engine, as the LVS worker builds it (CheckManager, the
 * native TCP engine and its probe threads, the config parsed and validated as `lvsd run` does),
 * against real listeners in network namespaces. The host has no ip_vs, so the manager programs
 * lvsd's in-memory IPVS table (test/fakes/fake-ipvs-kernel.ts): everything the probes do is real.
 * Method as bench/checks.ts (the VM bench, beside keepalived): N reals, N/10 virtual servers x 10,
 * TCP_CHECK, `delay_loop 1`, `connect_timeout 2`, `alpha`; one epoll listener (bench/tools/
 * check-listener.c) in a namespace answers on all N addresses (a `local` route) and counts accepts
 * per second (checks actually done) and each address's gaps between two accepts. The checker runs
 * in a second namespace, routed to the first over a veth pair. Settle: start until every real is
 * in the table with weight > 0. Then a window of W seconds: checks/s, per-real probe interval, the
 * checker's CPU (process.cpuUsage: every thread, probe threads included) as % of one core, RSS,
 * and the scheduler's own lateness (probes started, started > 250 ms after due, largest lateness).
 * keepalived is not beside it here: its checker needs ip_vs (bench/checks.ts runs both in the VM).
 * Writes bench/results/checks-host.md. Usage (root): node dist/bench/checks-host.js [--reals N]
 * [--window S] [--threads T]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CheckManager } from '../src/check/manager.js';
import { checkSpecFromModel } from '../src/check/from-model.js';
import { realProbeFactory } from '../src/check/probes.io.js';
import { monotonicClock, mathRng, realTimers } from '../src/daemon/clock.js';
import { loadRunConfig } from '../src/daemon/run-config.js';
import { lvsWorkerNodeFlags } from '../src/daemon/worker-specs.js';
import { nativeTcpEngine } from '../src/net/tcp-check-engine.io.js';
import { ScriptRunner } from '../src/script/runner.io.js';
import type { Logger } from '../src/core/log.js';
import { lateWarningText } from '../src/check/scheduler.js';
import { FakeIpvsKernel } from '../test/fakes/fake-ipvs-kernel.js';
import {
  createListenerNamespaces,
  labCheckConfig,
  startListener,
  type ListenerSecond,
} from './lib/check-listener-lab.js';
import { median } from './lib/summary.js';

const { values } = parseArgs({
  options: {
    inner: { type: 'boolean' },
    reals: { type: 'string', default: '10000' },
    window: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
  },
});
const N = Number(values.reals);
const WINDOW = Number(values.window);
const THREADS = Number(values.threads);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the checker process reports, as one JSON line. */
interface InnerResult {
  settleS: number | null;
  cpuPct: number;
  rssMb: number;
  probesPerS: number;
  lateRuns: number;
  runs: number;
  maxLatenessMs: number;
  meanLatenessMs: number;
  warnings: number;
}

/** The checker, in its namespace: the LVS worker's check engine on an in-memory IPVS table. */
async function inner(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-checks-host-'));
  const conf = join(dir, 'lvsd.conf');
  writeFileSync(conf, labCheckConfig(N, true));
  const silentIo = { stdout: () => {}, stderr: () => {}, readStdin: () => Promise.resolve('') };
  const loaded = await loadRunConfig({ configFile: conf, configId: 'bench', io: silentIo });
  rmSync(dir, { recursive: true, force: true });
  if (!loaded.model) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  let warnings = 0;
  const log: Logger = {
    error: () => {},
    warn: (m: string) => {
      if (m === lateWarningText) warnings++;
    },
    notice: () => {},
    info: () => {},
    debug: () => {},
    child: () => log,
  };
  const kernel = new FakeIpvsKernel();
  const manager = new CheckManager({
    kernel,
    clock: monotonicClock,
    timers: realTimers,
    rng: mathRng,
    logger: log,
    probes: realProbeFactory(mathRng, new ScriptRunner()),
    tcpEngine: (onResult) => nativeTcpEngine(onResult, { threads: THREADS }),
    runScript: () => {},
  });
  const t0 = performance.now();
  await manager.start(checkSpecFromModel(loaded.model));
  const live = (): number =>
    kernel.table.reduce((n, e) => n + e.destinations.filter((d) => d.weight > 0).length, 0);
  let settleS: number | null = null;
  while (performance.now() - t0 < 120_000) {
    await sleep(250);
    if (live() >= N) {
      settleS = (performance.now() - t0) / 1000;
      break;
    }
  }
  await sleep(3000);
  process.stdout.write('CHECKS_HOST_WINDOW\n');
  const before = manager.schedulerStats();
  manager.takeSchedulerWindow();
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await sleep(WINDOW * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - w0) / 1000;
  const w = manager.takeSchedulerWindow();
  const after = manager.schedulerStats();
  const result: InnerResult = {
    settleS,
    cpuPct: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
    probesPerS: (after.runs - before.runs) / wallS,
    runs: after.runs - before.runs,
    lateRuns: after.lateRuns - before.lateRuns,
    maxLatenessMs: w.maxLatenessMs,
    meanLatenessMs: w.meanLatenessMs,
    warnings,
  };
  process.stdout.write(`CHECKS_HOST ${JSON.stringify(result)}\n`, () => process.exit(0));
}

async function outer(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('checks-host: needs root (network namespaces)');
  const loadStart = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'lvsd-checks-host-tools-'));
  const tag = `lvch${process.pid}`;
  const cns = `${tag}c`;
  const lns = `${tag}l`;
  const children: { kill(s?: NodeJS.Signals): boolean }[] = [];
  try {
    const listenerBin = join(work, 'check-listener');
    execFileSync('gcc', ['-O2', '-o', listenerBin, join(repo, 'bench', 'tools', 'check-listener.c')]);
    createListenerNamespaces(cns, lns, `${tag}a`, `${tag}b`);
    const { proc: listener, counts } = startListener(lns, listenerBin);
    children.push(listener);
    await sleep(500);
    const checker = spawn(
      'ip',
      [
        'netns',
        'exec',
        cns,
        process.execPath,
        // the daemon's LVS worker runs its checks with these (daemon/worker-specs.ts)
        ...lvsWorkerNodeFlags,
        fileURLToPath(import.meta.url),
        '--inner',
        '--reals',
        String(N),
        '--window',
        String(WINDOW),
        '--threads',
        String(THREADS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(checker);
    // the listener's seconds inside the checker's window: from its mark to its report
    let out = '';
    let windowFrom = -1;
    let windowTo = -1;
    checker.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (windowFrom < 0 && out.includes('CHECKS_HOST_WINDOW')) windowFrom = counts.length + 1;
      if (windowTo < 0 && out.includes('CHECKS_HOST ')) windowTo = counts.length;
    });
    const code = await new Promise<number | null>((resolve) => checker.once('exit', resolve));
    const line = /^CHECKS_HOST (.*)$/m.exec(out)?.[1];
    if (code !== 0 || line === undefined)
      throw new Error(`checks-host: the checker failed (${String(code)}): ${out}`);
    const r = JSON.parse(line) as InnerResult;
    const secs = counts.slice(windowFrom, windowTo);
    writeReport(r, secs, loadStart);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const ns of [cns, lns]) spawn('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

function writeReport(r: InnerResult, secs: ListenerSecond[], loadStart: number[]): void {
  const perS = secs.map((s) => s.accepts);
  const la = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
  const cpu = cpus();
  const text = `# Health-check capacity on the host: lvsd's check engine, ${N} reals every second

Machine: ${hostname()}, ${cpu.length} × ${cpu[0]?.model ?? '?'}, kernel ${release()}, Node ${process.version}. Date: ${new Date().toISOString()}.
Load average at start ${la(loadStart)}, at the end ${la(loadavg())}.
Command: \`node dist/bench/checks-host.js --reals ${N} --window ${WINDOW} --threads ${THREADS}\` (root).

Method (bench/checks-host.ts): the LVS worker's check engine (CheckManager, the native TCP engine with ${THREADS}
probe thread(s), the config parsed and validated as \`lvsd run\` does; a process with the LVS worker's Node flags,
\`${lvsWorkerNodeFlags.join(' ')}\`) in a network namespace, probing ${N} reals
(${N / 10} virtual servers × 10, TCP_CHECK, \`delay_loop 1\`, \`connect_timeout 2\`, \`alpha\`) that one epoll
listener (bench/tools/check-listener.c) answers in a second namespace behind a veth pair. No ip_vs on the host:
the manager programs lvsd's in-memory IPVS table; the probes are real. A ${WINDOW} s window from 3 s after every
real was up: checks/s counted by the listener (median and range of its per-second counts), the interval at which
each real was really probed (gap between two accepts on one address: median of the per-second p50, largest
per-second p99, largest gap), the checker's CPU (all its threads) as % of one core, its RSS, and its scheduler's
lateness. Goal (issue 13): every real every second (${N} checks/s, gaps ≈ 1000 ms) with < 1 core, lateness
reported. keepalived is not beside it: its checker needs ip_vs (bench/checks.ts runs both in the VM).

| reals | settle with alpha | checks/s (median) | checks/s (range) | probe interval per real p50 / p99 / max | CPU (one core = 100 %) | RSS |
|---|---|---|---|---|---|---|
| ${N} | ${r.settleS === null ? 'not within 120 s' : `${r.settleS.toFixed(1)} s`} | ${median(perS)} | ${Math.min(...perS)}–${Math.max(...perS)} | ${median(secs.map((s) => s.p50))} / ${Math.max(0, ...secs.map((s) => s.p99))} / ${Math.max(0, ...secs.map((s) => s.max))} ms | ${r.cpuPct.toFixed(1)} % | ${r.rssMb.toFixed(1)} MB |

Lateness (the scheduler's own figures over the window): probes started ${r.runs} (${r.probesPerS.toFixed(0)}/s), of
which late (> 250 ms after due) ${r.lateRuns}; largest lateness ${r.maxLatenessMs.toFixed(1)} ms, mean
${r.meanLatenessMs.toFixed(2)} ms; "cannot keep up" warnings ${r.warnings}.
`;
  const dir = join(repo, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'checks-host.md'), text);
  process.stdout.write(text);
}

if (values.inner) await inner();
else await outer();
