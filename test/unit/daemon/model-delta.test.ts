// SPDX-License-Identifier: Apache-2.0
// A reload's delta (daemon/model-file.ts): the new model's header and only the virtual servers the
// model.json in force lacks. Read against that model.json, with or without the model a worker runs,
// it is the model the whole new file holds; against any other model.json it is stale and not read.
// run-config.ts `readModelFiles` reads the files as a worker does, in the order that makes the
// supervisor's replacing of model.json (then removing the delta) safe at any moment.
import test from 'ava';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VsTextCache } from '../../../src/config/fingerprints.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import {
  type DeltaBase,
  deltaBaseOf,
  modelFileLinesWithDelta,
  modelIdIn,
  parseModelDelta,
  parseModelText,
} from '../../../src/daemon/model-file.js';
import { deltaModelFile } from '../../../src/daemon/model-paths.js';
import {
  placeWholeModelFile,
  placeWholeWhenWritten,
  readModelFiles,
} from '../../../src/daemon/run-config.js';

/** A model of virtual servers 192.0.2.N:80 with one real each, of these weights (by N). */
function model(weights: ReadonlyMap<number, number>, global = ''): Model {
  const vs = [...weights].map(
    ([i, w]) =>
      `virtual_server 192.0.2.${i} 80 {\n  protocol TCP\n  real_server 10.0.0.${i} 80 {\n    weight ${w}\n    TCP_CHECK {\n    }\n  }\n}\n`,
  );
  const r = parseConfigText(global + vs.join(''), '/etc/lvsd/delta.conf');
  if (!r.model) throw new Error(r.diagnostics[0]?.message);
  return r.model;
}

/** Weights of virtual servers 192.0.2.1, .2, … in that order. */
const w = (...weights: number[]): Map<number, number> => new Map(weights.map((x, i) => [i + 1, x]));

const text = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\n') + '\n', 'utf8');
const noLoc = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'loc' ? undefined : v)));

/** The files of `next` as a standby writes them against `base` (the model.json in force). */
function files(base: Model, next: Model): { whole: Buffer; delta?: Buffer; baseFile: Buffer; at: DeltaBase } {
  const baseLines = modelFileLinesWithDelta(base, new VsTextCache(), undefined).whole;
  const at = deltaBaseOf(baseLines[0]!)!;
  const made = modelFileLinesWithDelta(next, new VsTextCache(), at);
  return {
    whole: text(made.whole),
    baseFile: text(baseLines),
    at,
    ...(made.delta ? { delta: text(made.delta) } : {}),
  };
}

const weightsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: ids.length, maxLength: ids.length }),
    ),
  )
  .map(([ids, ws]) => new Map(ids.map((id, k) => [id, ws[k]!])));

test('a delta read against its base is the whole new model, with or without the running model', (t) => {
  let deltas = 0;
  fc.assert(
    fc.property(
      weightsArb,
      fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 9 })), { maxLength: 3 }),
      fc.boolean(),
      (before, edits, drop) => {
        const after = new Map(before);
        for (const [id, w] of edits) after.set(id, w);
        if (drop && after.size > 1) after.delete([...after.keys()][0]!);
        const base = model(before);
        const f = files(base, model(after));
        const whole = parseModelText(f.whole);
        if (!f.delta) return;
        deltas++;
        const running = parseModelText(f.baseFile);
        const kept = parseModelDelta(f.delta, f.at.modelId, running);
        if (typeof kept === 'string') throw new Error(kept);
        t.deepEqual(noLoc(kept), noLoc(whole));
        // the running model's objects are kept for what did not change
        kept.virtualServers.forEach((vs, i) => {
          const fp = whole.fingerprints!.virtualServers[i]!;
          const j = running.fingerprints!.virtualServers.indexOf(fp);
          if (j >= 0) t.is(vs, running.virtualServers[j]!);
        });
        // a worker that runs nothing yet needs model.json for them
        const fresh = parseModelDelta(f.delta, f.at.modelId, undefined);
        const unchanged = whole.fingerprints!.virtualServers.some((fp) =>
          running.fingerprints!.virtualServers.includes(fp),
        );
        if (unchanged) t.is(fresh, 'needs base');
        t.deepEqual(noLoc(parseModelDelta(f.delta, f.at.modelId, undefined, f.baseFile)), noLoc(whole));
        // the delta names the model the whole file holds
        t.is(modelIdIn(f.delta), modelIdIn(f.whole));
      },
    ),
    { numRuns: 150 },
  );
  t.true(deltas > 50, `${deltas} deltas written`);
});

