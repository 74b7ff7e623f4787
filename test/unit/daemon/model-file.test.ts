// SPDX-License-Identifier: Apache-2.0
// model.json: the header line and one line per virtual server read back as the same Model; a reader
// holding the model it runs keeps the objects of unchanged virtual servers (never parsing their
// lines) and parses the changed ones; plain JSON (an older lvsd, a hand-made file) still reads.
import test from 'ava';
import { withFingerprints } from '../../../src/config/fingerprints.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { modelFileLength, modelFileText, parseModelText } from '../../../src/daemon/model-file.js';

function model(weight: number, extra = ''): Model {
  const vs = (i: number, w: number) =>
    `virtual_server 192.0.2.${i} 80 {\n  protocol TCP\n  real_server 10.0.0.${i} 80 {\n    weight ${w}\n    TCP_CHECK {\n    }\n  }\n}\n`;
  const r = parseConfigText(extra + vs(1, 1) + vs(2, weight) + vs(3, 1), '/etc/lvsd/model-file.conf');
  if (!r.model) throw new Error(r.diagnostics[0]?.message);
  return withFingerprints(r.model);
}

test('the model file reads back as the model it was written from', (t) => {
  const m = model(1);
  const text = modelFileText(m);
  t.is(text.split('\n').length, 1 + 3 + 1, 'a header, three virtual servers, the last newline');
  t.deepEqual(parseModelText(text), m);
  const none = {
    ...m,
    virtualServers: [],
    fingerprints: { context: m.fingerprints!.context, virtualServers: [] },
  };
  t.deepEqual(parseModelText(modelFileText(none)), none, 'no virtual server');
});

test('unchanged virtual servers are the running model’s objects; a changed one is read from its line', (t) => {
  const running = parseModelText(modelFileText(model(1)));
  const next = parseModelText(modelFileText(model(5)), running);
  t.is(next.virtualServers[0], running.virtualServers[0]);
  t.not(next.virtualServers[1], running.virtualServers[1]);
  t.is(next.virtualServers[1]!.realServers[0]!.weight, 5);
  t.is(next.virtualServers[2], running.virtualServers[2]);
  t.deepEqual(next, { ...model(5), virtualServers: next.virtualServers });
  // the objects kept are equal to what their lines say, but for where they were written
  const fresh = parseModelText(modelFileText(model(5)));
  const noLoc = (x: unknown) =>
    JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'loc' ? undefined : v))) as unknown;
  t.deepEqual(noLoc(next), noLoc(fresh));
  // a global change (another context): nothing is kept
  const other = parseModelText(modelFileText(model(5, 'global_defs {\n  router_id other\n}\n')), running);
  t.true(other.virtualServers.every((vs, i) => vs !== running.virtualServers[i]));
});

test('plain JSON, one line or pretty-printed, reads as before; a cut file is an error', (t) => {
  const m = model(1);
  t.deepEqual(parseModelText(JSON.stringify(m)), m);
  t.deepEqual(parseModelText(JSON.stringify(m, null, 2)), m);
  const text = modelFileText(m);
  t.throws(() => parseModelText(text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1)), {
    message: /3 virtual servers announced, 2 found/,
  });
});

test('two model files written one after the other split where the first ends, without reading its lines', (t) => {
  const first = Buffer.from(modelFileText(model(1)), 'utf8');
  const second = Buffer.from(modelFileText(model(5)), 'utf8');
  const both = Buffer.concat([first, second]);
  t.is(modelFileLength(both), first.length);
  t.deepEqual(parseModelText(both.subarray(modelFileLength(both))), parseModelText(second));
  const none = Buffer.from(modelFileText({ ...model(1), virtualServers: [] }), 'utf8');
  t.is(modelFileLength(Buffer.concat([none, second])), none.length, 'a model without virtual servers');
  // a cut file, and what is no model file, are errors (the supervisor refuses such an answer)
  t.throws(() => modelFileLength(first.subarray(0, first.length - 3)), {
    message: /3 virtual servers announced, 2 found/,
  });
  t.throws(() => modelFileLength(Buffer.from(JSON.stringify(model(1)))), { message: /no header line/ });
});
