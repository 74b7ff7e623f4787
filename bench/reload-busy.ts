// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): a reload of a large file (10,000 virtual servers x 10 reals) on a director
 * whose cores are busy (`stress-ng --cpu N`, N the number of CPUs, nice 0; in a session of its own or
 * in the bench's: `LOADS`), against the same on a quiet one. The reload comes 1 s after the standby validator was started (it is still reading the
 * running file, as after a reload a moment before, or a start), or with no standby at all (a fresh
 * child: the first reload after a standby died). "lvsd": the child validates at lvsd's own priority
 * (a standby raised at its `go`: daemon/validator-standby.ts); "nice 19": the child put back to
 * nice 19 as soon as it was told `go` (or started), as every validation ran before this change.
 * ms from the supervisor's `go` to model.json whole in place (the slowest of what the reload
 * writes). Writes bench/results/reload-busy.md.
 *
 * Usage: node dist/bench/reload-busy.js [--services N] [--rounds N]   (needs stress-ng)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startValidator, validatorAnswer, type ValidationResult } from '../src/daemon/validate-config.js';
import { StandbyValidator } from '../src/daemon/validator-standby.js';
import { LOWEST_NICE, setProcessPriority } from '../src/daemon/process-priority.js';
import { ROUNDS, SERVICES, TOKEN_LIMIT, configText } from './lib/reload-file.js';
import { median, writeReport } from './lib/summary.js';

process.env['LVSD_CONFIG_MAX_TOKENS'] = String(TOKEN_LIMIT); // the children inherit it

const WAYS = ['lvsd', 'nice 19'] as const;
type Way = (typeof WAYS)[number];
const CHILDREN = ['standby, 1 s after its start', 'fresh child'] as const;
type Child = (typeof CHILDREN)[number];
/**
 * Where the load runs matters: the kernel shares the CPUs between sessions first (autogroup), then
 * by nice within one. "busy, other session": another service's load (its own session, as systemd
 * starts every service); "busy, same session": load among lvsd's own processes (its checkers
 * at 10,000 reals, say), where a nice-19 child gets ~1.5 % of a CPU.
 */
const LOADS = ['quiet', 'busy, other session', 'busy, same session'] as const;
type Load = (typeof LOADS)[number];

/** ms from `go` to the model files all in place, the child as `way` says. */
async function oneReload(dir: string, way: Way, child: Child): Promise<number> {
  const file = join(dir, 'lvsd.conf');
  writeFileSync(file, configText(1));
  const o = { configFile: file, configId: undefined, filesDir: dir };
  let r: ValidationResult;
  let t0: number;
  if (child === 'fresh child') {
    writeFileSync(file, configText(7));
    t0 = performance.now();
    const v = startValidator({ ...o, view: 'files' });
    if (way === 'nice 19' && v.child.pid !== undefined) setProcessPriority(v.child.pid, LOWEST_NICE);
    r = (await validatorAnswer(v, { ...o, view: 'files' })).result;
  } else {
    const standby = new StandbyValidator(o);
    standby.prepare();
    const pid = standby.waitingPid;
    await new Promise((res) => setTimeout(res, 1000));
    writeFileSync(file, configText(7));
    t0 = performance.now();
    const answer = standby.validate(o);
    // undo the raise validate() just made
    if (way === 'nice 19' && pid !== undefined) setProcessPriority(pid, LOWEST_NICE);
    r = await answer;
    standby.close();
  }
  if (!r.model || !r.written) throw new Error(`refused: ${r.diagnostics[0]?.message ?? 'no files'}`);
  if (r.wholeWritten && !(await r.wholeWritten)) throw new Error('the child did not write model.json');
  const ms = performance.now() - t0;
  for (const f of readdirSync(dir)) if (f !== 'lvsd.conf') rmSync(join(dir, f), { force: true });
  return ms;
}

function stress(load: Load): ChildProcess {
  const s = spawn('stress-ng', ['--cpu', String(cpus().length), '--timeout', '1800s'], {
    stdio: 'ignore',
    detached: load === 'busy, other session', // setsid(2): a session (an autogroup) of its own
  });
  process.once('exit', () => s.kill('SIGTERM')); // the bench failed: not left running
  s.on('error', (e) => {
    throw new Error(`stress-ng: ${e.message} (apt-get install stress-ng)`);
  });
  return s;
}

const dir = mkdtempSync('/dev/shm/lvsd-bench-busy-');
const times = new Map<string, number[]>();
const key = (l: Load, c: Child, w: Way): string => `${l}|${c}|${w}`;
const load0 = loadavg();
let loadBusy: number[] = []; // the last busy run's
try {
  for (const load of LOADS) {
    const s = load === 'quiet' ? undefined : stress(load);
    try {
      if (s) await new Promise((res) => setTimeout(res, 3000)); // its workers running
      for (let round = 0; round < ROUNDS; round++)
        for (const child of CHILDREN)
          for (const way of round % 2 === 0 ? WAYS : [...WAYS].reverse()) {
            const ms = await oneReload(dir, way, child);
            times.set(key(load, child, way), [...(times.get(key(load, child, way)) ?? []), ms]);
            console.log(`${load}, ${child}, ${way}: ${ms.toFixed(0)} ms`);
          }
      if (s) loadBusy = loadavg();
    } finally {
      s?.kill('SIGTERM'); // it ends its workers
      if (s && s.exitCode === null) await new Promise((res) => s.once('exit', res));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg();

const f = (x: number): string => x.toFixed(1);
const s = (ms: number): string => (ms / 1000).toFixed(2);
const cell = (l: Load, c: Child, w: Way): string => {
  const xs = times.get(key(l, c, w)) ?? [];
  return `${s(median(xs))} (${xs.map(s).join(', ')})`;
};
writeReport(
  'reload-busy',
  [
    '# reload-busy: a reload of a large file on a director whose cores are busy',
    '',
    `Generated by \`node dist/bench/reload-busy.js --services ${SERVICES} --rounds ${ROUNDS}\` (bench/reload-busy.ts) on`,
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, ${new Date().toISOString()}; load average at start`,
    `${load0.map(f).join(' ')}, with stress-ng ${loadBusy.map(f).join(' ')}, at the end ${load1.map(f).join(' ')}.`,
    '',
    `${SERVICES} virtual servers × 10 reals (TCP_CHECK), one real's weight edited; seconds from the supervisor's \`go\``,
    'to model.json whole in place, median (each round). "busy": `stress-ng --cpu N` (N = CPUs, nice 0) the whole time,',
    "in a session of its own (another service's load: the kernel shares the CPUs between sessions first, autogroup)",
    "or in the bench's (load among lvsd's own processes, such as its checkers: shared by nice within the session).",
    '"standby": the reload comes 1 s after the standby validator was started, still reading the running file',
    '(as a reload a moment after another, or after a start); "fresh child": no standby (the first reload after one',
    'died). "lvsd": the child validates at lvsd\'s own priority (a standby raised at its `go`:',
    'daemon/validator-standby.ts); "nice 19": the same child put back to nice 19 at once, as every validation ran',
    'before (bench/reload-busy.ts emulates it with setpriority on each of its threads).',
    '',
    '| load | child | lvsd (s) | nice 19 (s) |',
    '|---|---|---|---|',
    ...LOADS.flatMap((l) =>
      CHILDREN.map((c) => `| ${l} | ${c} | **${cell(l, c, 'lvsd')}** | ${cell(l, c, 'nice 19')} |`),
    ),
    '',
  ].join('\n'),
);
