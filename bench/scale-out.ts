// SPDX-License-Identifier: Apache-2.0
/**
 * Scale-out benchmark (root; inside scripts/ipvs-vm.sh: real ip_vs, BIRD 2 in namespaces): three
 * active directors announce a VIP over BGP to a router that spreads flows by ECMP (the lab of
 * test/vm/bgp/bgp-lab.ts, direct routing, `lvsd_sloppy_tcp`). For each run:
 *  1. the client opens N long-lived TCP connections to the VIP, sends a line on each and notes the
 *     real that answers (a line server on each real);
 *  2. one director dies: its switch port goes down (no FIN/RST reaches the router), then its lvsd
 *     and BIRD are SIGKILLed; the router's route is polled every 20 ms until the dead next hop is
 *     gone (time from death to withdrawal);
 *  3. the client sends a second line on every connection: a connection is broken when it gets no
 *     answer within 5 s, an error or a reset.
 * Runs: `mh` (+ mh-port) vs `rr` with the BGP hold timer (3 s), and `mh` with BFD (100 ms × 3).
 * Writes bench/results/scale-out.md. Usage: node dist/bench/scale-out.js [--conns N] [--trials N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BgpLab } from '../test/vm/bgp/bgp-lab.js';
import { createBgpLab, DIRECTORS, directorAddr, VIP } from '../test/vm/bgp/bgp-lab.js';
import { sleep, waitUntil } from '../test/vm/e2e/ha-lab.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name: string, dflt: number): number =>
  Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const CONNS = arg('--conns', 300);
const TRIALS = arg('--trials', 1);

/** The client: opens the connections, answers `round` on stdin with each connection's answer. */
const clientJs = `const net = require('node:net');
const [vip, n] = [process.argv[2], Number(process.argv[3])];
const conns = [];
function open(i) {
  return new Promise((resolve) => {
    const c = { sock: net.connect(80, vip), lines: [], dead: '' };
    c.sock.setEncoding('utf8');
    c.sock.on('data', (d) => { for (const l of d.split('\\n')) if (l) c.lines.push(l); });
    c.sock.on('error', (e) => { c.dead = c.dead || e.code || String(e); });
    c.sock.on('close', () => { c.dead = c.dead || 'closed'; });
    c.sock.once('connect', () => resolve(c));
    setTimeout(() => resolve(c), 5000);
    conns[i] = c;
  });
}
async function round(tag) {
  const before = conns.map((c) => c.lines.length);
  for (const c of conns) if (!c.dead) c.sock.write(tag + '\\n');
  const end = Date.now() + 5000;
  while (Date.now() < end && conns.some((c, i) => !c.dead && c.lines.length === before[i]))
    await new Promise((r) => setTimeout(r, 50));
  return conns.map((c, i) => (c.lines.length > before[i] ? c.lines[c.lines.length - 1] : 'BROKEN:' + (c.dead || 'timeout')));
}
(async () => {
  for (let i = 0; i < n; i += 20) await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, k) => open(i + k)));
  process.stdin.setEncoding('utf8');
  let buf = '';
  process.stdin.on('data', async (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\\n')) >= 0) {
      const cmd = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (cmd === 'exit') process.exit(0);
      process.stdout.write(JSON.stringify(await round(cmd)) + '\\n');
    }
  });
  process.stdout.write('ready\\n');
})();
`;

interface Client {
  round(tag: string): Promise<string[]>;
  close(): void;
}

async function startClient(lab: BgpLab, n: number): Promise<Client> {
  const js = join(lab.dir, 'client.cjs');
  writeFileSync(js, clientJs);
  const p = spawn('ip', ['netns', 'exec', lab.ns.cl.name, process.execPath, js, VIP, String(n)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buf = '';
  let waiting: (() => void) | undefined;
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      waiting?.();
    }
  });
  const next = async (): Promise<string> => {
    while (lines.length === 0) await new Promise<void>((r) => (waiting = r));
    return lines.shift() ?? '';
  };
  if ((await next()) !== 'ready') throw new Error('client did not start');
  return {
    async round(tag) {
      p.stdin.write(`${tag}\n`);
      return JSON.parse(await next()) as string[];
    },
    close: () => p.kill('SIGKILL'),
  };
}

