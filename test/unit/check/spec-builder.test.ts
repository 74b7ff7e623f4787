// SPDX-License-Identifier: Apache-2.0
// A reload's spec, built keeping the objects of unchanged virtual servers, must be exactly the spec
// built from scratch: for every kind of edit an operator makes, the unchanged virtual servers are
// the same objects (the manager skips them), the edited ones new objects, and the whole spec equal
// to checkSpecFromModel's.
import test from 'ava';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { CheckSpecBuilder } from '../../../src/check/spec-builder.js';
import { specChanges } from '../../../src/check/spec-changes.js';
import { withFingerprints } from '../../../src/config/fingerprints.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';

interface Parts {
  global: string;
  groups: string;
  web: string;
  api: string;
  mail: string;
  top: string;
}

const base: Parts = {
  top: '',
  global: 'global_defs {\n  script_user nobody\n}\n',
  groups:
    'virtual_server_group G {\n  192.0.2.30 25\n  192.0.2.31 25\n}\ntrack_file tf {\n  file /tmp/lvsd-tf\n}\n',
  web:
    'virtual_server 192.0.2.10 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n' +
    '  real_server 10.0.0.1 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n' +
    '  real_server 10.0.0.2 80 {\n    weight 1\n    MISC_CHECK {\n      misc_path "/bin/true"\n    }\n  }\n}\n',
  api:
    'virtual_server 192.0.2.20 443 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  quorum_up "/bin/true up"\n' +
    '  real_server 10.0.1.1 443 {\n    FILE_CHECK {\n      track_file tf\n    }\n  }\n}\n',
  mail:
    'virtual_server group G {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' +
    '  real_server 10.0.2.1 25 {\n    SMTP_CHECK {\n    }\n  }\n}\n',
};

function model(p: Parts, fingerprints = true): Model {
  const text = p.top + p.global + p.groups + p.web + p.api + p.mail;
  const r = parseConfigText(text, '/etc/lvsd/spec-builder.conf');
  if (!r.model) throw new Error(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return fingerprints ? withFingerprints(r.model) : r.model;
}

/** Each edit and the virtual servers it changes (by their place in the spec: web, api, mail). */
const edits: Array<{ name: string; parts: Partial<Parts>; changed: boolean[] }> = [
  { name: 'nothing', parts: {}, changed: [false, false, false] },
  {
    name: 'a comment line above everything (locations move)',
    parts: { top: '# moved\n\n' },
    changed: [false, false, false],
  },
  {
    name: 'one real’s weight',
    parts: { web: base.web.replace('weight 1', 'weight 7') },
    changed: [true, false, false],
  },
  {
    name: 'a checker’s timing',
    parts: { web: base.web.replace('connect_timeout 3', 'connect_timeout 4') },
    changed: [true, false, false],
  },
  {
    name: 'a quorum script',
    parts: { api: base.api.replace('/bin/true up', '/bin/true UP') },
    changed: [false, true, false],
  },
  {
    name: 'a group member',
    parts: { groups: base.groups.replace('192.0.2.31 25', '192.0.2.32 25') },
    changed: [true, true, true],
  },
  {
    name: 'a track file’s path',
    parts: { groups: base.groups.replace('/tmp/lvsd-tf', '/tmp/lvsd-tf2') },
    changed: [true, true, true],
  },
  {
    name: 'the script user (global)',
    parts: { global: 'global_defs {\n  script_user daemon\n}\n' },
    changed: [true, true, true],
  },
];

for (const edit of edits) {
  test(`an edit of ${edit.name}: the spec equals a fresh build; unchanged virtual servers keep their objects`, (t) => {
    const builder = new CheckSpecBuilder();
    const before = builder.build(model(base));
    const next = model({ ...base, ...edit.parts });
    const after = builder.build(next);
    t.deepEqual(after, checkSpecFromModel(next));
    t.is(after.virtualServers.length, 3);
    t.deepEqual(
      after.virtualServers.map((vs, i) => vs !== before.virtualServers[i]),
      edit.changed,
    );
  });
}

test('a virtual server removed and another added: the others keep their objects', (t) => {
  const builder = new CheckSpecBuilder();
  const before = builder.build(model(base));
  const after = builder.build(model({ ...base, api: base.api.replace('192.0.2.20 443', '192.0.2.21 443') }));
  t.is(after.virtualServers[0], before.virtualServers[0]);
  t.not(after.virtualServers[1], before.virtualServers[1]);
  t.is(after.virtualServers[2], before.virtualServers[2]);
  // and back: the earlier object is not resurrected (only the last build is remembered)
  const again = builder.build(model(base));
  t.not(again.virtualServers[1], before.virtualServers[1]);
  t.is(again.virtualServers[0], before.virtualServers[0]);
});

test('a model without fingerprints is built afresh, and so is the one after it', (t) => {
  const builder = new CheckSpecBuilder();
  const a = builder.build(model(base, false));
  const b = builder.build(model(base));
  const c = builder.build(model(base, false));
  t.true(b.virtualServers.every((vs, i) => vs !== a.virtualServers[i]));
  t.true(c.virtualServers.every((vs, i) => vs !== b.virtualServers[i]));
  t.deepEqual(c, b);
});

test('the changes a builder notes are those a whole comparison of the two specs finds, build after build', (t) => {
  const builder = new CheckSpecBuilder();
  const removed: Partial<Parts> = { api: '' };
  const moved: Partial<Parts> = { api: base.api.replace('192.0.2.20 443', '192.0.2.21 443') };
  const steps: Array<{ parts: Partial<Parts>; fingerprints?: boolean }> = [
    ...edits.map((e) => ({ parts: e.parts })),
    { parts: removed },
    { parts: {} },
    { parts: moved },
    { parts: {}, fingerprints: false },
    { parts: {} },
    { parts: { web: base.web.replace('weight 1', 'weight 3') } },
  ];
  let from = builder.build(model(base));
  for (const [n, step] of steps.entries()) {
    const to = builder.build(model({ ...base, ...step.parts }, step.fingerprints ?? true));
    const noted = specChanges(from, to);
    t.is(specChanges(from, to), noted, 'noted by the builder, not compared again');
    // the same specs under other objects: nothing noted for them, compared whole
    const whole = specChanges({ ...from }, { ...to });
    t.not(noted, whole);
    t.deepEqual(
      { changed: noted.changed, gone: noted.gone, retired: noted.retired },
      { changed: whole.changed, gone: whole.gone, retired: whole.retired },
      `step ${n}`,
    );
    t.true(
      noted.changed.every((vs, i) => vs === whole.changed[i]) &&
        noted.gone.every((vs, i) => vs === whole.gone[i]),
    );
    from = to;
  }
});
