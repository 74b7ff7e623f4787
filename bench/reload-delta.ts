// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): a reload of 10,000 virtual servers x 10 reals (TCP_CHECK) with one real's
 * weight changed, end to end on the host, as `lvsd run` does it: the standby validator (a real child
 * process, started ahead, the file read while it waited) told `go`, its model files put in place,
 * the LVS worker's reading of them (run-config.ts `readModelFiles`; a process of its own with the
 * daemon's LVS worker flags, as the daemon's is: bench/lib/reload-lvs-worker.ts), its spec and its manager's
 * reload until the kernel is asked for the change. "ahead": the reload a second after the edit, which
 * the standby read while it waited (it reads nothing at `go`). "delta": the child answers once a delta against
 * model.json is in place and writes model.json whole after (daemon/model-file.ts); "whole": the same
 * child with no model.json to make a delta against, which writes model.json whole before it answers
 * (as every reload did up to this change). Both in the same run, rounds alternating. The kernel is
 * the in-memory table model (no ip_vs on the host): its operations are counted, its time is not
 * in the figures (bench/results/reload-vm.md has the real kernel, at 1,000 x 10). Not in the figures
 * either: the supervisor's SIGHUP to the worker. In them: the bench tells its worker `go` and the
 * worker answers over their IPC channel, as the daemon's worker answers over its pipe.
 * Writes bench/results/reload-delta.md.
 *
 * Usage: node dist/bench/reload-delta.js [--services N] [--rounds N] [--worker-flags='FLAGS']
 * (`--worker-flags='--a --b'`: Node flags the worker gets after the daemon's, to try them)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../src/config/load.io.js';
import {
  placeModelFiles,
  placeWholeModelFile,
  readModelFiles,
  writeModelFile,
} from '../src/daemon/run-config.js';
import { StandbyValidator } from '../src/daemon/validator-standby.js';
import { vrrpModelFile } from '../src/daemon/model-paths.js';
import { lvsWorkerNodeFlags } from '../src/daemon/worker-specs.js';
import { processIdle } from '../test/fakes/process-idle.js';
import { REALS, ROUNDS, SERVICES, TOKEN_LIMIT, WORKER_FLAGS, configText } from './lib/reload-file.js';
import {
  type LvsWorkerAnswer,
  type LvsWorkerAsk,
  MODEL_PATH_VARIABLE,
  absoluteNow,
} from './lib/reload-lvs-worker.js';
import { median, writeReport } from './lib/summary.js';

process.env['LVSD_CONFIG_MAX_TOKENS'] = String(TOKEN_LIMIT); // the children inherit it

const WAYS = ['ahead', 'delta', 'whole'] as const;
type Way = (typeof WAYS)[number];

interface Round {
  /** ms from `go` (SIGHUP) to: the files the workers read in place, */
  placed: number;
  /** the supervisor's view read (once the worker has answered), */
  viewed: number;
  /** the LVS worker's model read from them, */
  read: number;
  /** its manager's operation sent to the kernel (its reload goes on with its checkers' tasks), */
  kernel: number;
  /** model.json whole in place (the delta removed). */
  whole: number;
  ops: number;
  /** Virtual servers in the delta (undefined: none written). */
  delta: number | undefined;
}

/** The LVS worker's Node flags: the daemon's, then the bench's own. */
const workerFlags = [...lvsWorkerNodeFlags, ...WORKER_FLAGS];

/** The LVS worker, a process of its own (bench/lib/reload-lvs-worker.ts), running model.json. */
async function lvsWorker(
  modelPath: string,
): Promise<{ go(t0: number): Promise<LvsWorkerAnswer>; close(): void }> {
  const w = fork(fileURLToPath(new URL('./lib/reload-lvs-worker.js', import.meta.url)), [], {
    execArgv: workerFlags,
    env: { ...process.env, [MODEL_PATH_VARIABLE]: modelPath },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // its next message, or an error if it exits first
  const next = (): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const exited = (code: number | null): void => reject(new Error(`the LVS worker exited (${code})`));
      w.once('exit', exited);
      w.once('message', (m) => {
        w.off('exit', exited);
        resolve(m);
      });
    });
  await next(); // 'ready'
  return {
    go: (t0) => {
      const answer = next() as Promise<LvsWorkerAnswer>;
      w.send({ t0 } satisfies LvsWorkerAsk);
      return answer;
    },
    close: () => void w.kill('SIGKILL'),
  };
}

async function rounds(way: Way): Promise<Round[]> {
  const dir = mkdtempSync(`/dev/shm/lvsd-bench-delta-${way}-`);
  try {
    const file = join(dir, 'lvsd.conf');
    const modelPath = join(dir, 'model.json');
    const parsed = parseConfigText(configText(1), file);
    if (!parsed.model) throw new Error(`bench config invalid: ${parsed.diagnostics[0]?.message}`);
    writeModelFile(modelPath, parsed.model);
    const worker = await lvsWorker(modelPath);
    // the supervisor's view of the running model (it reads the next one keeping its unchanged parts)
    let view = await readModelFiles(vrrpModelFile(modelPath));
    const o = { configFile: file, configId: undefined };
    // "whole": the child finds no model.json to make a delta against; the worker reads this one
    const standby = new StandbyValidator({ ...o, filesDir: way === 'whole' ? join(dir, 'away') : dir });
    if (way === 'whole') mkdirSync(join(dir, 'away'));
    const out: Round[] = [];
    try {
      for (let r = 0; r < ROUNDS; r++) {
        const [before, after] = r % 2 === 0 ? [1, 7] : [7, 1];
        writeFileSync(file, configText(before));
        standby.prepare();
        if (!(await processIdle(standby.waitingPid ?? 0, 1000, 120_000)))
          throw new Error('the standby validator did not settle');
        writeFileSync(file, configText(after));
        if (way === 'ahead') {
          // an operator's reload, a second or more after the save: the standby has read the edit
          // (check-config.ts readingAhead: it looks every 250 ms)
          await new Promise((resolve) => setTimeout(resolve, 1000));
          if (!(await processIdle(standby.waitingPid ?? 0, 1000, 120_000)))
            throw new Error('the standby validator did not settle after the edit');
        }
        const t0 = absoluteNow();
        // as daemon/reloader.ts: the view read once the workers have answered
        const v = await standby.validate({ ...o, previous: view, viewLater: true });
        if (!v.deferred || !v.written) throw new Error(`refused: ${v.diagnostics[0]?.message}`);
        placeModelFiles(modelPath, v);
        const placed = absoluteNow() - t0;
        const told = await worker.go(t0);
        view = v.deferred.view();
        const viewed = absoluteNow() - t0;
        const [read, kernel, ops] = [told.read - t0, told.sent - t0, told.ops];
        if (v.written.delta) {
          if (!(await v.wholeWritten)) throw new Error('the child did not write model.json');
          placeWholeModelFile(modelPath, v.written.whole);
        }
        const whole = absoluteNow() - t0;
        out.push({ placed, viewed, read, kernel, whole, ops, delta: v.written.delta?.lines });
        standby.dismiss();
      }
    } finally {
      standby.close();
      worker.close();
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load0 = loadavg();
const results: Record<Way, Round[]> = { ahead: [], delta: [], whole: [] };
// alternating, so that neither always runs on a machine the other just heated
for (let k = 0; k < 2; k++)
  for (const way of k === 0 ? WAYS : [...WAYS].reverse()) results[way].push(...(await rounds(way)));
const load1 = loadavg();

const f = (x: number): string => x.toFixed(1);
const col = (way: Way, key: 'placed' | 'viewed' | 'read' | 'kernel' | 'whole'): string =>
  f(median(results[way].map((r) => r[key])));
const report = [
  '# reload-delta: SIGHUP to the kernel, one changed real out of 100,000, on the host',
  '',
  `Generated by \`node dist/bench/reload-delta.js --services ${SERVICES} --rounds ${ROUNDS}${WORKER_FLAGS.length ? ` --worker-flags '${WORKER_FLAGS.join(' ')}'` : ''}\` (bench/reload-delta.ts) on`,
  `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, ${new Date().toISOString()}; load average at start`,
  `${load0.map(f).join(' ')}, at the end ${load1.map(f).join(' ')}.`,
  '',
  `${SERVICES} virtual servers × ${REALS} reals (TCP_CHECK), one real's weight edited once the standby validator had`,
  "read the file as it was; ms from `go` (the supervisor's SIGHUP) until each step, median of",
  `${results.delta.length} rounds a way (two runs of ${ROUNDS}, the ways alternating). "ahead": the reload comes a second`,
  'after the edit, once the standby has read it while it waited (cli/commands/check-config.ts `readingAhead`): it reads',
  'nothing at `go` (config/load-inputs.io.ts says the files are as it read them), then answers as "delta" does. "delta":',
  'the reload right after the edit, read at `go`; the child answers once a delta',
  'against model.json is in place (daemon/model-file.ts), then writes model.json whole; "whole": it writes model.json',
  "whole first (no model.json to make a delta against), as every reload did before. The LVS worker's reading is",
  "run-config.ts `readModelFiles` (the delta with the model it runs; or model.json), then its spec and its manager's",
  `reload, in a process of its own as the daemon's LVS worker is (Node flags \`${workerFlags.join(' ')}\`), timed on one`,
  "clock, against an in-memory kernel: the real kernel's time (one netlink message) is not in the figures. As the supervisor",
  "does (daemon/reloader.ts), the worker is told once the files are in place, and the supervisor reads the model's",
  'view (model.vrrp.json) once the worker has answered.',
  '',
  '| way | files in place | worker has the model | kernel asked | supervisor has the view | model.json whole in place | operations |',
  '|---|---|---|---|---|---|---|',
  ...WAYS.map(
    (w) =>
      `| ${w} | ${col(w, 'placed')} | ${col(w, 'read')} | **${col(w, 'kernel')}** | ${col(w, 'viewed')} | ${col(w, 'whole')} | ${[...new Set(results[w].map((r) => r.ops))].join(', ')} |`,
  ),
  '',
  ...WAYS.map(
    (w) =>
      `Rounds, ${w} (kernel asked): ${results[w].map((r) => f(r.kernel)).join(', ')}; virtual servers in the delta: ${results[w].map((r) => r.delta ?? '–').join(', ')}.`,
  ),
  '',
].join('\n');
writeReport('reload-delta', report);
