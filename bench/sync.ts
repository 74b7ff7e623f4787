// SPDX-License-Identifier: Apache-2.0
/**
 * IPVS connection-sync benchmark, lvsd vs keepalived in the same VM run (root; real ip_vs inside
 * scripts/ipvs-vm.sh; the two-director NAT lab of test/vm/e2e/ha-lab.ts; traffic stays inside its
 * namespaces). Each director runs the lab config plus `lvs_sync_daemon eth1 VI_GW` and a virtual
 * server VIP:9000 over two TCP echo servers. The client opens N long-lived connections through the
 * VIP, each sending one byte every 100 ms and reading the echo. Once the backup holds every one of
 * them in its connection table (synced), the master's whole daemon is SIGKILLed; the backup takes
 * over. A connection survives when it was never reset or closed and its echoes resume after the
 * takeover. Reported per implementation: survivors / N, connections the backup held before the
 * kill, the takeover time (kill → VIP on the backup) and the echo gap across it (p50 / max). A
 * control run of lvsd without `lvs_sync_daemon` shows what the sync daemon saves.
 * Writes bench/results/sync.md (on the host, from the report the VM run prints). Usage: node dist/bench/sync.js [--conns N] [--after S]  (boots the VM)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Daemon, HaLab } from '../test/vm/e2e/ha-lab.js';
import { createHaLab, GW, holds, REALS, sleep, VIP, waitUntil } from '../test/vm/e2e/ha-lab.js';
import { machineAndKeepalived } from './lib/summary.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const CONNS = arg('--conns', 100);
const AFTER_S = arg('--after', 10);
const PORT = 9000;

type Impl = 'lvsd' | 'keepalived' | 'lvsd, no lvs_sync_daemon';

interface Result {
  impl: Impl;
  conns: number;
  syncedBeforeKill: number;
  survivors: number;
  takeoverMs: number;
  gapP50Ms: number;
  gapMaxMs: number;
  errors: Record<string, number>;
}

/** The client: N connections to VIP:PORT; a byte every 100 ms; every echo's time; errors. */
const clientJs = `
const net = require('node:net');
const fs = require('node:fs');
const [vip, port, n, out] = process.argv.slice(1);
const conns = [];
for (let i = 0; i < Number(n); i++) {
  const c = { echoes: [], error: null, closed: false };
  const s = net.connect(Number(port), vip);
  s.setNoDelay(true);
  s.on('data', (d) => { const t = Date.now(); for (let k = 0; k < d.length; k++) c.echoes.push(t); });
  s.on('error', (e) => { c.error = c.error || e.code || e.message; });
  s.on('close', () => { c.closed = true; });
  c.timer = setInterval(() => { if (!s.destroyed) s.write('x'); }, 100);
  c.sock = s;
  conns.push(c);
}
const report = () => fs.writeFileSync(out, JSON.stringify(conns.map((c) => ({ echoes: c.echoes, error: c.error, closed: c.closed }))));
setInterval(report, 500);
process.on('SIGTERM', () => { report(); process.exit(0); });
`;

const echoJs = `require('node:net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${PORT}, process.argv[1]);`;

interface ConnLog {
  echoes: number[];
  error: string | null;
  closed: boolean;
}

function config(base: string, sync: boolean): string {
  const vs = `
virtual_server ${VIP} ${PORT} {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  delay_loop 1
${REALS.map((r) => `  real_server ${r} ${PORT} {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`).join('')}}
`;
  const withSync = sync ? base.replace('global_defs {', 'global_defs {\n  lvs_sync_daemon eth1 VI_GW') : base;
  return withSync + vs;
}

async function cleanDirectors(lab: HaLab): Promise<void> {
  for (const id of ['lvs1', 'lvs2'] as const)
    await lab.sh(
      id,
      `ipvsadm -C; ipvsadm --stop-daemon master || true; ipvsadm --stop-daemon backup || true
       ip addr del ${VIP}/24 dev eth0 2>/dev/null || true; ip addr del ${GW}/24 dev eth1 2>/dev/null || true
       ip neigh flush all || true`,
    );
  await lab.sh('client', 'ip neigh flush all || true');
  for (const rs of ['rs1', 'rs2'] as const) await lab.sh(rs, 'ip neigh flush all || true');
}

/** Established connections to VIP:PORT in a director's IPVS connection table. */
async function ipvsConns(lab: HaLab, id: 'lvs1' | 'lvs2'): Promise<number> {
  const out = await lab.sh(id, 'ipvsadm -Lnc || true');
  return out.split('\n').filter((l) => l.includes(`${VIP}:${PORT}`) && l.includes('ESTABLISHED')).length;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0) : 0;
};