interface RunResult {
  scheduler: 'mh' | 'rr';
  bfd: boolean;
  conns: number;
  /** Connections the dead director carried (its IPVS connection entries before the kill). */
  viaDead: number;
  broken: number;
  /** Connections answered by another real after the kill (never expected: a new real resets). */
  changed: number;
  detectMs: number;
}

async function established(lab: BgpLab, d: (typeof DIRECTORS)[number]): Promise<number> {
  const out = await lab.ns[d].ipvsadm('-Lnc');
  return out.split('\n').filter((l) => l.includes('ESTABLISHED')).length;
}

async function oneRun(scheduler: 'mh' | 'rr', bfd: boolean): Promise<RunResult> {
  const lab = await createBgpLab({ scheduler, bfd, reals: 'lines', graceS: 1 });
  try {
    for (const d of DIRECTORS) lab.startLvsd(d);
    const all = DIRECTORS.map(directorAddr).sort();
    await waitUntil(
      'three next hops',
      () => lab.nextHops(),
      (h) => h.join() === all.join(),
      180_000,
      200,
    );
    await sleep(2000);
    const client = await startClient(lab, CONNS);
    try {
      const first = await client.round('a');
      const viaDead = await established(lab, 'd3');
      const t0 = Date.now();
      await lab.killDirector('d3');
      const left = all.filter((a) => a !== directorAddr('d3'));
      await waitUntil(
        'd3 dropped',
        () => lab.nextHops(),
        (h) => h.join() === left.join(),
        60_000,
        20,
      );
      const detectMs = Date.now() - t0;
      await sleep(1000);
      const second = await client.round('b');
      let broken = 0;
      let changed = 0;
      second.forEach((s, i) => {
        if (s.startsWith('BROKEN') || (first[i] ?? '').startsWith('BROKEN')) broken++;
        else if (s !== first[i]) changed++;
      });
      return { scheduler, bfd, conns: CONNS, viaDead, broken, changed, detectMs };
    } finally {
      client.close();
    }
  } finally {
    await lab.close();
  }
}

