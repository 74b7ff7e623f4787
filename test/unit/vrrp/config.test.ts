// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../../src/config/load.io.js';
import { toHex } from '../../../src/core/bytes.js';
import { machineConfigFromModel, trackersFromModel } from '../../../src/vrrp/config.js';
import { parseIpPacket } from './ip-packet.js';
import { buildAdvert } from '../../../src/vrrp/packet.js';
import { golden } from './golden.js';

const confDir = new URL('../../../../test/fixtures/packets/conf/', import.meta.url);

function load(name: string, text?: string) {
  const src = text ?? readFileSync(new URL(`${name}.conf`, confDir), 'utf8');
  const r = parseConfigText(src, `${name}.conf`, { configId: 'ka-d1', env: {} });
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.model;
}

// The keepalived configs the golden packets were captured with: Model → MachineConfig → the same bytes.
const rows = [
  { conf: 'g-v2-none', vector: 'v2-ipv4-auth-none', src: '10.99.0.1' },
  { conf: 'g-v2-pass', vector: 'v2-ipv4-auth-pass', src: '10.99.0.1' },
  { conf: 'g-v3-ipv4', vector: 'v3-ipv4', src: '10.99.0.1' },
  { conf: 'g-v3-ipv4-2vips', vector: 'v3-ipv4-2vips', src: '10.99.0.1' },
  { conf: 'g-v3-ipv6', vector: 'v3-ipv6', src: 'fe80::99:ff:fe00:1' },
];
for (const r of rows) {
  test(`machineConfigFromModel(${r.conf}) sends keepalived's captured advert`, (t) => {
    const model = load(r.conf);
    const inst = model.vrrpInstances[0];
    if (!inst) return t.fail('no instance');
    const cfg = machineConfigFromModel(inst, model.global, { primaryAddress: r.src });
    const ip = parseIpPacket(golden(r.vector));
    if (!ip.ok) return t.fail(ip.reason);
    t.is(toHex(buildAdvert(cfg, 150, ip.value.dst)), toHex(ip.value.payload));
    t.is(cfg.initialState, 'master');
    t.is(cfg.garp.masterRepeat, 5);
    t.is(cfg.garp.masterDelayMs, 5000);
  });
}

test('machineConfigFromModel: knobs, unicast, nopreempt, trackers', (t) => {
  const model = load(
    'inline',
    `
global_defs { vrrp_version 3 }
vrrp_script chk {
  script "/bin/true"
  interval 2
  weight -30
  rise 2
  fall 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 7
  priority 120
  advert_int 0.1
  nopreempt
  unicast_src_ip 10.1.0.1
  unicast_peer { 10.1.0.2 }
  lower_prio_no_advert
  virtual_ipaddress { 10.1.0.100/24 }
  track_interface { eth1 weight -20 }
  track_script { chk }
}
`,
  );
  const inst = model.vrrpInstances[0];
  if (!inst) return t.fail('no instance');
  const cfg = machineConfigFromModel(inst, model.global, { primaryAddress: '10.9.9.9' });
  t.like(cfg, {
    vrid: 7,
    version: 3,
    priority: 120,
    advertIntMs: 100,
    preempt: false,
    lowerPrioNoAdvert: true,
    primaryAddress: '10.1.0.1',
    unicastPeers: ['10.1.0.2'],
    vips: ['10.1.0.100'],
    initialState: 'backup',
    inSyncGroup: false,
    unicastPeerTtl: {},
  });
  t.deepEqual(trackersFromModel(inst, model), [
    { kind: 'interface', name: 'eth1', weight: -20, reverse: false },
    { kind: 'script', name: 'chk', weight: -30, reverse: false, rise: 2, fall: 3, initFail: false },
  ]);
});