async function trial(lab: HaLab, impl: Impl, base: string): Promise<Result> {
  writeFileSync(lab.conf, config(base, impl !== 'lvsd, no lvs_sync_daemon'));
  await cleanDirectors(lab);
  const start = (id: 'lvs1' | 'lvs2'): Daemon =>
    impl === 'keepalived' ? lab.startKeepalived(id) : lab.startDaemon(id);
  const d1 = start('lvs1');
  const d2 = start('lvs2');
  const outFile = join(lab.dir, `client-${Date.now()}.json`);
  try {
    const both = async (id: 'lvs1' | 'lvs2'): Promise<boolean> =>
      (await holds(lab.ns[id], VIP)) && (await holds(lab.ns[id], GW));
    await waitUntil(
      `${impl}: lvs1 master`,
      () => both('lvs1'),
      (x) => x,
      150_000,
    );
    await waitUntil(
      `${impl}: VIP:${PORT} on lvs2`,
      () => lab.sh('lvs2', 'ipvsadm -Sn'),
      (t) => REALS.every((r) => t.includes(`${r}:${PORT}`)),
      60_000,
    );
    const client = lab.ns.client;
    const cl = spawn(
      'ip',
      [
        'netns',
        'exec',
        client.name,
        process.execPath,
        '-e',
        clientJs,
        VIP,
        String(PORT),
        String(CONNS),
        outFile,
      ],
      { stdio: 'ignore' },
    );
    const read = (): ConnLog[] => {
      try {
        return JSON.parse(readFileSync(outFile, 'utf8')) as ConnLog[];
      } catch {
        return [];
      }
    };
    try {
      await waitUntil(
        `${impl}: ${CONNS} connections echoing`,
        () => Promise.resolve(read()),
        (l) => l.length === CONNS && l.every((c) => c.echoes.length >= 10 && !c.error),
        60_000,
      );
      // let the master's sync daemon send them (and the backup learn them); the control has none
      let synced = 0;
      if (impl !== 'lvsd, no lvs_sync_daemon')
        await waitUntil(
          `${impl}: lvs2 holds the connections`,
          async () => (synced = await ipvsConns(lab, 'lvs2')),
          (n) => n >= CONNS,
          30_000,
        ).catch(() => undefined);
      else synced = await ipvsConns(lab, 'lvs2');
      const killAt = Date.now();
      await d1.killGroup();
      const takeoverMs = await waitUntil(
        `${impl}: lvs2 master`,
        () => both('lvs2'),
        (x) => x,
        60_000,
        50,
      );
      await sleep(AFTER_S * 1000);
      cl.kill('SIGTERM');
      await new Promise((res) => cl.once('exit', res));
      const logs = read();
      const resumeAfter = killAt + takeoverMs;
      const survivors = logs.filter((c) => !c.error && !c.closed && c.echoes.some((t) => t > resumeAfter));
      const gaps = survivors.map((c) => {
        const before = c.echoes.filter((t) => t <= killAt).pop() ?? killAt;
        const after = c.echoes.find((t) => t > killAt) ?? before;
        return after - before;
      });
      const errors: Record<string, number> = {};
      for (const c of logs)
        if (c.error || c.closed) errors[c.error ?? 'closed'] = (errors[c.error ?? 'closed'] ?? 0) + 1;
      return {
        impl,
        conns: CONNS,
        syncedBeforeKill: synced,
        survivors: survivors.length,
        takeoverMs,
        gapP50Ms: quantile(gaps, 0.5),
        gapMaxMs: gaps.length ? Math.max(...gaps) : 0,
        errors,
      };
    } finally {
      if (cl.exitCode === null) cl.kill('SIGKILL');
    }
  } catch (e) {
    process.stderr.write(
      `${(e as Error).message}\nlvs1:\n${d1.output().slice(-3000)}\nlvs2:\n${d2.output().slice(-3000)}\n`,
    );
    throw e;
  } finally {
    await Promise.all([d1.stop(5000), d2.stop(5000)]);
  }
}

/** What the VM run hands the host: its results and the guest's machine line. */
interface VmReport {
  results: Result[];
  guest: string;
}