async function inVm(): Promise<void> {
  const results: RunResult[] = [];
  for (let i = 0; i < TRIALS; i++)
    for (const [scheduler, bfd] of [
      ['mh', false],
      ['rr', false],
      ['mh', true],
    ] as const) {
      const r = await oneRun(scheduler, bfd);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      results.push(r);
    }
  const label = (r: RunResult): string =>
    `${r.scheduler}${r.scheduler === 'mh' ? ' + mh-port' : ''} | ${r.bfd ? 'BFD 100 ms × 3' : 'hold timer 3 s'}`;
  const rows = results.map(
    (r) =>
      `| ${label(r)} | ${r.conns} | ${r.viaDead} | **${r.broken}** (${((100 * r.broken) / r.conns).toFixed(1)} %) | ${r.changed} | ${r.detectMs} ms |`,
  );
  // per configuration, over its trials: broken connections in all, and death → withdrawal
  const summary = [...new Set(results.map(label))].map((l) => {
    const rs = results.filter((r) => label(r) === l);
    const broken = rs.reduce((a, r) => a + r.broken, 0);
    const conns = rs.reduce((a, r) => a + r.conns, 0);
    const det = rs.map((r) => r.detectMs).sort((a, b) => a - b);
    const median = det[Math.floor(det.length / 2)] ?? 0;
    return `| ${l} | ${rs.length} | **${broken}** of ${conns} (${((100 * broken) / conns).toFixed(1)} %) | ${rs.map((r) => r.broken).join(', ')} | ${det[0] ?? 0} / ${median} / ${det[det.length - 1] ?? 0} ms |`;
  });
  const [load1, load5] = loadavg();
  const machine = `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()}, Node ${process.version}; ${birdVersion()}`;
  const text = `# Scale-out: one of three BGP-announcing directors dies

Machine: ${machine} (inside scripts/ipvs-vm.sh: QEMU TCG, ~10× slower than the host). Date: ${new Date().toISOString()}; the VM's load average at the end ${load1?.toFixed(2)} (1 min), ${load5?.toFixed(2)} (5 min).
Command: \`node dist/bench/scale-out.js --conns ${CONNS} --trials ${TRIALS}\` (root; it boots the VM).

Method (\`bench/scale-out.ts\`, the lab of \`test/vm/bgp/bgp-lab.ts\`): a router namespace running BIRD 2 learns
the VIP ${VIP} over eBGP from three directors (each runs \`lvsd run\` with \`lvsd_bgp_table\` and its own BIRD
exporting that table) and installs one ECMP route (\`merge paths\`, \`fib_multipath_hash_policy 1\`: source and
destination ports in the hash). Direct routing to three reals running a line server on port 80; every
director runs the same \`virtual_server\` (\`lvsd_sloppy_tcp\`, \`quorum 2\`, TCP_CHECK every second). The client
opens ${CONNS} TCP connections to the VIP and sends a line on each (each answered with the real's name).
Then director d3 dies: its switch port goes down (so no FIN or RST reaches the router), then its
\`lvsd\` and BIRD are SIGKILLed. The router's route is polled every 20 ms until d3's next hop is gone
("death → withdrawal"). One second later the client sends a second line on every connection: a
connection is broken when it gets a reset, an error, or no answer within 5 s. "Through d3" counts d3's
established IPVS connection entries before the kill.

Summary, per configuration over its trials:

| scheduler | d3's loss detected by | trials | broken in all | broken per trial | death → withdrawal min / median / max |
|---|---|---|---|---|---|
${summary.join('\n')}

Each trial:

| scheduler | d3's loss detected by | connections | through d3 | broken | answered by another real | death → withdrawal |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Reading it: when d3's next hop leaves the router's ECMP route, the router sends d3's flows to d1 and
d2 (and, as Linux's hash-threshold ECMP redraws the hash regions of three next hops as two, may move
some of the survivors' flows between them: with \`rr\` those break too, so "broken" can exceed
"through d3"). A moved flow reaches a
director that has never seen it; with \`lvsd_sloppy_tcp\` IPVS takes it up mid-flow and schedules it.
With \`mh\` and the same reals in the same order on every director (lvsd keeps failed reals at weight 0,
never deletes them), it is scheduled to the real it had, which still has the connection, so it goes
on (the summary counts those that broke all the same). With \`rr\`, it goes to whichever real rr picks next;
when that is not the real it had, that real answers the unknown connection with a reset. The time
from death to withdrawal is the BGP hold time (3 s, the lowest BIRD allows, counted from the last
keepalive the router received; keepalives go about every second, so the withdrawal follows the death
by up to 3 s) or BFD's detection (3 × 100 ms), each plus BIRD's and the kernel's processing in this
emulated VM (the last column).
Nothing sent to d3 in that window is answered; these connections were idle then, so none broke of it, but a busy flow loses those packets and retransmits. One trial per row.
`;
  const out = join(repo, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'scale-out.md'), text);
  process.stdout.write(text);
}

/** `bird --version` (BIRD prints it on stderr). */
function birdVersion(): string {
  const r = spawnSync('bird', ['--version'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim() || 'BIRD (version unknown)';
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-vm')) return inVm();
  execFileSync(
    'bash',
    [
      join(repo, 'scripts/ipvs-vm.sh'),
      '-w',
      join(repo, 'bench', 'results'),
      '--',
      process.execPath,
      fileURLToPath(import.meta.url),
      '--in-vm',
      '--conns',
      String(CONNS),
      '--trials',
      String(TRIALS),
    ],
    { stdio: 'inherit', cwd: repo },
  );
}

await main();
