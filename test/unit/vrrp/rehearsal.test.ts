// SPDX-License-Identifier: Apache-2.0
/**
 * The takeover rehearsal (src/vrrp/rehearsal.ts): every kind of instance lvsd runs goes MASTER and
 * back each round (the peer's advert passes its own checks: authentication, unicast source, IPv6
 * checksum), yielding between rounds; owners and FAULT instances are not rehearsed; and the engine
 * rehearses before its start resolves, without a packet, netlink request or notification of its own.
 */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Logger } from '../../../src/core/log.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { rehearseTakeovers } from '../../../src/vrrp/rehearsal.js';
import type { InstanceSpec } from '../../../src/vrrp/instance.js';
import type { MachineConfig } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';
import { fakeVrrpWorld, settle } from '../../fakes/fake-vrrp-ports.js';
import { silentLogger } from '../../fakes/silent-logger.js';

function spec(machine: MachineConfig, extra: Partial<InstanceSpec> = {}): InstanceSpec {
  const v6 = machine.family === 'inet6';
  return {
    machine,
    destinations: machine.unicastPeers.length > 0 ? machine.unicastPeers : [v6 ? 'ff02::12' : '224.0.0.18'],
    source: machine.primaryAddress,
    mac: '02:00:00:00:00:02',
    vips: machine.vips.map((address) => ({
      family: machine.family,
      address,
      prefixLen: v6 ? 64 : 24,
      ifindex: 2,
    })),
    notify: { kind: 'INSTANCE', name: machine.name },
    router: false,
    ...extra,
  };
}

const kinds: Array<[string, MachineConfig]> = [
  ['VRRPv3 IPv4 multicast', baseConfig()],
  [
    'VRRPv2 with a password',
    baseConfig({ version: 2, advertIntMs: 1000, auth: { type: 'pass', pass: 'secret' } }),
  ],
  [
    'VRRPv2 with IPsec AH',
    baseConfig({ version: 2, advertIntMs: 1000, auth: { type: 'ah', pass: 'secret' } }),
  ],
  [
    'VRRPv3 IPv4 unicast, check_unicast_src',
    baseConfig({ unicastPeers: ['10.0.0.3'], checkUnicastSrc: true }),
  ],
  [
    'VRRPv3 IPv6 multicast',
    baseConfig({ family: 'inet6', primaryAddress: 'fe80::2', vips: ['2001:db8::100'] }),
  ],
  [
    'VRRPv3, the first address a peer would use is ours',
    baseConfig({ primaryAddress: '192.0.2.1', vips: ['192.0.2.100'] }),
  ],
];

for (const [name, machine] of kinds) {
  test(`${name}: every round goes MASTER and back, one yield a round`, async (t) => {
    let yields = 0;
    const done = await rehearseTakeovers(spec(machine), 12, (fn) => {
      yields++;
      setImmediate(fn);
    });
    t.is(done, 12);
    t.is(yields, 12);
  });
}

test('an address owner and an instance that can only be FAULT are not rehearsed', async (t) => {
  const defer = (fn: () => void) => setImmediate(fn);
  t.is(await rehearseTakeovers(spec(baseConfig({ priority: 255 })), 5, defer), 0);
  t.is(await rehearseTakeovers(spec(baseConfig(), { configFault: 'no unicast peer' }), 5, defer), 0);
});

test('the engine rehearses before its start resolves: no advert, frame, VIP or notification of its own, and the real takeover still comes at Master_Down', async (t) => {
  const debug: string[] = [];
  const log: Logger = { ...silentLogger, debug: (msg, f) => void debug.push(`${msg} ${JSON.stringify(f)}`) };
  log.child = () => log;
  const w = fakeVrrpWorld({ log });
  const m = parseConfigText(
    `vrrp_instance VI_1 {
      interface eth0
      virtual_router_id 51
      priority 100
      version 3
      advert_int 0.1
      virtual_ipaddress {
        10.0.0.100/32
      }
    }`,
    'rehearsal.conf',
    { configId: 'lvs1', env: {} },
  ).model;
  if (!m) throw new Error('the configuration did not parse');
  const e = await VrrpEngine.start(m, { ...w.ports, defer: (fn) => setImmediate(fn) });
  // done when start resolves: before the worker turns realtime (a burst under RLIMIT_RTTIME otherwise)
  t.deepEqual(debug, ['takeover rehearsed {"instance":"VI_1","rounds":40}']);
  t.deepEqual(w.sent, []);
  t.deepEqual(w.frames, []);
  t.false(w.host.has('10.0.0.100'));
  t.deepEqual(
    w.notes.map((n) => n.state),
    ['BACKUP'],
  );
  w.clock.advance(400);
  await settle();
  t.is(e.instances[0]?.state.name, 'master');
  t.true(w.host.has('10.0.0.100'));
  t.deepEqual(
    w.notes.map((n) => n.state),
    ['BACKUP', 'MASTER'],
  );
});