test('a delta is stale against any other model.json, and no model file', (t) => {
  const base = model(w(1, 1, 1));
  const f = files(base, model(w(1, 5, 1)));
  t.truthy(f.delta);
  t.is(parseModelDelta(f.delta!, modelIdIn(f.whole), undefined), 'stale', 'the whole new model in place');
  t.is(parseModelDelta(f.delta!, undefined, undefined), 'stale', 'a model.json without a name');
  t.throws(() => parseModelText(f.delta!), { message: /a delta/ });
  t.throws(() => parseModelDelta(f.whole, f.at.modelId, undefined), { message: /no delta header/ });
  // a delta cut short is an error, not a model with fewer virtual servers
  const cut = f.delta!.subarray(0, f.delta!.lastIndexOf(0x0a, f.delta!.length - 2) + 1);
  t.throws(() => parseModelDelta(cut, f.at.modelId, parseModelText(f.baseFile)), {
    message: /1 virtual servers announced, 0 found/,
  });
});

test('no delta when the context changed or most virtual servers did', (t) => {
  const three = (x: number) => w(x, x, 1);
  const base = model(three(1));
  t.truthy(files(base, model(three(1))).delta, 'nothing changed: a delta of no line');
  t.is(
    files(base, model(three(1)))
      .delta!.toString()
      .split('\n').length,
    2,
  );
  t.falsy(files(base, model(three(2))).delta, 'two of three changed');
  t.falsy(files(base, model(three(1), 'global_defs {\n  router_id other\n}\n')).delta, 'global_defs changed');
});

test('the model id names the model: equal models, equal ids; any change, another', (t) => {
  const id = (m: Model) => modelIdIn(files(m, m).whole);
  const a = w(1, 1);
  t.is(id(model(a)), id(model(a)));
  t.not(id(model(a)), id(model(w(1, 2))));
  t.not(id(model(a)), id(model(a, 'global_defs {\n  router_id other\n}\n')));
  t.regex(id(model(a)) ?? '', /^[A-Za-z0-9_-]{27}$/);
});

test('readModelFiles: model.json with its delta while it is the base; model.json alone once replaced', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-delta-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'model.json');
  const base = model(w(1, 1, 1));
  const f = files(base, model(w(1, 5, 1)));
  writeFileSync(path, f.baseFile);
  t.deepEqual(noLoc(await readModelFiles(path)), noLoc(parseModelText(f.baseFile)), 'no delta');
  writeFileSync(deltaModelFile(path), f.delta!);
  const running = parseModelText(f.baseFile);
  const next = await readModelFiles(path, running);
  t.is(next.virtualServers[1]!.realServers[0]!.weight, 5);
  t.is(next.virtualServers[0], running.virtualServers[0], 'kept');
  t.deepEqual(
    noLoc(await readModelFiles(path)),
    noLoc(parseModelText(f.whole)),
    'a worker started meanwhile',
  );
  // the whole model written beside it, then placed: the delta goes with it
  const pending = join(dir, 'model.pending-1-1.json');
  writeFileSync(pending, f.whole);
  placeWholeModelFile(path, pending);
  t.deepEqual(noLoc(await readModelFiles(path)), noLoc(parseModelText(f.whole)));
  // a delta left beside a newer model.json (the moment between the rename and the removal)
  writeFileSync(deltaModelFile(path), f.delta!);
  const newer = files(base, model(w(1, 5, 9)));
  writeFileSync(path, newer.whole);
  t.is((await readModelFiles(path)).virtualServers[2]!.realServers[0]!.weight, 9, 'the stale delta not read');
});

test('a child that did not write model.json whole: the delta stays, and with model.json it is the model in force', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-delta-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'model.json');
  const base = model(w(1, 1, 1, 1));
  const f = files(base, model(w(1, 5, 1, 1)));
  writeFileSync(path, f.baseFile);
  writeFileSync(deltaModelFile(path), f.delta!);
  const written = { whole: join(dir, 'model.pending-1-1.json'), vrrp: join(dir, 'unused') };
  t.false(await placeWholeWhenWritten(path, written, Promise.resolve(false)));
  t.deepEqual(readFileSync(path), f.baseFile, 'model.json untouched');
  t.true(existsSync(deltaModelFile(path)), 'the delta kept');
  t.deepEqual(noLoc(await readModelFiles(path)), noLoc(parseModelText(f.whole)), 'a worker started now');
  // the next reload makes its delta against the same model.json, from the model running now
  const running = await readModelFiles(path);
  const next = files(base, model(w(1, 5, 7, 1)));
  writeFileSync(deltaModelFile(path), next.delta!);
  const read = await readModelFiles(path, running);
  t.deepEqual(noLoc(read), noLoc(parseModelText(next.whole)));
  t.is(
    read.virtualServers[1],
    running.virtualServers[1],
    'the first reload’s edit kept from the model running',
  );
  // and once a child writes it: model.json whole, the delta gone
  writeFileSync(written.whole, next.whole);
  t.true(await placeWholeWhenWritten(path, written, Promise.resolve(true)));
  t.deepEqual(readFileSync(path), next.whole);
  t.false(existsSync(deltaModelFile(path)));
});
