// SPDX-License-Identifier: Apache-2.0
// Reload plans: numbered config steps (test/fixtures/conf/reload/<scenario>/step-N.conf), each
// diffed against the previous one, with the expected plan written out here.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { diffModels, realId, vsId } from '../../../src/config/diff.js';
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
  t.deepEqual(plan.virtualServers, {
    added: ['tcp|inet|10.0.0.250|80'],
    removed: [],
    changed: ['tcp|inet|10.0.0.100|80', 'tcp|inet|10.0.0.200|443'],
    unchanged: [],
  });
  t.deepEqual(plan.virtualServerChanges, [
    {
      id: 'tcp|inet|10.0.0.100|80',
      serviceChanged: false,
      reals: {
        added: ['192.168.0.103|80'],
        removed: [],
        changed: ['192.168.0.102|80'],
        unchanged: ['192.168.0.101|80'],
      },
    },
    {
      id: 'tcp|inet|10.0.0.200|443',
      serviceChanged: true,
      reals: { added: [], removed: [], changed: [], unchanged: ['192.168.0.201|443'] },
    },
  ]);
});

test('reload vip-and-real: step 2 -> 3 removes what step 2 added', async (t) => {
  const plan = diffModels(await step('vip-and-real', 2), await step('vip-and-real', 3));
  t.deepEqual(plan.vrrpInstances.removed, ['VI_3']);
  t.deepEqual(plan.vrrpInstances.unchanged, ['VI_1', 'VI_2']);
  t.deepEqual(plan.virtualServers.removed, ['tcp|inet|10.0.0.250|80']);
  t.deepEqual(plan.virtualServers.unchanged, ['tcp|inet|10.0.0.100|80', 'tcp|inet|10.0.0.200|443']);
  t.deepEqual(plan.virtualServerChanges, []);
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

test('ids', (t) => {
  t.is(vsId({ kind: 'fwmark', family: 'inet6', fwmark: 7 }), 'fwmark|inet6|7');
  t.is(vsId({ kind: 'group', name: 'WEB', family: 'inet', protocol: 'udp' }), 'group|udp|inet|WEB');
  t.is(realId({ address: '2001:db8::1', port: 0 }), '2001:db8::1|0');
});