const REPORT_MARK = 'SYNC-BENCH-REPORT ';

/** Written on the host (a VM's writes to a shared directory are not relied on), with both machines. */
function write(report: VmReport, hostLoadStart: number[]): void {
  const host = `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()}`;
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const rows = report.results.map(
    (r) =>
      `| ${r.impl} | ${r.survivors} / ${r.conns} | ${r.syncedBeforeKill} | ${r.takeoverMs} | ${r.gapP50Ms} / ${r.gapMaxMs} | ${
        Object.entries(r.errors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–'
      } |`,
  );
  const text = `# Connections through a failover with the IPVS sync daemon: lvsd vs keepalived

Host: ${host}; shared with other work (load average at start / end, 1, 5, 15 min: ${load(hostLoadStart)} / ${load(loadavg())}).
Guest: ${report.guest} (scripts/ipvs-vm.sh: QEMU TCG, ~10× slower than the host). Date: ${new Date().toISOString()}.
Command: \`node dist/bench/sync.js --conns ${CONNS} --after ${AFTER_S}\` (root; boots the VM).

Method: the two-director NAT lab of \`test/vm/e2e/ha-lab.ts\` (\`etc/lab/e2e-nat.conf\`: sync group of VI_EXT and
VI_GW, lvs1 priority 150 MASTER, lvs2 100) plus \`lvs_sync_daemon eth1 VI_GW\` and a virtual server ${VIP}:${PORT}
(NAT, rr) over TCP echo servers on both reals. The client opens ${CONNS} connections through the VIP, each writing one
byte every 100 ms and reading the echo. When every connection is echoing and the backup's IPVS connection table
holds them all (synced; "held by lvs2"), the master's whole daemon (supervisor and workers, or keepalived's three
processes) is SIGKILLed. Takeover = kill → both VIPs on lvs2 (polled every 50 ms). After ${AFTER_S} s more, a
connection **survives** when it was never reset or closed and echoes came back after the takeover. Echo gap = last
echo before the kill → first echo after it, over the survivors (p50 / max). The control run is lvsd on the same lab
without \`lvs_sync_daemon\`: the backup does not know the connections, answers their packets with a reset.

| impl | survivors | held by lvs2 before the kill | takeover (ms) | echo gap p50 / max (ms) | connection errors |
|---|---|---|---|---|---|
${rows.join('\n')}

Goal: every connection survives, with lvsd as with keepalived.
`;
  const out = join(repo, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'sync.md'), text);
  process.stdout.write(text);
}

function guestLine(): string {
  return `${machineAndKeepalived()}`;
}

async function inVm(): Promise<void> {
  const lab = await createHaLab();
  const echo: Array<{ kill(): void }> = [];
  try {
    const base = readFileSync(lab.conf, 'utf8');
    for (const [i, rs] of (['rs1', 'rs2'] as const).entries())
      echo.push(
        spawn('ip', ['netns', 'exec', lab.ns[rs].name, process.execPath, '-e', echoJs, REALS[i] ?? ''], {
          stdio: 'ignore',
        }),
      );
    const results: Result[] = [];
    for (const impl of ['lvsd', 'keepalived', 'lvsd, no lvs_sync_daemon'] as const) {
      results.push(await trial(lab, impl, base));
      process.stdout.write(`${JSON.stringify(results[results.length - 1])}\n`);
    }
    const report: VmReport = { results, guest: guestLine() };
    process.stdout.write(`${REPORT_MARK}${JSON.stringify(report)}\n`);
  } finally {
    for (const e of echo) e.kill();
    await lab.close();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-vm')) return inVm();
  const hostLoadStart = loadavg();
  const vm = spawn(
    'bash',
    [
      join(repo, 'scripts/ipvs-vm.sh'),
      '--',
      process.execPath,
      fileURLToPath(import.meta.url),
      '--in-vm',
      '--conns',
      String(CONNS),
      '--after',
      String(AFTER_S),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: repo },
  );
  let out = '';
  vm.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  const code = await new Promise<number | null>((res) => vm.once('close', res));
  const line = out.split('\n').find((l) => l.startsWith(REPORT_MARK));
  if (code !== 0 || !line) throw new Error(`the VM run failed (exit ${code}) or reported nothing`);
  write(JSON.parse(line.slice(REPORT_MARK.length)) as VmReport, hostLoadStart);
}

await main();
