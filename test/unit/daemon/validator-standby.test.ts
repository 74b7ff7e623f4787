// SPDX-License-Identifier: Apache-2.0
// The supervisor's standby validator: a child started ahead of a reload, warmed, waiting for `go`.
// Real processes: its answer is the child's, a dead standby never refuses a reload, a dismissed one
// exits without a word, and each reload leaves the next one waiting.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelText } from '../../../src/daemon/model-file.js';
import { deltaModelFile } from '../../../src/daemon/model-paths.js';
import {
  placeModelFiles,
  placeWholeModelFile,
  readModelFiles,
  writeModelFiles,
} from '../../../src/daemon/run-config.js';
import { STANDBY_NICE, startValidator, validateConfigInChild } from '../../../src/daemon/validate-config.js';
import { validateForSupervisor } from '../../../src/daemon/validate-here.js';
import { StandbyValidator } from '../../../src/daemon/validator-standby.js';
import { processIdle, threadNices } from '../../fakes/process-idle.js';
import { until } from '../../helpers/processes.js';

const file = fileURLToPath(new URL('../../../../etc/lvs-nat.conf', import.meta.url));
const o = { configFile: file, configId: 'lvs1', lenient: false };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function standby(t: { teardown(fn: () => void): void }): StandbyValidator {
  const s = new StandbyValidator(o);
  t.teardown(() => s.close());
  return s;
}

test('a reload is answered by the waiting child, as by a fresh one; the next one waits once prepared', async (t) => {
  const s = standby(t);
  s.prepare();
  const first = s.waitingPid;
  if (first === undefined) return t.fail('no child waiting after prepare()');
  s.prepare();
  t.is(s.waitingPid, first, 'one waiting child at most');
  const [r, fresh] = await Promise.all([s.validate(o), validateConfigInChild({ ...o, view: 'files' })]);
  t.deepEqual(r.diagnostics, fresh.diagnostics);
  t.deepEqual(r.model, fresh.model);
  t.is(r.files?.whole.toString('utf8'), fresh.files?.whole.toString('utf8'));
  t.is(r.files?.vrrp.toString('utf8'), fresh.files?.vrrp.toString('utf8'));
  t.true(await gone(first), 'the child that answered has exited');
  // not spawned on the answer's way (the reload's workers wait through a spawn): by prepare()
  t.is(s.waitingPid, undefined);
  s.prepare();
  const next = s.waitingPid;
  t.true(next !== undefined && next !== first && alive(next), 'the next reload’s child waits');
  return undefined;
});

test('a standby killed before its reload: the reload is answered by a fresh child, not refused', async (t) => {
  const s = standby(t);
  s.prepare();
  const pid = s.waitingPid!;
  process.kill(pid, 'SIGKILL');
  t.true(await gone(pid));
  const r = await s.validate(o);
  t.truthy(r.model, JSON.stringify(r.diagnostics));
  t.truthy(r.files);
});

test('a dismissed standby exits by itself, and a closed one prepares nothing more', async (t) => {
  const s = standby(t);
  s.prepare();
  const pid = s.waitingPid!;
  s.dismiss();
  t.is(s.waitingPid, undefined);
  t.true(await gone(pid), 'its standard input ended without go: it exits');
  s.close();
  s.prepare();
  t.is(s.waitingPid, undefined);
  // still answers (a fresh child), prepares nothing after
  t.truthy((await s.validate(o)).model);
  t.is(s.waitingPid, undefined);
});

/** The nice value of each thread of `pid` (Linux keeps one per thread). */
test('a standby waits at nice 19 and validates at lvsd’s own priority; a fresh child runs at it', async (t) => {
  const ours = getPriority();
  const fresh = startValidator({ ...o, view: 'files' });
  t.deepEqual([...new Set(threadNices(fresh.child.pid!) ?? [])], [ours], 'a fresh child: at our priority');
  await fresh.done;
  const s = standby(t);
  s.prepare();
  const pid = s.waitingPid!;
  t.true(await processIdle(pid), 'the standby is ready');
  t.is(threadNices(pid)?.[0], STANDBY_NICE, 'waiting at the lowest priority');
  // raised and told `go` before validate() first waits: the child cannot have been reaped yet
  const answer = s.validate(o);
  const nices = threadNices(pid) ?? [];
  const r = await answer;
  t.truthy(r.model);
  if (r.notRaised === undefined) {
    t.deepEqual([...new Set(nices)], [ours], `every thread raised (${nices.length} threads)`);
  } else {
    // refused only without CAP_SYS_NICE (root has it; CI runs this as root)
    t.not(process.getuid?.(), 0, 'root may raise it');
    t.is(r.notRaised, STANDBY_NICE);
    t.is(nices[0], STANDBY_NICE, 'it validated where it waited');
  }
});

