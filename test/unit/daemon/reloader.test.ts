// SPDX-License-Identifier: Apache-2.0
// The order of a reload's steps (daemon/reloader.ts): when the new model needs the workers that run
// now, they are told before the supervisor reads the model's view (its parse was on the way to the
// kernel); when it needs others, the view comes first and the workers are started or stopped from
// it. A view that cannot be read after the workers were told leaves the supervisor's own state as
// it was, and the reload answered as not applied everywhere. The workers and the validation are
// fakes here (what is tested is the order); the real child's deferred view is in reload-view.test.ts.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../../../src/config/model.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import { vrrpView } from '../../../src/config/views.js';
import type { LogFields } from '../../../src/core/log.js';
import { vrrpModelFile } from '../../../src/daemon/model-paths.js';
import { shapeOf } from '../../../src/daemon/model-shape.js';
import { type ReloadedWorkers, Reloader } from '../../../src/daemon/reloader.js';
import type { RunOptions } from '../../../src/daemon/run-options.js';
import type { WorkerReload } from '../../../src/daemon/supervisor.js';
import type { ValidateOptions, ValidationResult } from '../../../src/daemon/validate-config.js';
import type { WorkerSpec } from '../../../src/daemon/worker-specs.js';
import { silentLogger } from '../../fakes/silent-logger.js';

const etc = (name: string): string => fileURLToPath(new URL(`../../../../etc/${name}`, import.meta.url));

/** A sample file's VRRP view, as the supervisor holds it (no file of its own: no standby is started). */
function viewOf(name: string): Model {
  const parsed = parseConfigText(readFileSync(etc(name), 'utf8'), etc(name));
  if (!parsed.model) throw new Error(`${name}: ${parsed.diagnostics[0]?.message}`);
  return { ...vrrpView(parsed.model), files: [] };
}

const both = viewOf('lvs-nat.conf');
const vrrpOnly = { ...both, virtualServers: [] };

/** A supervisor's workers that answer every reload at once, and the steps as they came. */
function workers(names: string[], steps: string[], dir: string): ReloadedWorkers {
  let running = names;
  return {
    names: () => running,
    statusLine: () => 'fake',
    setWorkers: (specs: readonly WorkerSpec[]) => {
      steps.push(`set ${specs.map((s) => s.name).join(',')}`);
      const want = specs.map((s) => s.name);
      const out = {
        started: want.filter((n) => !running.includes(n)),
        stopped: running.filter((n) => !want.includes(n)),
      };
      running = want;
      return Promise.resolve(out);
    },
    reload: () => {
      // the files the workers read are in place when they are told
      steps.push(
        existsSync(vrrpModelFile(join(dir, 'model.json'))) ? 'tell (files placed)' : 'tell (no files)',
      );
      // (answered 20 ms later: the reload's time includes the workers')
      const answers = running.map((worker): WorkerReload => ({ worker, ok: true }));
      return new Promise((resolve) => setTimeout(() => resolve(answers), 20));
    },
  };
}

interface Case {
  /** What each validation answers: the view, or a view that cannot be read. */
  next: Model | 'unreadable';
  steps: string[];
  previous: Array<Model | undefined>;
}

/** A validation that answers as a child that wrote the model files and deferred the view. */
function validation(dir: string, c: Case) {
  let n = 0;
  return (o: Omit<ValidateOptions, 'view'>): Promise<ValidationResult> => {
    c.previous.push(o.previous);
    const at = (kind: string): string => join(dir, `model${kind}.pending-${process.pid}-${n}.json`);
    n++;
    const written = { whole: at(''), vrrp: at('.vrrp') };
    writeFileSync(written.whole, '{}\n');
    writeFileSync(written.vrrp, '{}\n');
    const next = c.next;
    const shape = shapeOf(next === 'unreadable' ? both : next);
    const view = (): Model => {
      c.steps.push('view');
      if (next === 'unreadable') throw new Error('model file: no header line');
      return next;
    };
    return Promise.resolve(
      o.viewLater
        ? { model: undefined, deferred: { shape, view }, diagnostics: [], written }
        : { model: view(), diagnostics: [], written },
    );
  };
}

