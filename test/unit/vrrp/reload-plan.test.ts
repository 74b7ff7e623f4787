// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP reload plan (src/vrrp/reload-plan.ts), pure: named rows of a running and a new
 * configuration, each with the plan expected: carry vs replace, VRID / interface / priority
 * changes, VIPs added and removed, instances added and removed, sync-group membership and trackers,
 * vrrp_script definitions, globals not applied, and a VRID conflict.
 */
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadConfig, parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { planVrrpReload, type VrrpReloadPlan } from '../../../src/vrrp/reload-plan.js';

function model(text: string): Model {
  const r = parseConfigText(text, 'plan.conf', { configId: 'lvs1', env: {} });
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

const inst = (name: string, body: string, vrid = 51, iface = 'eth0') =>
  `vrrp_instance ${name} {\n interface ${iface}\n virtual_router_id ${vrid}\n${body}\n}\n`;
const vips = (...a: string[]) => ` virtual_ipaddress {\n${a.map((x) => `  ${x}`).join('\n')}\n }`;
const script = (weight: number) => `vrrp_script chk {\n script "/bin/true"\n weight ${weight}\n}\n`;

type Expect = Partial<Omit<VrrpReloadPlan, 'changes'>> & {
  changes?: Record<string, Partial<VrrpReloadPlan['changes'][string]>>;
};

const rows: Array<{ name: string; before: string; after: string; expect: Expect }> = [
  {
    name: 'a comment and a moved block change nothing',
    before: inst('A', vips('10.0.0.1')) + inst('B', vips('10.0.0.2'), 52),
    after: `# edited\n${inst('B', vips('10.0.0.2'), 52)}${inst('A', vips('10.0.0.1'))}`,
    expect: { empty: true, unchanged: ['B', 'A'], carried: [], replaced: [] },
  },
  {
    name: 'priority changed: carried, the setting named',
    before: inst('A', ` priority 100\n${vips('10.0.0.1')}`),
    after: inst('A', ` priority 150\n${vips('10.0.0.1')}`),
    expect: { carried: ['A'], replaced: [], changes: { A: { settings: ['priority'], replacedBecause: [] } } },
  },
  {
    name: 'VIPs added and removed: carried, each VIP named',
    before: inst('A', vips('10.0.0.1', '10.0.0.2')),
    after: inst('A', vips('10.0.0.1', '10.0.0.3/24')),
    expect: {
      carried: ['A'],
      changes: {
        A: { vipsAdded: ['10.0.0.3/24 dev eth0'], vipsRemoved: ['10.0.0.2/32 dev eth0'], settings: [] },
      },
    },
  },
  {
    name: 'VRID changed: replaced',
    before: inst('A', vips('10.0.0.1'), 51),
    after: inst('A', vips('10.0.0.1'), 52),
    expect: { replaced: ['A'], carried: [], changes: { A: { replacedBecause: ['vrid 51 -> 52'] } } },
  },
  {
    name: 'interface changed: replaced',
    before: inst('A', vips('10.0.0.1'), 51, 'eth0'),
    after: inst('A', vips('10.0.0.1'), 51, 'eth1'),
    expect: { replaced: ['A'], changes: { A: { replacedBecause: ['interface eth0 -> eth1'] } } },
  },
  {
    name: 'instances added and removed',
    before: inst('A', vips('10.0.0.1')) + inst('B', vips('10.0.0.2'), 52),
    after: inst('A', vips('10.0.0.1')) + inst('C', vips('10.0.0.3'), 53),
    expect: { added: ['C'], removed: ['B'], unchanged: ['A'], empty: false },
  },
  {
    name: 'an instance joins a sync group: carried, the group added',
    before: inst('A', vips('10.0.0.1')),
    after: `vrrp_sync_group G {\n group {\n  A\n }\n}\n${inst('A', vips('10.0.0.1'))}`,
    expect: {
      carried: ['A'],
      syncGroups: { added: ['G'], removed: [] },
      changes: { A: { settings: ['syncGroup', 'sync group, trackers or globals'] } },
    },
  },
  {
    name: "a vrrp_script's weight changed: the instance tracking it is carried",
    before: script(-10) + inst('A', ` track_script {\n  chk\n }\n${vips('10.0.0.1')}`),
    after: script(-20) + inst('A', ` track_script {\n  chk\n }\n${vips('10.0.0.1')}`),
    expect: { carried: ['A'], changes: { A: { settings: ['sync group, trackers or globals'] } } },
  },
  {
    name: 'a vrrp_script nobody tracks changed: nothing to do',
    before: script(-10) + inst('A', vips('10.0.0.1')),
    after: script(-20) + inst('A', vips('10.0.0.1')),
    expect: { empty: true, unchanged: ['A'] },
  },
  {
    name: 'the multicast group changed: not applied until restart',
    before: inst('A', vips('10.0.0.1')),
    after: `global_defs {\n vrrp_mcast_group4 224.0.0.19\n}\n${inst('A', vips('10.0.0.1'))}`,
    expect: { carried: ['A'], notApplied: ['vrrp_mcast_group4/6 (sockets keep their groups until restart)'] },
  },
  {
    name: 'a tracked vrrp_track_process changed: carried, as a tracker change',
    before: `vrrp_track_process p {\n process x\n}\n${inst('A', ` track_process {\n  p\n }\n${vips('10.0.0.1')}`)}`,
    after: `vrrp_track_process p {\n process x\n quorum 2\n}\n${inst('A', ` track_process {\n  p\n }\n${vips('10.0.0.1')}`)}`,
    expect: { carried: ['A'], changes: { A: { settings: ['sync group, trackers or globals'] } } },
  },
  {
    name: 'only process_monitor_rcv_bufs changed: nothing to do now, said so',
    before: inst('A', vips('10.0.0.1')),
    after: `global_defs {\n process_monitor_rcv_bufs 500000\n}\n${inst('A', vips('10.0.0.1'))}`,
    expect: {
      empty: true,
      notApplied: [
        'process_monitor_rcv_bufs (when the trackers next restart: a reload that changes an instance)',
      ],
    },
  },
];

for (const row of rows) {
  test(`plan: ${row.name}`, (t) => {
    const plan = planVrrpReload(model(row.before), model(row.after));
    const { changes, ...rest } = row.expect;
    for (const [k, v] of Object.entries(rest)) t.deepEqual(plan[k as keyof VrrpReloadPlan], v, k);
    for (const [name, c] of Object.entries(changes ?? {}))
      for (const [k, v] of Object.entries(c))
        t.deepEqual(plan.changes[name]?.[k as keyof typeof c], v, `${name}.${k}`);
    t.deepEqual(plan.conflicts, []);
  });
}

test('plan: two instances with one VRID on one interface and family are a conflict', (t) => {
  const before = model(inst('A', vips('10.0.0.1')) + inst('B', vips('10.0.0.2'), 52));
  const after = model(inst('A', vips('10.0.0.1')) + inst('B', vips('10.0.0.2'), 52));
  const b = after.vrrpInstances[1];
  if (b) b.vrid = 51; // validation refuses this in a file; the plan refuses it too
  t.deepEqual(planVrrpReload(before, after).conflicts, ['instance B: VRID 51 is in use by A on eth0 (inet)']);
});

const dir = fileURLToPath(new URL('../../../../test/fixtures/conf/reload/', import.meta.url));

async function step(scenario: string, n: number): Promise<Model> {
  const r = await loadConfig(`${dir}${scenario}/step-${n}.conf`, { configId: 'lvs1', env: {} });
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
}

test('numbered steps (fixtures/conf/reload/vip-and-real): 1 -> 2 adds VI_3 and carries VI_2; 2 -> 3 removes VI_3', async (t) => {
  const p12 = planVrrpReload(await step('vip-and-real', 1), await step('vip-and-real', 2));
  t.deepEqual([p12.added, p12.carried, p12.unchanged, p12.removed], [['VI_3'], ['VI_2'], ['VI_1'], []]);
  const p23 = planVrrpReload(await step('vip-and-real', 2), await step('vip-and-real', 3));
  t.deepEqual([p23.removed, p23.unchanged], [['VI_3'], ['VI_1', 'VI_2']]);
});

test('plan: a reload that changes only virtual servers is empty for VRRP', (t) => {
  const vrrp = inst('V', vips('10.0.0.1'));
  const a = model(`${vrrp}virtual_server 10.0.0.1 80 {\n lb_algo rr\n}\n`);
  const b = model(`${vrrp}virtual_server 10.0.0.1 80 {\n lb_algo wrr\n}\n`);
  t.true(planVrrpReload(a, b).empty);
});
