// SPDX-License-Identifier: Apache-2.0
/**
 * Check timing, lvsd vs keepalived in the same VM run (root; real ip_vs in scripts/ipvs-vm.sh;
 * traffic stays in the namespaces of test/vm/check/lab.ts). For TCP_CHECK, HTTP_GET and MISC_CHECK
 * (bash connects to the real) over combinations of delay_loop, retry, delay_before_retry,
 * connect_timeout, warmup and alpha (one virtual server per checker × combination, `--per` reals
 * each), `lvsd run --check-only` and then `keepalived -C` run the same configuration; the reals'
 * servers fail together (refused: every segment answered by a RST, as a killed server's; blackholed:
 * probes time out) at a random point, and come back at another. Out = failure → the real leaves the
 * IPVS table; back = the server answers again → the real is back in it. Reports the mean and range of each, both sides, and lvsd/keepalived of the means.
 * Writes bench/results/check-timing.md; beside it, in bench/results/tmp/ (not kept): every round of
 * every real raw (its failure, the probes that reached it, its out and back instants) and each
 * daemon's whole output with the VM's threads by CPU time at its end, to read a cell's spread.
 * Usage (host, as root): flock /tmp/lvsd-heavy.lock node dist/bench/check-timing.js
 *   [--per N] [--refused ROUNDS] [--blackholed ROUNDS]   (boots the VM)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab } from '../test/vm/check/lab.js';
import type { Lab } from '../test/vm/check/lab.js';
import { startWho } from '../test/vm/check/daemons.js';
import type { Who } from '../test/vm/check/daemons.js';
import type { Failure } from './check-timing-lab.js';
import { LogTrace, ProbeLog, Reals, waitReals } from './check-timing-lab.js';
import { machineAndKeepalived } from './lib/summary.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const PER = arg('--per', 2);
const ROUNDS: Record<Failure, number> = { refused: arg('--refused', 6), blackholed: arg('--blackholed', 6) };
/**
 * The failure and the recovery each come at a random point in [0, PHASE_MS) after the previous step
 * settled: longer than any combination's probe cycle while down (connect_timeout + delay_loop ≤ 3 s),
 * so neither instant is in step with a checker's schedule. A fixed pause (300 ms after the last real
 * left, before) made every round recover at the same phase of each checker, and the back times
 * compared those phases, not the daemons.
 */
const PHASE_MS = 3000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Combo {
  name: string;
  delayLoop: number;
  retry: number;
  delayBeforeRetry: number;
  connectTimeout: number;
  warmup?: number;
  alpha?: boolean;
}

const combos: Combo[] = [
  { name: 'a', delayLoop: 1, retry: 1, delayBeforeRetry: 1, connectTimeout: 1 },
  { name: 'b', delayLoop: 2, retry: 2, delayBeforeRetry: 0.5, connectTimeout: 1, warmup: 0 },
  { name: 'c', delayLoop: 1, retry: 0, delayBeforeRetry: 1, connectTimeout: 2, alpha: true },
  { name: 'd', delayLoop: 1, retry: 1, delayBeforeRetry: 3, connectTimeout: 1, warmup: 3 },
];
const kinds = ['TCP_CHECK', 'HTTP_GET', 'MISC_CHECK'] as const;
type Kind = (typeof kinds)[number];

interface Group {
  kind: Kind;
  combo: Combo;
  vip: string;
  reals: string[];
}

function groups(): Group[] {
  const out: Group[] = [];
  let n = 0;
  kinds.forEach((kind, k) =>
    combos.forEach((combo, c) => {
      const reals = Array.from({ length: PER }, () => `10.9.0.${10 + n++}`);
      out.push({ kind, combo, vip: `10.9.9.${1 + k * combos.length + c}`, reals });
    }),
  );
  return out;
}

function comboText(c: Combo): string {
  return `delay_loop ${c.delayLoop} retry ${c.retry} delay_before_retry ${c.delayBeforeRetry} connect_timeout ${c.connectTimeout}${c.warmup !== undefined ? ` warmup ${c.warmup}` : ''}${c.alpha ? ' alpha' : ''}`;
}

function checker(g: Group, real: string): string {
  const c = g.combo;
  const timing = [
    `retry ${c.retry}`,
    `delay_before_retry ${c.delayBeforeRetry}`,
    `connect_timeout ${c.connectTimeout}`,
    ...(c.warmup !== undefined ? [`warmup ${c.warmup}`] : []),
  ].join('\n      ');
  if (g.kind === 'TCP_CHECK') return `TCP_CHECK {\n      ${timing}\n    }`;
  if (g.kind === 'HTTP_GET')
    return `HTTP_GET {\n      url {\n        path /index.html\n        status_code 200\n      }\n      ${timing}\n    }`;
  // bash's /dev/tcp: one exec per probe (the VM emulates its CPU); a blackholed connect is ended
  // by misc_timeout, set to connect_timeout on both sides
  const probe = `/bin/bash ${probeScript} ${real}`;
  return `MISC_CHECK {\n      misc_path "${probe}"\n      misc_timeout ${c.connectTimeout}\n      ${timing}\n    }`;
}