test('another file (a dry run of -f OTHER) gets a child of its own; the standby keeps waiting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-standby-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const other = join(dir, 'other.conf');
  writeFileSync(other, 'virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n');
  const s = standby(t);
  s.prepare();
  const pid = s.waitingPid!;
  const r = await s.validate({ ...o, configFile: other });
  t.is(r.model?.virtualServers.length, 1);
  t.is(s.waitingPid, pid);
  // a small file is validated by the supervisor itself, and the waiting child is let go
  const small = await validateForSupervisor(o, s);
  t.truthy(small.model);
  t.is(s.waitingPid, undefined);
  t.true(await gone(pid));
});

test('a file edited after the standby read it: only the edited virtual server is parsed again, the answer a fresh child’s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-standby-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const edited = join(dir, 'lvs.conf');
  const text = readFileSync(file, 'utf8');
  writeFileSync(edited, text);
  const e = { ...o, configFile: edited };
  const s = new StandbyValidator(e);
  t.teardown(() => s.close());
  s.prepare();
  t.true(await processIdle(s.waitingPid!), 'the standby read the file and waits');
  // the second real's weight
  const at = text.indexOf('weight', text.indexOf('weight') + 1);
  t.true(at > 0);
  writeFileSync(edited, `${text.slice(0, at)}weight 7${text.slice(text.indexOf('\n', at))}`);
  const [r, fresh] = await Promise.all([s.validate(e), validateConfigInChild({ ...e, view: 'files' })]);
  // (`ahead` when a loaded machine let the edit settle before `go` was read: the same parse,
  // earlier; `unchanged` when a starved standby was still warming up at the edit and read it then)
  t.true(['statements', 'ahead', 'unchanged'].includes(r.parsed?.way ?? ''), JSON.stringify(r.parsed));
  t.true((r.parsed?.parsed ?? 2) <= 1, 'never the whole file');
  t.is(fresh.parsed, undefined, 'a fresh child parses whole and says nothing of it');
  t.deepEqual(r.diagnostics, fresh.diagnostics);
  t.is(r.files?.whole.toString('utf8'), fresh.files?.whole.toString('utf8'));
  t.true(r.files?.whole.toString('utf8').includes('"weight":7'));
  t.is(r.files?.vrrp.toString('utf8'), fresh.files?.vrrp.toString('utf8'));
});

/**
 * A run directory with model.json in force for a file of four virtual servers (a delta is written
 * when at most half of them changed), and a standby for that file waiting; `edit(w)`: the third
 * one's real weighs `w`.
 */
async function waitingOverModel(t: { teardown(fn: () => void): void }): Promise<{
  dir: string;
  e: typeof o & { filesDir: string };
  modelPath: string;
  running: Awaited<ReturnType<typeof readModelFiles>>;
  s: StandbyValidator;
  edit: (w: number) => void;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-standby-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const edited = join(dir, 'lvs.conf');
  const vs = (i: number, w: number): string =>
    `virtual_server 192.0.2.${i} 80 {\n  protocol TCP\n  real_server 10.0.0.${i} 80 {\n    weight ${w}\n    TCP_CHECK {\n    }\n  }\n}\n`;
  const edit = (w: number): void =>
    writeFileSync(edited, [1, 2, 3, 4].map((i) => vs(i, i === 3 ? w : 1)).join(''));
  edit(1);
  const e = { ...o, configFile: edited, filesDir: dir };
  // model.json in force: the running file's model, as the supervisor wrote it at start
  const modelPath = join(dir, 'model.json');
  const start = await validateConfigInChild({ ...e, view: 'files', filesDir: undefined });
  if (!start.files) throw new Error(JSON.stringify(start.diagnostics));
  writeModelFiles(modelPath, start.files);
  const running = await readModelFiles(modelPath);
  const s = new StandbyValidator(e);
  t.teardown(() => s.close());
  s.prepare();
  if (!(await processIdle(s.waitingPid!))) throw new Error('the standby did not read the file');
  return { dir, e, modelPath, running, s, edit };
}

test('a standby in the run directory hands a delta against model.json first, then writes model.json whole', async (t) => {
  const { e, modelPath, running, s, edit } = await waitingOverModel(t);
  edit(7);
  const [r, fresh] = await Promise.all([
    s.validate(e),
    validateConfigInChild({ ...e, view: 'files', filesDir: undefined }),
  ]);
  if (!r.written || !fresh.files) return t.fail(JSON.stringify(r.diagnostics));
  t.deepEqual(
    r.written.delta && { lines: r.written.delta.lines },
    { lines: 1 },
    'one virtual server in the delta',
  );
  placeModelFiles(modelPath, r);
  // what a worker reads now: model.json (untouched) and the delta beside it
  const handed = await readModelFiles(modelPath, running);
  t.deepEqual(handed, parseModelText(fresh.files.whole, running));
  t.true(await r.wholeWritten!, 'the child went on to write model.json');
  placeWholeModelFile(modelPath, r.written.whole);
  t.deepEqual(readFileSync(modelPath), fresh.files.whole, 'model.json as a fresh child writes it');
  t.false(existsSync(deltaModelFile(modelPath)), 'the delta gone with it');
});

