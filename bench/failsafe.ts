// SPDX-License-Identifier: Apache-2.0
/**
 * The fail-safe drills, each repeated N times (default 10), counted in bench/results/failsafe.md.
 * The drills are the root-only tests that show issue 10's behaviour against a real keepalived peer
 * in network namespaces (test/netns/daemon/{failsafe,hostile-reload,systemd,worker-crash}.test.ts,
 * test/netns/vrrp/kernel-watch.test.ts) and the script-security test on the real filesystem
 * (test/unit/script/security-fs.test.ts): this script runs them round after round through ava's TAP
 * reporter, counts the rounds each drill passed, and summarises every figure a drill logs (the
 * numbers in its `t.log` lines: min, median, max over the rounds). A drill's pass/fail is its
 * test's assertions; the times are measured by the drill itself (sniffed adverts, netlink events,
 * sd_notify arrival), not by this script.
 * Usage (root): node dist/bench/failsafe.js [--rounds N]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/netns/harness.js';

const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 10;
const DRILLS = [
  'dist/test/netns/daemon/failsafe.test.js',
  'dist/test/netns/vrrp/kernel-watch.test.js',
  'dist/test/netns/daemon/hostile-reload.test.js',
  'dist/test/netns/daemon/systemd.test.js',
  'dist/test/netns/daemon/worker-crash.test.js',
  'dist/test/unit/script/security-fs.test.js',
];

interface DrillTally {
  passed: number;
  runs: number;
  failures: string[];
  /** Figure key (the log line with its numbers as #) → the numbers at each position, per round. */
  figures: Map<string, number[][]>;
}

/** One TAP run: test title → ok and the log lines under it. */
export function parseTap(tap: string): Map<string, { ok: boolean; logs: string[]; message?: string }> {
  const out = new Map<string, { ok: boolean; logs: string[]; message?: string }>();
  let current: { ok: boolean; logs: string[]; message?: string } | undefined;
  for (const line of tap.split('\n')) {
    const head = /^(not ok|ok) \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$/.exec(line);
    if (head) {
      current = { ok: head[1] === 'ok', logs: [] };
      out.set(head[2] ?? '', current);
      continue;
    }
    const log = /^# {3}(.*)$/.exec(line);
    if (log && current) current.logs.push(log[1] ?? '');
    const message = /^ {4}message: (.*)$/.exec(line);
    if (message?.[1] !== undefined && current) current.message = message[1];
  }
  return out;
}

/** A measured number: not part of a word such as `priority-0` or `VI_1`. */
const NUMBER = /(?<![\w.-])\d+(?:\.\d+)?/g;

function record(tally: DrillTally, logs: readonly string[]): void {
  for (const line of logs) {
    const numbers = (line.match(NUMBER) ?? []).map((x) => Math.round(Number(x) * 10) / 10);
    if (numbers.length === 0) continue;
    const key = line.replace(NUMBER, '#');
    const columns = tally.figures.get(key) ?? numbers.map(() => []);
    numbers.forEach((n, i) => columns[i]?.push(n));
    tally.figures.set(key, columns);
  }
}

function spread(xs: readonly number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor((s.length - 1) / 2)] ?? NaN;
  return s.length === 1 ? `${median}` : `${s[0]}/${median}/${s[s.length - 1]}`;
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error('bench failsafe needs root (network namespaces)');
  const tallies = new Map<string, DrillTally>();
  const started = Date.now();
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/ava/entrypoints/cli.mjs'),
        '--tap',
        '--serial',
        '--timeout=5m',
        ...DRILLS,
      ],
      { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const results = parseTap(r.stdout);
    if (results.size === 0) throw new Error(`round ${round}: no TAP results\n${r.stdout}\n${r.stderr}`);
    for (const [title, res] of results) {
      const tally: DrillTally = tallies.get(title) ?? {
        passed: 0,
        runs: 0,
        failures: [],
        figures: new Map(),
      };
      tally.runs++;
      if (res.ok) tally.passed++;
      else tally.failures.push(`round ${round}: ${res.message ?? 'failed'}`);
      record(tally, res.logs);
      tallies.set(title, tally);
    }
    const failed = [...results.values()].filter((x) => !x.ok).length;
    console.log(
      `round ${round}/${ROUNDS}: ${results.size - failed} passed, ${failed} failed, ${Date.now() - t0} ms`,
    );
  }
  const text = report(tallies, Date.now() - started);
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench/results/failsafe.md'), text);
  console.log(text);
}

function report(tallies: Map<string, DrillTally>, ms: number): string {
  const lines = [
    '# Fail-safe drills, repeated',
    '',
    `Generated by \`node dist/bench/failsafe.js --rounds ${ROUNDS}\` (bench/failsafe.ts) on ${hostname()},`,
    `${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()},`,
    `node ${process.version}, load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${Math.round(ms / 1000)} s in all.`,
    '',
    'Each drill is a root-only test against a real keepalived peer in network namespaces (or the real',
    "filesystem): it passes when all its assertions hold. Figures are the numbers in the drill's own log",
    'lines (min/median/max over the rounds; a single value when they never varied).',
    '',
    '| drill | passed | figures (min/median/max) |',
    '| --- | --- | --- |',
  ];
  for (const [title, t] of tallies) {
    const figures = [...t.figures].map(([key, cols]) => {
      let i = 0;
      return key.replace(/#/g, () => spread(cols[i++] ?? []));
    });
    lines.push(`| ${title.replace(/\|/g, '\\|')} | ${t.passed}/${t.runs} | ${figures.join('<br>') || '-'} |`);
  }
  const failures = [...tallies].filter(([, t]) => t.failures.length);
  if (failures.length) {
    lines.push('', '## Failures', '');
    for (const [title, t] of failures) for (const f of t.failures) lines.push(`- ${title}: ${f}`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1]?.endsWith('failsafe.js')) main();
