// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): a reload of 10,000 virtual servers x 10 reals (TCP_CHECK) with one real's
 * weight changed, stage by stage, on the host. The stages off the LVS worker's event loop (the
 * validating child parses the file and makes the fingerprints) and on it (model.json read, the
 * spec built, the manager's reload until the kernel has the change), keeping unchanged virtual
 * servers (daemon/model-file.ts, CheckSpecBuilder: as `lvsd run` does) and afresh (every virtual
 * server parsed and built anew: how every reload went before). The kernel is the in-memory
 * table model (the host has no ip_vs), so the kernel's own time is not in the figures; the
 * operations it is asked for are counted. Writes bench/results/reload.md.
 *
 * Usage: node dist/bench/reload.js [--services N] [--rounds N]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { checkSpecFromModel } from '../src/check/from-model.js';
import { CheckSpecBuilder } from '../src/check/spec-builder.js';
import { desiredTable } from '../src/check/desired.js';
import { buildWorld } from '../src/check/virtual-server.js';
import { VsTextCache, withFingerprints } from '../src/config/fingerprints.js';
import {
  fingerprintedModelLines,
  modelFileText,
  parseModelText,
  vrrpModelFileBytes,
  vrrpModelFileText,
} from '../src/daemon/model-file.js';
import { type ValidationResult, validateConfigInChild } from '../src/daemon/validate-config.js';
import { processIdle } from '../test/fakes/process-idle.js';
import { placeModelFiles } from '../src/daemon/run-config.js';
import { StandbyValidator } from '../src/daemon/validator-standby.js';
import { FileReloader, parseConfigText } from '../src/config/load.io.js';
import { defaultLimits, loadHeapMb } from '../src/config/limits.js';
import type { Model } from '../src/config/model.js';
import { FakeIpvsKernel } from '../test/fakes/fake-ipvs-kernel.js';
import { REALS, ROUNDS, SERVICES, TOKEN_LIMIT, configText, startedManager } from './lib/reload-file.js';
import { median, writeReport } from './lib/summary.js';

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
};

function parse(text: string): Model {
  const r = parseConfigText(text, '/etc/lvsd/bench-reload.conf', {
    env: { LVSD_CONFIG_MAX_TOKENS: String(TOKEN_LIMIT) },
  });
  if (!r.model) throw new Error(`bench config invalid: ${r.diagnostics[0]?.message}`);
  return r.model;
}

type Stage =
  | 'validate (child)'
  | 'fingerprints (child)'
  | 'model.json file read (async, wall)'
  | 'model.json parse'
  | 'spec'
  | 'manager.reload';
const stages: Stage[] = [
  'validate (child)',
  'fingerprints (child)',
  'model.json file read (async, wall)',
  'model.json parse',
  'spec',
  'manager.reload',
];
/** Not on the worker's event loop: in the validating child, or the file read in libuv's threads. */
const offLoop = (s: Stage): boolean => s.includes('child') || s.includes('async');

/**
 * The validating child's stages of each round: kept, the standby validator's reading (config/
 * incremental.ts: the running file read first, then each round's file again) and the texts it kept;
 * afresh, a whole parse and every fingerprint made.
 */
function childStages(
  mode: 'kept' | 'afresh',
  texts: readonly string[],
  ms: Record<Stage, number[]>,
  ways: string[],
): void {
  const source = join(tmp, `source-${mode}.conf`);
  writeFileSync(source, texts[0]!);
  const reloader = new FileReloader(source, { env: { LVSD_CONFIG_MAX_TOKENS: String(TOKEN_LIMIT) } });
  const vsTexts = new VsTextCache();
  const validated = (text: string): Model => {
    if (mode === 'afresh') return parse(text);
    const m = reloader.load().model;
    if (!m) throw new Error('bench config invalid');
    return m;
  };
  if (mode === 'kept') vsTexts.fingerprinted(validated(texts[0]!));
  for (let r = 0; r < ROUNDS; r++) {
    const k = (r + 1) % 2;
    writeFileSync(source, texts[k]!);
    const [model, validate] = time(() => validated(texts[k]!));
    ways.push(reloader.last.way);
    const [, fp] = time(() => (mode === 'kept' ? vsTexts.fingerprinted(model) : withFingerprints(model)));
    ms['validate (child)'].push(validate);
    ms['fingerprints (child)'].push(fp);
  }
}

