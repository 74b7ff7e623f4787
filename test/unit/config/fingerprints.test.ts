// SPDX-License-Identifier: Apache-2.0
// A virtual server's fingerprint (config/fingerprints.ts) moves with what it holds and never with
// where it was written; model.json's lines and the fingerprints come from one JSON.stringify each.
import test from 'ava';
import { createHash } from 'node:crypto';
import { VsTextCache, fingerprintOfJson, modelFingerprints } from '../../../src/config/fingerprints.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import {
  fingerprintedModelLines,
  parseModelText,
  vrrpModelFileBytes,
  vrrpModelFileText,
} from '../../../src/daemon/model-file.js';
import { vrrpView } from '../../../src/config/views.js';

const vs = (n: number, weight = 1): string =>
  `virtual_server 10.0.0.${n} 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
  `  real_server 192.168.0.${n} 8080 {\n    weight ${weight}\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n}\n`;

function model(text: string, file = '/etc/lvsd/lvsd.conf'): Model {
  const r = parseConfigText(text, file);
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.model;
}

test('lines added above a virtual server move its locations, not its fingerprint', (t) => {
  const before = modelFingerprints(model(vs(1) + vs(2)));
  const after = modelFingerprints(model(`# a comment\n\n${vs(1)}\n\n${vs(2)}`));
  t.deepEqual(after, before);
});

test('an edited real changes its virtual server’s fingerprint and no other', (t) => {
  const before = modelFingerprints(model(vs(1) + vs(2) + vs(3)));
  const after = modelFingerprints(model(vs(1) + vs(2, 5) + vs(3)));
  t.is(after.context, before.context);
  t.is(after.virtualServers[0], before.virtualServers[0]);
  t.not(after.virtualServers[1], before.virtualServers[1]);
  t.is(after.virtualServers[2], before.virtualServers[2]);
});

test('a file name with a brace keeps the location in the hash: seen changed when it moves, never missed', (t) => {
  const file = '/etc/lvsd/odd}name.conf';
  const a = modelFingerprints(model(vs(1), file));
  const b = modelFingerprints(model(`\n${vs(1)}`, file));
  t.not(b.virtualServers[0], a.virtualServers[0]);
  t.is(modelFingerprints(model(vs(1), file)).virtualServers[0], a.virtualServers[0], 'still deterministic');
});

test('only `loc` members are cut: a value that reads like one is hashed', (t) => {
  t.not(fingerprintOfJson('{"a":"\\"loc\\":{}"}'), fingerprintOfJson('{"a":"\\"\\":{}"}'));
  t.is(
    fingerprintOfJson('{"loc":{"file":"f","line":1,"col":2},"a":1}'),
    fingerprintOfJson('{"loc":{"file":"f","line":9,"col":2},"a":1}'),
  );
});

test("model.json's lines carry the same fingerprints and read back as the model", (t) => {
  const m = model(vs(1) + vs(2, 3));
  const text = fingerprintedModelLines(m).join('\n') + '\n';
  const read = parseModelText(text, undefined);
  t.deepEqual(read.fingerprints, modelFingerprints(m));
  const { fingerprints, ...rest } = read;
  t.truthy(fingerprints);
  t.deepEqual(rest, m);
});

/**
 * model.json's lines and model.vrrp.json as made without any kept text: every virtual server
 * stringified; both files under the same header (the view keeps the model's fingerprints).
 */
function madeAfresh(m: Model): { lines: string[]; vrrp: string } {
  const { virtualServers, ...rest } = m;
  const header = JSON.stringify({
    ...rest,
    fingerprints: modelFingerprints(m),
    virtualServerLines: virtualServers.length,
  });
  // the model's name first: a SHA-1 of the rest of the header (daemon/model-file.ts)
  const id = createHash('sha1').update(header).digest('base64url');
  const head = `{"modelId":"${id}",${header.slice(1)}`;
  const views = vrrpView(m).virtualServers.map((v) => JSON.stringify(v));
  return {
    lines: [head, ...virtualServers.map((v) => JSON.stringify(v))],
    vrrp: [head, ...views].join('\n') + '\n',
  };
}

test('texts kept per virtual server object give the same files, made once per object', (t) => {
  const texts = new VsTextCache();
  const m = model(vs(1) + vs(2) + vs(3));
  t.deepEqual(fingerprintedModelLines(m, texts), madeAfresh(m).lines);
  t.is(vrrpModelFileText(m, texts), madeAfresh(m).vrrp);
  // a model keeping two of the objects: their texts are the cached ones (the same strings)
  const edited = model(vs(1) + vs(2, 5) + vs(3));
  const [keptA, , keptC] = m.virtualServers;
  const next: Model = { ...edited, virtualServers: [keptA!, edited.virtualServers[1]!, keptC!] };
  const made = fingerprintedModelLines(next, texts);
  t.deepEqual(made, madeAfresh(next).lines);
  t.is(texts.of(keptA!), texts.of(keptA!), 'one text per object');
  t.true(made[2]?.includes('"weight":5'));
  t.is(vrrpModelFileText(next, texts), madeAfresh(next).vrrp);
  t.deepEqual(fingerprintedModelLines(next), made, 'without kept texts: the same lines');
});

test('model.vrrp.json as bytes is the text’s UTF-8, with or without the header given, lines kept per object', (t) => {
  const texts = new VsTextCache();
  // a name out of ASCII (the file's, in each location): bytes, not characters
  const file = '/etc/lvsd/été.conf';
  const m = model(vs(1) + vs(2), file);
  const want = Buffer.from(madeAfresh(m).vrrp);
  t.deepEqual(vrrpModelFileBytes(m, texts), want);
  t.deepEqual(vrrpModelFileBytes(m, new VsTextCache(), fingerprintedModelLines(m)[0]), want);
  t.is(
    texts.viewLineOf(m.virtualServers[1]!),
    texts.viewLineOf(m.virtualServers[1]!),
    'made once per object',
  );
  const edited = model(vs(1, 4) + vs(2), file);
  const next: Model = { ...edited, virtualServers: [edited.virtualServers[0]!, m.virtualServers[1]!] };
  t.deepEqual(vrrpModelFileBytes(next, texts), Buffer.from(madeAfresh(next).vrrp));
});
