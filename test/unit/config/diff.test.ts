// SPDX-License-Identifier: Apache-2.0
// Reload plans: numbered config steps (test/fixtures/conf/reload/<scenario>/step-N.conf), each
// diffed against the previous one, with the expected plan written out here.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { diffModels } from '../../../src/config/diff.js';
import { loadConfig, parseConfigText } from '../../../src/config/load.js';
import type { Model } from '../../../src/config/model.js';

const dir = fileURLToPath(new URL('../../../../test/fixtures/conf/reload/', import.meta.url));

async function step(scenario: string, n: number): Promise<Model> {
  const r = await loadConfig(`${dir}${scenario}/step-${n}.conf`, { configId: 'lvs1', env: {} });
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
}

test('reload vip-and-real: step 1 -> 2', async (t) => {
  const plan = diffModels(await step('vip-and-real', 1), await step('vip-and-real', 2));
  t.false(plan.empty);
  t.false(plan.globalChanged);
  t.deepEqual(plan.vrrpInstances, { added: ['VI_3'], removed: [], changed: ['VI_2'], unchanged: ['VI_1'] });
  t.deepEqual(plan.syncGroups, { added: [], removed: [], changed: [], unchanged: [] });
});

test('reload vip-and-real: step 2 -> 3 removes what step 2 added', async (t) => {
  const plan = diffModels(await step('vip-and-real', 2), await step('vip-and-real', 3));
  t.deepEqual(plan.vrrpInstances.removed, ['VI_3']);
  t.deepEqual(plan.vrrpInstances.unchanged, ['VI_1', 'VI_2']);
});

test('moving text around (comments, blank lines, other line numbers) is an empty plan', (t) => {
  const a = parseConfigText('vrrp_instance V {\n interface eth0\n virtual_router_id 1\n}\n', 'a.conf', {
    env: {},
  });
  const b = parseConfigText(
    '# moved\n\n\nvrrp_instance V\n{\n    interface eth0\n    virtual_router_id 1\n}\n',
    'b.conf',
    {
      env: {},
    },
  );
  if (!a.model || !b.model) return t.fail();
  const plan = diffModels(a.model, b.model);
  t.true(plan.empty);
  t.deepEqual(plan.vrrpInstances.unchanged, ['V']);
});

test('global_defs changes are flagged', (t) => {
  const a = parseConfigText('global_defs {\n router_id a\n}\n', 'a.conf', { env: {} });
  const b = parseConfigText('global_defs {\n router_id b\n}\n', 'b.conf', { env: {} });
  if (!a.model || !b.model) return t.fail();
  const plan = diffModels(a.model, b.model);
  t.true(plan.globalChanged);
  t.false(plan.empty);
});

test('a reload that changes only virtual servers is empty for VRRP', (t) => {
  const vrrp = 'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n}\n';
  const a = parseConfigText(`${vrrp}virtual_server 10.0.0.1 80 {\n lb_algo rr\n}\n`, 'a.conf', { env: {} });
  const b = parseConfigText(`${vrrp}virtual_server 10.0.0.1 80 {\n lb_algo wrr\n}\n`, 'b.conf', { env: {} });
  if (!a.model || !b.model) return t.fail();
  t.true(diffModels(a.model, b.model).empty);
});

test('scripts, track files and sync groups are diffed by name', (t) => {
  const base =
    'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n}\n' +
    'vrrp_sync_group G {\n group {\n V\n }\n}\n' +
    'vrrp_track_file F {\n file /run/f\n}\n';
  const a = parseConfigText(`${base}vrrp_script S {\n script /bin/true\n}\n`, 'a.conf', { env: {} });
  const b = parseConfigText(
    `${base}vrrp_script S {\n script /bin/false\n}\nvrrp_script T {\n script /bin/true\n}\n`,
    'b.conf',
    {
      env: {},
    },
  );
  if (!a.model || !b.model) return t.fail();
  const plan = diffModels(a.model, b.model);
  t.deepEqual(plan.vrrpScripts, { added: ['T'], removed: [], changed: ['S'], unchanged: [] });
  t.deepEqual(plan.trackFiles.unchanged, ['F']);
  t.deepEqual(plan.syncGroups.unchanged, ['G']);
  t.false(plan.empty);
});
