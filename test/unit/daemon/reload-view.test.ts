// SPDX-License-Identifier: Apache-2.0
// The reload's validating child hands the LVS worker the whole model with its fingerprints (read
// keeping the virtual servers the worker has), and the VRRP worker its view without real servers: a
// large table must not be parsed on the VRRP timers' event loop at every reload.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelFingerprints } from '../../../src/config/fingerprints.js';
import { fingerprintedModelLines, parseModelText } from '../../../src/daemon/model-file.js';
import { vrrpModelFile } from '../../../src/daemon/model-paths.js';
import { shapeOf } from '../../../src/daemon/model-shape.js';
import { placeModelFiles } from '../../../src/daemon/run-config.js';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';
import { isPendingModelFile } from '../../../src/daemon/validator-files.js';

const file = fileURLToPath(new URL('../../../../etc/lvs-nat.conf', import.meta.url));

test('the reload child: the whole model with fingerprints, or the VRRP view without reals', async (t) => {
  const [whole, vrrp] = await Promise.all([
    validateConfigInChild({ configFile: file, configId: 'lvs1' }),
    validateConfigInChild({ configFile: file, configId: 'lvs1', view: 'vrrp' }),
  ]);
  if (!whole.model || !vrrp.model) return t.fail(JSON.stringify([whole.diagnostics, vrrp.diagnostics]));
  const { fingerprints, ...model } = whole.model;
  t.deepEqual(fingerprints, modelFingerprints(model));
  t.true(model.virtualServers.some((vs) => vs.realServers.length > 0));
  // handed the model it runs, the reader keeps its unchanged virtual servers
  const again = await validateConfigInChild({ configFile: file, configId: 'lvs1', previous: whole.model });
  t.true(
    again.model !== undefined &&
      again.model.virtualServers.length > 0 &&
      again.model.virtualServers.every((vs, i) => vs === whole.model!.virtualServers[i]),
  );
  t.deepEqual(vrrp.model, {
    ...model,
    fingerprints,
    virtualServers: model.virtualServers.map((vs) => ({ ...vs, realServers: [] })),
  });
  // the view's reader (the VRRP worker, the supervisor) keeps its unchanged virtual servers too
  const view = await validateConfigInChild({
    configFile: file,
    configId: 'lvs1',
    view: 'vrrp',
    previous: vrrp.model,
  });
  t.true(
    view.model !== undefined &&
      view.model.virtualServers.every((vs, i) => vs === vrrp.model!.virtualServers[i]),
  );
});

test("the supervisor's reload child: both model files as it wrote them, and only the view parsed", async (t) => {
  const [whole, vrrp, files] = await Promise.all([
    validateConfigInChild({ configFile: file, configId: 'lvs1' }),
    validateConfigInChild({ configFile: file, configId: 'lvs1', view: 'vrrp' }),
    validateConfigInChild({ configFile: file, configId: 'lvs1', view: 'files' }),
  ]);
  if (!whole.model || !vrrp.model || !files.model || !files.files)
    return t.fail(JSON.stringify(files.diagnostics));
  // model.json's bytes are the whole model with its fingerprints, as the LVS worker reads it
  t.deepEqual(parseModelText(files.files.whole), whole.model);
  t.is(files.files.whole.toString('utf8'), fingerprintedModelLines(whole.model).join('\n') + '\n');
  // model.vrrp.json's bytes and the model handed back are the VRRP view: no real server
  t.deepEqual(parseModelText(files.files.vrrp), vrrp.model);
  t.deepEqual(files.model, vrrp.model);
  t.true(files.model.virtualServers.length > 0);
  t.true(files.model.virtualServers.every((vs) => vs.realServers.length === 0));
});

test('an invalid file hands the supervisor neither a model nor files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'virtual_server 10.0.0.1 80 {\n  lb_algo nosuch\n}\n');
  const r = await validateConfigInChild({ configFile: bad, configId: 'lvs1', view: 'files' });
  t.is(r.model, undefined);
  t.is(r.files, undefined);
  t.true(r.diagnostics.some((d) => d.severity === 'error' && d.file === bad && d.line === 2));
});

test("with filesDir the child writes both model files there, the same bytes it would send; the supervisor's placeModelFiles renames them into place", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [sent, written] = await Promise.all([
    validateConfigInChild({ configFile: file, configId: 'lvs1', view: 'files' }),
    validateConfigInChild({ configFile: file, configId: 'lvs1', view: 'files', filesDir: dir }),
  ]);
  if (!sent.files || !written.written) return t.fail(JSON.stringify([sent.diagnostics, written.diagnostics]));
  t.is(written.files, undefined, 'nothing sent through the pipe');
  t.deepEqual(readFileSync(written.written.whole), sent.files.whole);
  t.deepEqual(readFileSync(written.written.vrrp), sent.files.vrrp);
  t.deepEqual(written.model, sent.model, 'the VRRP view, read from the written file');
  t.is(statSync(written.written.whole).mode & 0o777, 0o600);
  const target = join(dir, 'model.json');
  placeModelFiles(target, written);
  t.deepEqual(readFileSync(target), sent.files.whole);
  t.deepEqual(readFileSync(vrrpModelFile(target)), sent.files.vrrp);
  t.deepEqual(readdirSync(dir).sort(), ['model.json', 'model.vrrp.json'], 'no pending file left');
});

test('with viewLater the view is handed over unparsed, with the shape the child said: the same view once read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const o = { configFile: file, configId: 'lvs1', view: 'files' as const, filesDir: dir };
  const [now, later] = await Promise.all([
    validateConfigInChild(o),
    validateConfigInChild({ ...o, viewLater: true }),
  ]);
  if (!now.model || !later.deferred || !later.written)
    return t.fail(JSON.stringify([now.diagnostics, later.diagnostics]));
  t.is(later.model, undefined);
  t.deepEqual(later.deferred.shape, shapeOf(now.model));
  t.true(later.deferred.shape.vrrpInstances > 0 && later.deferred.shape.virtualServers > 0);
  // read from the bytes as they were answered: the file may be renamed into place first
  placeModelFiles(join(dir, 'model.json'), later);
  t.deepEqual(later.deferred.view(), now.model);
  // a refused file is refused as before: nothing deferred
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'virtual_server 10.0.0.1 80 {\n  lb_algo nosuch\n}\n');
  const refused = await validateConfigInChild({ ...o, configFile: bad, viewLater: true });
  t.is(refused.deferred, undefined);
  t.is(refused.model, undefined);
});

test('with filesDir a refused file, or a child killed on its timeout, leaves no file behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-files-'));
  const out = join(dir, 'out');
  mkdirSync(out);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'virtual_server 10.0.0.1 80 {\n  lb_algo nosuch\n}\n');
  const refused = await validateConfigInChild({
    configFile: bad,
    configId: 'lvs1',
    view: 'files',
    filesDir: out,
  });
  t.is(refused.written, undefined);
  const killed = await validateConfigInChild({
    configFile: file,
    configId: 'lvs1',
    view: 'files',
    filesDir: out,
    timeoutMs: 1,
  });
  t.is(killed.written, undefined);
  t.regex(killed.diagnostics[0]?.message ?? '', /did not finish within/);
  t.deepEqual(readdirSync(out), []);
  t.true(
    isPendingModelFile(`model.pending-${process.pid}-7.json`) &&
      isPendingModelFile(`model.vrrp.pending-1-2.json`),
  );
  t.false(isPendingModelFile('model.json') || isPendingModelFile('model.vrrp.json'));
});