function setUp(running: Model, names: string[], c: Case) {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-reloader-'));
  const errors: Array<[string, LogFields | undefined]> = [];
  const log = { ...silentLogger, error: (m: string, f?: LogFields) => void errors.push([m, f]) };
  const applied: Model[] = [];
  const opts: RunOptions = { configFile: join(dir, 'lvsd.conf'), configId: undefined, io: { stderr() {} } };
  const reloader = new Reloader(
    opts,
    workers(names, c.steps, dir),
    log,
    join(dir, 'model.json'),
    [],
    running,
    (m) => {
      applied.push(m);
      return Promise.resolve();
    },
    validation(dir, c),
  );
  return { dir, reloader, errors, applied, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("the workers that run now are told before the view is read; the view is the next reload's base", async (t) => {
  const c: Case = { next: both, steps: [], previous: [] };
  const s = setUp(both, ['vrrp', 'lvs'], c);
  t.teardown(s.done);
  const start = s.reloader.times.lastSuccessAt;
  t.is(s.reloader.times.lastSeconds, undefined, 'no reload yet');
  const out = await s.reloader.reload();
  t.true(out.ok);
  t.deepEqual(c.steps, ['tell (files placed)', 'view']);
  // the metrics' times: until the workers answered; the last success now
  t.true((s.reloader.times.lastSeconds ?? 0) >= 0.015);
  t.true(s.reloader.times.lastSuccessAt > start);
  t.deepEqual(out.started, []);
  t.deepEqual(out.stopped, []);
  t.deepEqual(s.applied, [both]);
  const again = { ...both, vrrpInstances: both.vrrpInstances.slice(0, 1) };
  c.next = again;
  t.true((await s.reloader.reload()).ok);
  t.is(c.previous[1], both, 'read against the view of the reload before');
});

test('a model that needs other workers is read first, then the workers set, then told', async (t) => {
  const c: Case = { next: both, steps: [], previous: [] };
  const s = setUp(vrrpOnly, ['vrrp'], c);
  t.teardown(s.done);
  const out = await s.reloader.reload();
  t.true(out.ok);
  t.deepEqual(c.steps, ['view', 'set vrrp,lvs', 'tell (files placed)']);
  t.deepEqual(out.started, ['lvs']);
  // and back: the LVS worker stopped, after the view was read
  c.steps.length = 0;
  c.next = vrrpOnly;
  const back = await s.reloader.reload();
  t.deepEqual(c.steps, ['view', 'set vrrp', 'tell (files placed)']);
  t.deepEqual(back.stopped, ['lvs']);
});

test('a view that cannot be read after the workers were told: not ok, said, and the supervisor keeps its own', async (t) => {
  const c: Case = { next: 'unreadable', steps: [], previous: [] };
  const s = setUp(both, ['vrrp', 'lvs'], c);
  t.teardown(s.done);
  const start = s.reloader.times.lastSuccessAt;
  const out = await s.reloader.reload();
  t.false(out.ok);
  t.is(s.reloader.times.lastSuccessAt, start, 'not a success');
  t.true((s.reloader.times.lastSeconds ?? 0) >= 0.015);
  t.deepEqual(c.steps, ['tell (files placed)', 'view']);
  t.deepEqual(
    out.workers.map((w) => [w.worker, w.ok]),
    [
      ['vrrp', true],
      ['lvs', true],
      ['supervisor', false],
    ],
  );
  t.regex(out.workers[2]?.error ?? '', /could not read its view \(model\.vrrp\.json\)/);
  t.deepEqual(s.applied, [], 'its own settings not moved');
  t.true(
    s.errors.some(
      ([m, f]) => /could not read its view/.test(m) && f?.['error'] === 'model file: no header line',
    ),
  );
  t.is(s.reloader.counts.failed, 1);
  t.false(s.reloader.lastOk);
  // the next reload reads against the view it had
  c.next = both;
  t.true((await s.reloader.reload()).ok);
  t.is(c.previous[1], both);
});
