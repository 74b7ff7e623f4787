// SPDX-License-Identifier: Apache-2.0
/** Which instances a successor adopts after a hitless handoff (src/vrrp/handoff.ts), pure. */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import {
  adoptable,
  crashHandoffRecord,
  isHandoffRecord,
  type HandoffRecord,
} from '../../../src/vrrp/handoff.js';

function model(text: string): Model {
  const r = parseConfigText(text, 'handoff.conf', { configId: 'lvs1', env: {} });
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

const inst = (name: string, vrid: number, iface = 'eth0', adv = 1) =>
  `vrrp_instance ${name} {\n interface ${iface}\n virtual_router_id ${vrid}\n priority 150\n advert_int ${adv}\n virtual_ipaddress {\n  10.0.0.${vrid}\n }\n}\n`;

const record: HandoffRecord = {
  version: 1,
  at: 0,
  instances: [
    { name: 'A', vrid: 51, interface: 'eth0', family: 'inet' },
    { name: 'B', vrid: 52, interface: 'eth0', family: 'inet' },
    { name: 'C', vrid: 53, interface: 'eth0', family: 'inet' },
  ],
};

test('adopted: the same router (name, VRID, interface, family) within its Master_Down_Interval', (t) => {
  // v2, advert 1 s, priority 150: MDI = 3 s + (256 - 150) / 256 s = 3414 ms
  const m = model(inst('A', 51) + inst('B', 99) + inst('C', 53, 'eth1'));
  t.deepEqual([...adoptable(record, m, 1000)], ['A'], 'B changed its VRID, C its interface');
  t.deepEqual([...adoptable(record, m, 3413)], ['A']);
  t.deepEqual([...adoptable(record, m, 3415)], [], 'too late: the peer may have taken over');
  t.deepEqual([...adoptable(record, m, -5)], [], 'a clock that went backwards');
  t.deepEqual(
    [...adoptable(record, model(inst('B', 52)), 100)],
    ['B'],
    'an instance removed from the file is not adopted',
  );
});

test('a handoff file is checked before it is trusted', (t) => {
  t.true(isHandoffRecord(record));
  t.false(isHandoffRecord({ version: 2, at: 0, instances: [] }));
  t.false(isHandoffRecord({ version: 1, at: 'x', instances: [] }));
  t.false(isHandoffRecord({ version: 1, at: 0, instances: [{ name: 1 }] }));
  t.false(isHandoffRecord(null));
});

test('the VMACs a handoff names, and the settings to put back, are checked too', (t) => {
  const vmacs = {
    links: ['vrrp.51'],
    parents: { eth0: { arpIgnore: 0, arpFilter: 0 } },
    rpFilter: { all: 1, defaultWas: 0, raised: { eth1: 0 } },
  };
  t.true(isHandoffRecord({ ...record, vmacs }));
  t.true(isHandoffRecord({ ...record, vmacs: { links: [], parents: {} } }));
  t.false(isHandoffRecord({ ...record, vmacs: { links: 'vrrp.51', parents: {} } }));
  t.false(isHandoffRecord({ ...record, vmacs: { ...vmacs, parents: { eth0: { arpIgnore: '0' } } } }));
  t.false(isHandoffRecord({ ...record, vmacs: { ...vmacs, rpFilter: { all: 1, raised: { eth1: 'x' } } } }));
});

test('a crash record: the MASTER instances without a VMAC, dated back by their longest advert interval', (t) => {
  const m = model(
    inst('A', 51) +
      inst('B', 52, 'eth0', 3) +
      'vrrp_instance V {\n interface eth0\n use_vmac\n virtual_router_id 60\n priority 150\n virtual_ipaddress {\n  10.0.0.60\n }\n}\n',
  );
  const [a, b, v] = m.vrrpInstances;
  const r = crashHandoffRecord([a!, b!, v!], 100_000);
  t.deepEqual(r, {
    version: 1,
    at: 97_000, // B's 3 s adverts: its last may have left 3 s before a loop that ran now
    instances: [
      { name: 'A', vrid: 51, interface: 'eth0', family: 'inet' },
      { name: 'B', vrid: 52, interface: 'eth0', family: 'inet' },
    ],
  });
  t.true(isHandoffRecord(r));
  t.is(crashHandoffRecord([v!], 100_000), undefined, 'a VMAC alone: nothing a crash record can hand over');
  t.is(crashHandoffRecord([], 100_000), undefined);
  // what the successor then adopts: A within its 3.4 s, not 4 s after its last possible advert
  t.deepEqual([...adoptable(r!, m, 3_000 + 100)].sort(), ['A', 'B']);
  t.deepEqual([...adoptable(r!, m, 3_500)], ['B'], 'B: 3 × 3 s + skew');
});