test('an edit the standby read while it waited: handed over at `go` without reading again, a delta and model.json a fresh child’s', async (t) => {
  const { e, modelPath, running, s, edit } = await waitingOverModel(t);
  edit(7);
  // it looks for an edit every 250 ms and reads it once 50 ms old (check-config.ts readingAhead)
  await new Promise((r) => setTimeout(r, 1000));
  t.true(await processIdle(s.waitingPid!), 'the standby read the edit and waits');
  const [r, fresh] = await Promise.all([
    s.validate(e),
    validateConfigInChild({ ...e, view: 'files', filesDir: undefined }),
  ]);
  if (!r.written || !fresh.files) return t.fail(JSON.stringify(r.diagnostics));
  // (its count is its last reading's: 1, or 0 when it read the file once more, the edit in its
  // reading before made too soon after the edit to be trusted: a busy machine)
  t.is(r.parsed?.way, 'ahead', 'read while it waited');
  t.deepEqual(r.diagnostics, fresh.diagnostics);
  t.deepEqual(r.written.delta && { lines: r.written.delta.lines }, { lines: 1 });
  t.deepEqual(readFileSync(r.written.vrrp), fresh.files.vrrp, 'model.vrrp.json as a fresh child writes it');
  placeModelFiles(modelPath, r);
  t.deepEqual(await readModelFiles(modelPath, running), parseModelText(fresh.files.whole, running));
  t.true(await r.wholeWritten!, 'the child went on to write model.json');
  placeWholeModelFile(modelPath, r.written.whole);
  t.deepEqual(readFileSync(modelPath), fresh.files.whole, 'model.json as a fresh child writes it');
  return undefined;
});

/**
 * Whether files a standby writes ahead (`.pending-`) appear in `dir` within `timeoutMs`: it looks at
 * the config every 250 ms, and on a loaded machine its reading of an edit may take more than a second.
 */
const pendingWritten = (dir: string): Promise<boolean> =>
  until(() => readdirSync(dir).some((n) => n.includes('.pending-')), 30_000);

test('a standby dismissed after it read an edit ahead leaves none of the files it wrote', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-standby-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const edited = join(dir, 'lvs.conf');
  const text = readFileSync(file, 'utf8');
  writeFileSync(edited, text);
  const e = { ...o, configFile: edited, filesDir: dir };
  const start = await validateConfigInChild({ ...e, view: 'files', filesDir: undefined });
  if (!start.files) return t.fail(JSON.stringify(start.diagnostics));
  writeModelFiles(join(dir, 'model.json'), start.files);
  const before = readdirSync(dir).sort();
  const s = new StandbyValidator(e);
  t.teardown(() => s.close());
  s.prepare();
  const pid = s.waitingPid!;
  t.true(await processIdle(pid), 'the standby read the file and waits');
  const at = text.indexOf('weight', text.indexOf('weight') + 1);
  writeFileSync(edited, `${text.slice(0, at)}weight 7${text.slice(text.indexOf('\n', at))}`);
  t.true(await pendingWritten(dir), 'it wrote the model files ahead');
  t.true(await processIdle(pid), 'the standby read the edit and waits');
  s.dismiss();
  t.true(await gone(pid));
  await new Promise((r) => setTimeout(r, 200)); // (the supervisor's side removes them after the exit)
  t.deepEqual(readdirSync(dir).sort(), before, 'nothing left of what it wrote');
  // one killed after it wrote ahead: the reload asks a fresh child, and its files go
  s.prepare();
  const killed = s.waitingPid!;
  t.true(await processIdle(killed), 'the next standby read the file and waits');
  writeFileSync(edited, `${text.slice(0, at)}weight 8${text.slice(text.indexOf('\n', at))}`);
  t.true(await pendingWritten(dir), 'it wrote the model files ahead');
  t.true(await processIdle(killed), 'it read the edit and waits');
  process.kill(killed, 'SIGKILL');
  t.true(await gone(killed));
  const r = await s.validate(e);
  t.true(r.written !== undefined && readFileSync(r.written.whole, 'utf8').includes('"weight":8'));
  if (r.written) for (const p of [r.written.whole, r.written.vrrp]) rmSync(p); // (not placed here)
  t.deepEqual(readdirSync(dir).sort(), before, 'nothing left of the killed one’s files');
  return undefined;
});