/** MISC_CHECK's script: exit 0 when ADDR:80 accepts a connection. */
let probeScript = '/nonexistent';

/** delay_loop on the virtual server: keepalived's misc_timeout default is the VS's delay_loop. */
function config(gs: Group[]): string {
  const vss = gs.map((g) => {
    const reals = g.reals.map((r) => `  real_server ${r} 80 {\n    weight 1\n    ${checker(g, r)}\n  }`);
    return `virtual_server ${g.vip} 80 {\n  delay_loop ${g.combo.delayLoop}\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${g.combo.alpha ? '  alpha\n' : ''}${reals.join('\n')}\n}`;
  });
  return `global_defs {\n  script_user root\n}\n${vss.join('\n')}\n`;
}

/**
 * Per real and failure mode, each round's out and back times (ms) in the kernel table: from the
 * failure / recovery (`out`, `back`), and from the first probe that reached the real after it
 * (`outAfterProbe`, `backAfterProbe`: what the daemon does once a probe has met the change, free of
 * where the change fell in the probe schedule); `flaps` = rounds where the real was already out
 * when its server failed (the checker failed a live server: an overloaded VM), left out of the times.
 */
interface Times {
  out: number[];
  back: number[];
  outAfterProbe: number[];
  backAfterProbe: number[];
  flaps: number;
}
type Samples = Record<Failure, Times>;
/** Every real's every round, raw (bench/results/tmp/check-timing-rounds.json): to read a cell's spread. */
const rounds: object[] = [];
const noTimes = (): Times => ({ out: [], back: [], outAfterProbe: [], backAfterProbe: [], flaps: 0 });

async function runOne(
  who: Who,
  lab: Lab,
  reals: Reals,
  probes: ProbeLog,
  gs: Group[],
): Promise<Map<string, Samples>> {
  const conf = join(lab.dir, `${who}.conf`);
  writeFileSync(conf, config(gs));
  const all = gs.flatMap((g) => g.reals);
  const samples = new Map<string, Samples>(
    all.map((a) => [a, { refused: noTimes(), blackholed: noTimes() }]),
  );
  const d = startWho(lab, who, conf);
  // one HTTP_GET real's lines, with the failure instants, go to a trace file beside the results
  const traced = gs.find((g) => g.kind === 'HTTP_GET')!.reals[0]!;
  const said = new LogTrace([d.proc.stdout, d.proc.stderr], traced);
  try {
    const pid = d.proc.pid!;
    const up = await waitReals(pid, all, true, 90_000);
    if (up.size < all.length) {
      const missing = all.filter((a) => !up.has(a));
      process.stdout.write(
        `${who}: not in IPVS after 90 s: ${missing.join(' ')}\n${d.output().slice(-4000)}\n`,
      );
    }
    await sleep(4000); // every checker past its warmup and first probes
    for (const how of ['refused', 'blackholed'] as const) {
      for (let round = 0; round < ROUNDS[how]; round++) {
        await sleep(Math.random() * PHASE_MS); // a random point in the checkers' intervals
        // the table is polled while the servers fail and come back, so no change is seen late
        const outPoll = waitReals(pid, all, false, 20_000);
        const died = reals.fail(how);
        said.lines.push(`${died.at.get(traced)!.toFixed(0)} bench: ${how}`);
        const out = await outPoll;
        await sleep(Math.random() * PHASE_MS);
        const backPoll = waitReals(pid, all, true, 20_000);
        const back = reals.recover(how);
        said.lines.push(`${back.at.get(traced)!.toFixed(0)} bench: back`);
        const backIn = await backPoll;
        for (const a of all) {
          const s = samples.get(a)![how];
          const o0 = out.get(a);
          const b0 = backIn.get(a);
          rounds.push({
            who,
            how,
            round,
            real: a,
            group: gs.findIndex((g) => g.reals.includes(a)),
            died: died.at.get(a)!,
            out: o0,
            probesOut: probes
              .between(a, died, o0 ?? died.at.get(a)! + 20_000)
              .map((t) => t - died.at.get(a)!),
            back: b0,
            probesBack: probes
              .between(a, back, b0 ?? back.at.get(a)! + 20_000)
              .map((t) => t - back.at.get(a)!),
          });
          const o = out.get(a);
          const b = backIn.get(a);
          if (o === undefined) continue; // never out: no back either
          if (o < died.at.get(a)!) {
            s.flaps++;
            continue;
          }
          s.out.push(o - died.at.get(a)!);
          const po = probes.firstAfter(a, died);
          if (po !== undefined && po <= o) s.outAfterProbe.push(o - po);
          if (b === undefined) continue;
          s.back.push(b - back.at.get(a)!);
          const pb = probes.firstAfter(a, back);
          if (pb !== undefined && pb <= b) s.backAfterProbe.push(b - pb);
        }
        process.stdout.write(
          `${who} ${how} round ${round + 1}: out ${out.size}/${all.length}, back ${backIn.size}/${all.length}\n`,
        );
        await sleep(1500);
      }
    }
  } finally {
    const ps = execFileSync('ps', ['-eLo', 'pid,tid,nice,cls,pcpu,time,rss,comm', '--sort=-time'], {
      encoding: 'utf8',
    });
    await d.stop();
    mkdirSync(join(repo, 'bench', 'results', 'tmp'), { recursive: true });
    writeFileSync(
      join(repo, 'bench', 'results', 'tmp', `check-timing-output-${who}.log`),
      d.output() + '\n' + ps,
    );
    writeFileSync(
      join(repo, 'bench', 'results', `check-timing-trace-${who}.log`),
      said.lines.join('\n') + '\n',
    );
  }
  return samples;
}

