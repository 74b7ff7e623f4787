// SPDX-License-Identifier: Apache-2.0
// The supervisor hands workers the validated Model as JSON (with its fingerprints); it must arrive
// unchanged, and a worker must never fall back to a file on disk that failed validation.
import test from 'ava';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../../../src/cli/io.js';
import { formatDiagnostic, isUnreadableFile } from '../../../src/config/diagnostics.js';
import { modelFingerprints } from '../../../src/config/fingerprints.js';
import { loadConfig } from '../../../src/config/load.io.js';
import { vrrpModelFile } from '../../../src/daemon/model-paths.js';
import { loadRunConfig, writeModelFile } from '../../../src/daemon/run-config.js';

const etc = new URL('../../../../etc/', import.meta.url);

for (const name of readdirSync(etc).filter((f) => f.endsWith('.conf'))) {
  test(`the validated Model of etc/${name} survives the hand-over to a worker unchanged`, async (t) => {
    const { model } = await loadConfig(new URL(name, etc).pathname, { configId: 'lvs1' });
    t.truthy(model);
    if (!model) return;
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-model-'));
    const file = join(dir, 'model.json');
    writeModelFile(file, model);
    t.deepEqual(readdirSync(dir).sort(), ['model.json', 'model.vrrp.json'], 'no temporary file left behind');
    const got = await loadRunConfig({
      configFile: '/nonexistent',
      configId: 'lvs1',
      modelFile: file,
      io: captureIo(),
    });
    t.deepEqual(got.diagnostics, []);
    // with the fingerprints a reload compares (made from the model, which is otherwise as it was)
    t.deepEqual(got.model, { ...model, fingerprints: modelFingerprints(model) });
    // the VRRP worker's view: the same but for the real servers
    const vrrp = await loadRunConfig({
      configFile: '/nonexistent',
      configId: 'lvs1',
      modelFile: vrrpModelFile(file),
      io: captureIo(),
    });
    t.deepEqual(vrrp.model, {
      ...model,
      fingerprints: modelFingerprints(model),
      virtualServers: model.virtualServers.map((vs) => ({ ...vs, realServers: [] })),
    });
    t.true(model.virtualServers.some((vs) => vs.realServers.length > 0));
  });
}

test('with --model, a broken config file on disk is never read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-model-'));
  const conf = join(dir, 'lvsd.conf');
  writeFileSync(conf, 'vrrp_instance VI_1 {\n  priority banana\n}\n');
  const { model } = await loadConfig(new URL('lvs-nat.conf', etc).pathname, { configId: 'lvs1' });
  if (!model) return t.fail('sample config invalid');
  writeModelFile(join(dir, 'model.json'), model);
  const viaModel = await loadRunConfig({
    configFile: conf,
    configId: 'lvs1',
    modelFile: join(dir, 'model.json'),
    io: captureIo(),
  });
  t.deepEqual(viaModel.model, { ...model, fingerprints: modelFingerprints(model) });
  const viaFile = await loadRunConfig({ configFile: conf, configId: 'lvs1', io: captureIo() });
  t.is(viaFile.model, undefined);
  t.true(viaFile.diagnostics.some((d) => d.severity === 'error' && d.line === 2));
});

test('a missing model file is a located error, not a crash', async (t) => {
  const r = await loadRunConfig({
    configFile: '/x',
    configId: undefined,
    modelFile: '/nonexistent/model.json',
    io: captureIo(),
  });
  t.is(r.model, undefined);
  t.is(r.diagnostics[0]?.code, 'LVSD_E_CONFIG_IO');
  t.is(r.diagnostics[0]?.file, '/nonexistent/model.json');
  // the same "cannot read" diagnostic as an unreadable configuration file (no position in it)
  t.regex(
    r.diagnostics.map(formatDiagnostic).join('\n'),
    /^\/nonexistent\/model\.json: error: cannot read the validated model: /,
  );
  t.true(r.diagnostics.every(isUnreadableFile));
});

test('a worker started by hand parses the file as the reload child would hand it over: with fingerprints, or the VRRP view', async (t) => {
  const file = new URL('lvs-nat.conf', etc).pathname;
  const { model } = await loadConfig(file, { configId: 'lvs1' });
  if (!model) return t.fail('sample config invalid');
  const opts = { configFile: file, configId: 'lvs1', io: captureIo() };
  // the next reload finds what changed from the start (without fingerprints it rebuilds everything)
  t.deepEqual((await loadRunConfig(opts)).model, { ...model, fingerprints: modelFingerprints(model) });
  t.deepEqual((await loadRunConfig(opts, { view: 'vrrp' })).model, {
    ...model,
    virtualServers: model.virtualServers.map((vs) => ({ ...vs, realServers: [] })),
  });
});