async function run(
  mode: 'kept' | 'afresh',
): Promise<{ ms: Record<Stage, number[]>; ops: number[]; batches: number; ways: string[] }> {
  const texts = [configText(1), configText(7)];
  const ways: string[] = [];
  // kept: model.json as lvsd writes it, read keeping unchanged virtual servers; afresh: one JSON text
  const files = texts.map((t) =>
    mode === 'kept' ? modelFileText(withFingerprints(parse(t))) : JSON.stringify(withFingerprints(parse(t))),
  );
  const read = (text: string | Buffer, previous: Model | undefined): Model =>
    mode === 'kept' ? parseModelText(text, previous) : (JSON.parse(text.toString()) as Model);
  const builder = new CheckSpecBuilder();
  const build = (m: Model) => (mode === 'kept' ? builder.build(m) : checkSpecFromModel(m));
  let running = read(files[0]!, undefined);
  const first = build(running);
  const kernel = new FakeIpvsKernel(desiredTable(first, buildWorld(first)));
  const manager = await startedManager(kernel, first);
  const ms = Object.fromEntries(stages.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
  const ops: number[] = [];
  const batches0 = kernel.batches;
  // the validating child's stages first, each round's file in turn; then the worker's, in this
  // process without what the child held (in lvsd run another process: its heap would be collected
  // here while the worker waits for its read)
  childStages(mode, texts, ms, ways);
  for (let r = 0; r < ROUNDS; r++) {
    const k = (r + 1) % 2;
    // the file as the worker reads it (tmpfs here, as /run): bytes to text, then the model
    writeFileSync(modelPath, files[k]!);
    // kept: bytes, decoding only the lines it parses; afresh: the whole text (decoded on the loop,
    // counted with the parse)
    const r0 = performance.now();
    const bytes = await readFile(modelPath);
    const readMs = performance.now() - r0;
    const [next, jsonMs] = time(() => read(mode === 'kept' ? bytes : bytes.toString('utf8'), running));
    running = next;
    const [spec, specMs] = time(() => build(next));
    const t0 = performance.now();
    const applied = await manager.reload(spec);
    ms['model.json file read (async, wall)'].push(readMs);
    ms['model.json parse'].push(jsonMs);
    ms.spec.push(specMs);
    ms['manager.reload'].push(performance.now() - t0);
    ops.push(applied.length);
  }
  return { ms, ops, batches: kernel.batches - batches0, ways };
}

/**
 * The VRRP worker's reload: JSON.parse of the whole model (before), and now its view read as it does
 * (run-config.ts readModelFiles → model-file.ts parseModelText): one real's weight edited, the
 * virtual servers it runs kept by fingerprint, only the changed one's line parsed.
 */
function vrrpParse(): { whole: number; view: number; wholeMb: number; viewMb: number } {
  const model = withFingerprints(parse(configText(1)));
  const whole = JSON.stringify(model);
  const running = parseModelText(vrrpModelFileText(model));
  const edited = Buffer.from(vrrpModelFileText(parse(configText(7))));
  const ms = (f: () => unknown): number => median(Array.from({ length: ROUNDS }, () => time(f)[1]));
  return {
    whole: ms(() => JSON.parse(whole)),
    view: ms(() => parseModelText(edited, running)),
    wholeMb: whole.length / 2 ** 20,
    viewMb: edited.length / 2 ** 20,
  };
}

/** An edit the standby validator's reader meets, and the file before and after it. */
const EDITS: { edit: string; before: () => string; after: () => string }[] = [
  { edit: "one real's weight (no line moves)", before: () => configText(1), after: () => configText(7) },
  {
    edit: 'one real added in the middle (the lines below move)',
    before: () => configText(1),
    after: () => configText(1, true),
  },
  {
    edit: 'global_defs changed (everything parsed)',
    before: () => configText(1, false, 'global_defs {\n  router_id LB1\n}'),
    after: () => configText(1, false, 'global_defs {\n  router_id LB2\n}'),
  },
];

/**
 * The standby's reading of each edit (config/incremental.ts, as check-config's standby does it):
 * the file before read and its texts made, then the file after read again, and model.json's lines
 * and model.vrrp.json made from the texts it kept. Medians of the rounds.
 */
function byEdit(): { edit: string; read: number; texts: number; way: string }[] {
  const file = join(tmp, 'by-edit.conf');
  const env = { LVSD_CONFIG_MAX_TOKENS: String(TOKEN_LIMIT) };
  return EDITS.map((e) => {
    const read: number[] = [];
    const made: number[] = [];
    let way = '';
    for (let r = 0; r < ROUNDS; r++) {
      writeFileSync(file, e.before());
      const reloader = new FileReloader(file, { env });
      const texts = new VsTextCache();
      const m0 = reloader.load().model;
      if (!m0) throw new Error('bench config invalid');
      fingerprintedModelLines(m0, texts);
      vrrpModelFileBytes(m0, texts);
      writeFileSync(file, e.after());
      const [m, ms] = time(() => reloader.load().model);
      if (!m) throw new Error('bench config invalid');
      way = `${reloader.last.way}:${reloader.last.parsed}`;
      read.push(ms);
      made.push(time(() => [fingerprintedModelLines(m, texts), vrrpModelFileBytes(m, texts)])[1]);
    }
    return { edit: e.edit, read: median(read), texts: median(made), way };
  });
}

/**
 * The supervisor's part of a reload as `lvsd run` does it at SIGHUP, until model.json and
 * model.vrrp.json are in place. "standby": as now for a file this large, its child started ahead
 * (validator-standby.ts: loaded, parser warmed, waiting for `go`; given 3 s to settle before the
 * round), which writes the files beside model.json, renamed into place, only the VRRP view parsed;
 * "fresh child": the same with a child started at SIGHUP (validateConfigInChild: `lvsd check-config
 * --result-json --host`, the bundle, the heap config/limits.ts loadHeapMb gives the bench's limits,
 * lowest CPU priority); "piped" (up to f0ea9d6): a fresh child that sends the files through its
 * standard output, written by the supervisor. Also the hand-started VRRP worker's child (its view).
 */
const WAYS = ['standby', 'fresh child', 'piped'] as const;
type Way = (typeof WAYS)[number];
interface ChildRound {
  total: number;
  /** Of the total: the supervisor putting the files in place (written, or renamed). */
  write: number;
  /** MB of buffers the supervisor's process holds more once they are in place (before a GC). */
  buffersMb: number;
  /** How the child read the file (a standby: config/incremental.ts). */
  parsed: ValidationResult['parsed'];
}
async function childRounds(): Promise<{ ways: Record<Way, ChildRound[]>; vrrp: number[] }> {
  const file = join(tmp, 'lvsd.conf');
  process.env['LVSD_CONFIG_MAX_TOKENS'] = String(TOKEN_LIMIT);
  const ways: Record<Way, ChildRound[]> = { standby: [], 'fresh child': [], piped: [] };
  const vrrp: number[] = [];
  const refused = (v: { diagnostics: { message: string }[] }): Error =>
    new Error(`the validating child refused the bench file: ${v.diagnostics[0]?.message}`);
  const opts = { configFile: file, configId: undefined };
  const standby = new StandbyValidator({ ...opts, filesDir: tmp });
  try {
    for (let r = 0; r < ROUNDS; r++) {
      writeFileSync(file, configText(r % 2 === 0 ? 7 : 1));
      // rotate the order, so that no way always runs first after the file changed
      for (let k = 0; k < WAYS.length; k++) {
        const way = WAYS[(r + k) % WAYS.length]!;
        if (way === 'standby') {
          // as at a reload: the standby read the running file (the other weight) while it waited
          writeFileSync(file, configText(r % 2 === 0 ? 1 : 7));
          standby.prepare();
          if (!(await processIdle(standby.waitingPid ?? 0, 1000, 60_000)))
            throw new Error('the standby validator did not settle');
          writeFileSync(file, configText(r % 2 === 0 ? 7 : 1));
          // no model.json to make a delta against: the child writes it whole before it answers, as
          // the other ways do (the delta's reload: bench/reload-delta.ts)
          rmSync(modelPath, { force: true });
        }
        const buffers0 = process.memoryUsage().arrayBuffers;
        const t0 = performance.now();
        const v =
          way === 'standby'
            ? await standby.validate(opts)
            : await validateConfigInChild({
                ...opts,
                view: 'files',
                ...(way === 'piped' ? {} : { filesDir: tmp }),
              });
        const t1 = performance.now();
        if (!v.model) throw refused(v);
        placeModelFiles(modelPath, v);
        const t2 = performance.now();
        const buffersMb = (process.memoryUsage().arrayBuffers - buffers0) / 2 ** 20;
        ways[way].push({ total: t2 - t0, write: t2 - t1, buffersMb, parsed: v.parsed });
        standby.dismiss(); // the next one prepared just before its round, not beside the others
      }
      const t0 = performance.now();
      const v = await validateConfigInChild({ ...opts, view: 'vrrp' });
      if (!v.model) throw refused(v);
      vrrp.push(performance.now() - t0);
    }
  } finally {
    standby.close();
  }
  return { ways, vrrp };
}

const tmp = mkdtempSync('/dev/shm/lvsd-bench-reload-');
const modelPath = join(tmp, 'model.json');
const load0 = loadavg();
const results = { kept: await run('kept'), afresh: await run('afresh') };
const vrrp = vrrpParse();
const edits = byEdit();
const child = await childRounds();
rmSync(tmp, { recursive: true, force: true });
const load1 = loadavg();
const f = (x: number): string => x.toFixed(1);
const rows = stages.map((s) => {
  const loop = offLoop(s) ? 'no' : 'yes';
  return `| ${s} | ${loop} | ${f(median(results.kept.ms[s]))} | ${f(median(results.afresh.ms[s]))} |`;
});
const onLoop = (r: typeof results.kept): number =>
  median(r.ms['model.json parse']) + median(r.ms.spec) + median(r.ms['manager.reload']);
const report = [
  '# reload: one changed real out of 100,000',
  '',
  `Host: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} CPUs), Node ${process.version}. Date: ${new Date().toISOString()}.`,
  `Load average (1, 5, 15 min) at start ${load0.map(f).join(' ')}, at end ${load1.map(f).join(' ')}.`,
  `Command: \`node dist/bench/reload.js --services ${SERVICES} --rounds ${ROUNDS}\` (\`npm run bench reload\`).`,
  '',
  `${SERVICES} virtual servers x ${REALS} reals with a TCP_CHECK each; every round reloads the other of two files that`,
  'differ in one real\'s weight. Median ms of the rounds. "kept": as `lvsd run` does now, the file read again by the',
  "standby validator's reader, which parses only the statements that changed (config/incremental.ts: here",
  `${results.kept.ways.join(', ')}), the fingerprints from the texts it kept (VsTextCache), model.json read keeping`,
  'the objects of unchanged virtual servers (daemon/model-file.ts) and the spec built keeping theirs (CheckSpecBuilder);',
  '"afresh": the whole model parsed and every virtual server a new object, as every reload went before. The kernel is the in-memory table model (no ip_vs on the',
  'host): its own time is not in these figures. keepalived is not beside it here: its reload needs ip_vs (the VM).',
  '',
  "| stage | on the worker's event loop | kept (ms) | afresh (ms) |",
  '|---|---|---|---|',
  ...rows,
  `| **on the loop, total** | | **${f(onLoop(results.kept))}** | **${f(onLoop(results.afresh))}** |`,
  '',
  "The standby validator's reading of other edits, in this process (config/incremental.ts, as the standby does it",
  'at `go`): the file before the edit read and its texts made, then the file after read again ("read again": how,',
  "and how many statements it parsed), and model.json's lines and model.vrrp.json made from the texts it kept (a",
  'virtual server whose locations moved is a new object: its texts are made again). Median ms of the rounds.',
  '',
  "| edit | read again (ms) | how | files' texts (ms) |",
  '|---|---|---|---|',
  ...edits.map((e) => `| ${e.edit} | ${f(e.read)} | ${e.way} | ${f(e.texts)} |`),
  '',
  "The supervisor's part, as `lvsd run` does it at SIGHUP, until model.json and model.vrrp.json are in place (the",
  'workers are told next). "standby": as now for a file this large, by the child it started ahead (loaded, the file',
  'as it was before the edit read and its texts made, waiting for `go`; the file edited once it is idle), which reads',
  `the file again (here ${child.ways.standby.map((c) => (c.parsed ? `${c.parsed.way}:${c.parsed.parsed}` : '?')).join(', ')}: how, and how many statements parsed), writes the files beside`,
  'model.json, renamed into place, only the VRRP view read back (here with no model.json to make a delta against: the',
  'delta, and SIGHUP to the kernel, are in bench/results/reload-delta.md); "fresh child": the same with a child started at SIGHUP',
  `(\`lvsd check-config --result-json --host\` on the bundle, ${loadHeapMb({ ...defaultLimits, maxTokens: TOKEN_LIMIT })} MB of heap (loadHeapMb of the bench's limits), nice 19);`,
  '"piped" (up to f0ea9d6): a fresh child that sends the files through its standard output, the supervisor writes them.',
  "Median of the rounds; each round rotates the order of the three. Buffers: how many MB more the supervisor's process",
  'holds once the files are in place (`arrayBuffers`, before any collection: pipe chunks and their copy, or the view read back).',
  '',
  '| supervisor | SIGHUP → files in place (ms) | of which placing them (ms) | buffers held after (MB) |',
  '|---|---|---|---|',
  ...WAYS.map(
    (w) =>
      `| ${w} | ${f(median(child.ways[w].map((c) => c.total)))} | ${f(median(child.ways[w].map((c) => c.write)))} | ${f(median(child.ways[w].map((c) => c.buffersMb)))} |`,
  ),
  '',
  `Rounds: ${WAYS.map((w) => `${w} ${child.ways[w].map((c) => f(c.total)).join(', ')}`).join('; ')}.`,
  `The VRRP worker's view from a child (a hand-started \`--vrrp-only\` reloading): ${f(median(child.vrrp))} ms`,
  `(rounds: ${child.vrrp.map(f).join(', ')}). The stages above that say "(child)" are the same work in this warm`,
  "process, without the child's start and heap limit.",
  '',
  `Kernel operations per reload: kept ${results.kept.ops.join(', ')} (${results.kept.batches} batches over`,
  `${ROUNDS} reloads); afresh ${results.afresh.ops.join(', ')} (${results.afresh.batches} batches).`,
  '',
  'The VRRP worker reads the model at every reload too, on the event loop of its timers: before, the whole',
  `model.json (${f(vrrp.wholeMb)} MB) in ${f(vrrp.whole)} ms (JSON.parse); now its view without real servers,`,
  `model.vrrp.json (${f(vrrp.viewMb)} MB), keeping the virtual servers it runs and parsing the edited one's line,`,
  `in ${f(vrrp.view)} ms (model-file.ts parseModelText; medians of ${ROUNDS}).`,
  '',
].join('\n');
writeReport('reload', report);