interface Stat {
  mean: number;
  min: number;
  max: number;
  n: number;
}

function stat(xs: number[]): Stat | undefined {
  if (xs.length === 0) return undefined;
  return {
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
    min: Math.min(...xs),
    max: Math.max(...xs),
    n: xs.length,
  };
}

const sec = (ms: number): string => (ms / 1000).toFixed(2);
const cell = (s: Stat | undefined, want: number): string =>
  s ? `${sec(s.mean)} (${sec(s.min)}–${sec(s.max)})${s.n < want ? ` n=${s.n}` : ''}` : 'never';
const ratio = (a: Stat | undefined, b: Stat | undefined): string =>
  a && b && b.mean > 0 ? (a.mean / b.mean).toFixed(2) : '—';
/**
 * lvsd's mean within ±10 % of keepalived's, or within 50 ms of it where both are that short (an
 * IPVS update after the deciding probe: a ratio of two such means measures the emulator's jitter).
 */
const TOLERANCE_MS = 50;
const close = (a: Stat | undefined, b: Stat | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  (Math.abs(a.mean / b.mean - 1) <= 0.1 || Math.abs(a.mean - b.mean) <= TOLERANCE_MS);

type Measure = Exclude<keyof Times, 'flaps'>;
interface Count {
  within: number;
  total: number;
}

function table(
  how: Failure,
  gs: Group[],
  res: Record<Who, Map<string, Samples>>,
): { text: string; raw: Count; afterProbe: Count } {
  const raw: Count = { within: 0, total: 0 };
  const afterProbe: Count = { within: 0, total: 0 };
  const want = PER * ROUNDS[how];
  const rows = gs.map((g) => {
    const pick = (who: Who, what: Measure): Stat | undefined =>
      stat(g.reals.flatMap((a) => res[who].get(a)![how][what]));
    const flaps = (who: Who): number => g.reals.reduce((n, a) => n + res[who].get(a)![how].flaps, 0);
    const cells = (['out', 'outAfterProbe', 'back', 'backAfterProbe'] as const).map((m) => {
      const [l, k] = [pick('lvsd', m), pick('keepalived', m)];
      const count = m.endsWith('AfterProbe') ? afterProbe : raw;
      count.total++;
      if (close(l, k)) count.within++;
      return `${cell(l, want)} | ${cell(k, want)} | ${ratio(l, k)}`;
    });
    return `| ${g.kind} | ${comboText(g.combo)} | ${cells.join(' | ')} | ${flaps('lvsd')} / ${flaps('keepalived')} |`;
  });
  const text = `| checker | combination | out: lvsd | keepalived | ratio | out after the first probe: lvsd | keepalived | ratio | back: lvsd | keepalived | ratio | back after the first probe: lvsd | keepalived | ratio | flaps lvsd / keepalived |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}`;
  return { text, raw, afterProbe };
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function inVm(): Promise<void> {
  const gs = groups();
  const loadStart = loadavg();
  const started = new Date();
  const lab = createLab(gs.flatMap((g) => g.reals));
  probeScript = join(lab.dir, 'probe.sh');
  writeFileSync(probeScript, 'exec 3<>"/dev/tcp/$1/80"\n');
  const reals = new Reals(
    lab,
    gs.flatMap((g) => g.reals),
  );
  const probes = new ProbeLog(lab);
  try {
    await reals.startAll();
    await probes.ready();
    const res = {
      lvsd: await runOne('lvsd', lab, reals, probes, gs),
      keepalived: await runOne('keepalived', lab, reals, probes, gs),
    };
    const loadEnd = loadavg();
    const k = table('refused', gs, res);
    const b = table('blackholed', gs, res);
    const machine = `${machineAndKeepalived()}`;
    const text = `# Check timing: lvsd vs keepalived

Machine: ipvs-vm, ${machine} (scripts/ipvs-vm.sh: QEMU TCG, ~10× slower than the host). Date: ${started.toISOString()}.
Load average in the VM: ${loadStart} at the start, ${loadEnd} at the end. HOST_LOAD
Command: \`flock /tmp/lvsd-heavy.lock node dist/bench/check-timing.js --per ${PER} --refused ${ROUNDS.refused} --blackholed ${ROUNDS.blackholed}\` (root).

Method: one virtual server per checker × combination, ${PER} reals each (${gs.length * PER} reals, each its own busybox
httpd in a namespace; MISC_CHECK runs \`bash\` connecting to its real through /dev/tcp, \`misc_timeout\` = \`connect_timeout\`). \`lvsd run --check-only\`, then
\`keepalived -C\`, on the same configuration in the same VM run. Each round all the reals' servers fail at once at a
random point (refused: an nftables rule in the reals' namespace answers every segment to port 80 with a RST, as
a killed server's port does; blackholed: an nftables drop, probes time out), then come back at another random point
(0–${PHASE_MS / 1000} s after the last real left), the rule removed. Out = failure →
the real leaves the IPVS table; back = the server answers again → the real is in the table again (the table read
from /proc/PID/net/ip_vs every 5 ms). "After the first probe": the same instants counted from the first probe to
reach the real after the failure / the recovery (its SYN, captured by tcpdump in the reals' namespace before
nftables sees it; a retransmitted SYN counts; a round whose first probe came while the nft command ran is left
out of these columns, as it may have met either state): how long the daemon takes once a probe has met the change, without
the wait for that probe, which depends on where the change fell in the probe schedule (uniform over up to a
\`delay_loop\`, so with ${PER} reals × ${Math.max(ROUNDS.refused, ROUNDS.blackholed)} rounds a mean moves by ±0.1–0.3 s from run to run on either side).
Cells: mean (min–max) in seconds over reals × rounds (n when fewer than ${PER} × rounds were seen: "never" = not within
20 s); ratio = lvsd mean / keepalived mean. Flaps = a real out of the table before its server failed (a live
server failed its check: the emulated VM overloaded); such rounds are left out of the times. Within: lvsd's mean
±10 % of keepalived's, or ±${TOLERANCE_MS} ms where both are that short. The rules both follow are in
docs/config.md, "Check timing".

## Refused (${ROUNDS.refused} rounds): within ±10 %: ${k.raw.within} of ${k.raw.total} means of out and back, ${k.afterProbe.within} of ${k.afterProbe.total} counted from the first probe

${k.text}

## Blackholed (${ROUNDS.blackholed} rounds): within ±10 %: ${b.raw.within} of ${b.raw.total} means of out and back, ${b.afterProbe.within} of ${b.afterProbe.total} counted from the first probe

${b.text}
`;
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'check-timing.md'), text);
    mkdirSync(join(out, 'tmp'), { recursive: true });
    writeFileSync(join(out, 'tmp', 'check-timing-rounds.json'), JSON.stringify({ groups: gs, rounds }));
    process.stdout.write(text);
  } finally {
    probes.stop();
    reals.stop();
    lab.close();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-vm')) return inVm();
  const hostStart = loadavg();
  execFileSync(
    'bash',
    [
      join(repo, 'scripts/ipvs-vm.sh'),
      ...['-w', join(repo, 'bench', 'results'), '--'],
      ...[process.execPath, fileURLToPath(import.meta.url), '--in-vm'],
      ...[
        '--per',
        String(PER),
        '--refused',
        String(ROUNDS.refused),
        '--blackholed',
        String(ROUNDS.blackholed),
      ],
    ],
    { stdio: 'inherit', cwd: repo },
  );
  const file = join(repo, 'bench', 'results', 'check-timing.md');
  const text = readFileSync(file, 'utf8').replace(
    'HOST_LOAD',
    `Load average on the host: ${hostStart} at the start, ${loadavg()} at the end.`,
  );
  writeFileSync(file, text);
}

await main();
