// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine (src/vrrp/engine.ts) on fake ports, for what a MASTER holds besides its VIPs and
 * for the global static entries: `virtual_ipaddress_excluded`, `virtual_routes` and `virtual_rules`
 * in on MASTER and out when leaving it (keepalived's order), never in adverts, only what lvsd added
 * removed, leftovers cleared at start, reload as a diff; `static_ipaddress`, `static_routes` and
 * `static_rules` set at start whatever the state, removed at stop, waiting for a missing interface,
 * reinstated when deleted from outside. The same on the real kernel, against keepalived:
 * test/netns/vrrp/routing.test.ts.
 */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { buildAdvert } from '../../../src/vrrp/packet.js';
import { routeSpecOf, ruleSpecOf } from '../../../src/vrrp/route-specs.js';
import { fakeVrrpWorld, FakeHost, settle, type FakeVrrpWorld } from '../../fakes/fake-vrrp-ports.js';
import { baseConfig } from './config-fixture.js';

function model(text: string): Model {
  const r = parseConfigText(text, 'routing.conf', { configId: 'lvs1', env: {} });
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

const instance = (extra = ''): string => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  version 3
  advert_int 0.1
  track_interface {
    eth2
  }
  virtual_ipaddress {
    10.0.0.100/32
  }
  virtual_ipaddress_excluded {
    10.0.0.101/24 label eth0:ex
    10.1.0.101/24 dev eth1
  }
  virtual_routes {
    10.80.0.0/16 via 10.0.0.254
    10.81.0.0/16 dev eth1 src 10.1.0.101 table 100
  }
  virtual_rules {
    from 10.0.0.101 table 100 priority 200
  }
  ${extra}
}
`;

const statics = `static_ipaddress {
  10.2.0.5/24 dev eth1
}
static_routes {
  10.90.0.0/16 via 10.1.0.254 dev eth1
  blackhole 10.91.0.0/16
}
static_rules {
  fwmark 7 table 100 priority 100
}
`;

/** An instance with VIPs only. */
const plain = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  version 3
  advert_int 0.1
  virtual_ipaddress {
    10.0.0.100/32
  }
}
`;

const host = (): FakeHost =>
  new FakeHost().addLink('eth0', 2, '10.0.0.2').addLink('eth1', 3, '10.1.0.2').addLink('eth2', 4);

/** Start an engine and let the lone instance become master (Master_Down_Interval ≈ 361 ms). */
async function started(w: FakeVrrpWorld, m: Model): Promise<VrrpEngine> {
  const e = await VrrpEngine.start(m, w.ports);
  w.clock.advance(400);
  await settle();
  return e;
}

/** The gratuitous ARPs sent so far: `address ifindex ethernet-source`, each once. */
function garps(w: FakeVrrpWorld): string[] {
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const seen = w.frames.map(
    (f) => `${[...f.data.subarray(28, 32)].join('.')} ${f.ifindex} ${hex(f.data.subarray(6, 12))}`,
  );
  return [...new Set(seen)].sort();
}

/** A higher-priority master's advert for VRID 51 (the instance leaves MASTER). */
function preempt(w: FakeVrrpWorld): void {
  const cfg = baseConfig({ vrid: 51, priority: 200, primaryAddress: '10.0.0.9', vips: ['10.0.0.100'] });
  w.deliver('eth0', 'inet', {
    data: buildAdvert(cfg, 200, '224.0.0.18'),
    src: '10.0.0.9',
    dst: '224.0.0.18',
    ttl: 255,
  });
}

test('MASTER: VIPs, excluded VIPs, routes, then rules go in; adverts carry only the VIPs; GARPs cover the excluded ones, each on its interface', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await VrrpEngine.start(model(instance()), w.ports);
  // at start, what a killed predecessor may have left is cleared (rules first)
  t.deepEqual(w.host.log, ['del rule 200', 'del route 10.80.0.0/16', 'del route 10.81.0.0/16']);
  w.host.log.length = 0;
  w.clock.advance(400);
  await settle();
  t.is(e.instances[0]?.state.name, 'master');
  t.deepEqual(w.host.log, [
    'add 10.0.0.100',
    'add 10.0.0.101',
    'add 10.1.0.101',
    'add route 10.80.0.0/16',
    'add route 10.81.0.0/16',
    'add rule 200',
  ]);
  const routes = [...w.host.routing.routes.values()];
  t.like(routes[1], {
    dst: '10.81.0.0',
    dstLen: 16,
    ifindex: 3,
    prefsrc: '10.1.0.101',
    table: 100,
    protocol: 18,
  });
  t.like([...w.host.routing.rules.values()][0], { src: '10.0.0.101', srcLen: 32, table: 100, protocol: 18 });
  t.like(
    w.host.addrs.find((a) => a.address === '10.0.0.101'),
    { prefixLen: 24, ifindex: 2, label: 'eth0:ex' },
  );
  t.true(w.sent.length > 0);
  for (const a of w.sent) t.deepEqual(a.addresses, ['10.0.0.100']);
  // each from its own interface and MAC (the excluded 10.1.0.101 is on eth1), as keepalived sends them
  t.deepEqual(garps(w), [
    '10.0.0.100 2 02:00:00:00:00:02',
    '10.0.0.101 2 02:00:00:00:00:02',
    '10.1.0.101 3 02:00:00:00:00:03',
  ]);
});

test('leaving MASTER (a higher priority heard): rules, routes, then the VIPs and excluded VIPs come out', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await started(w, model(instance()));
  w.host.log.length = 0;
  preempt(w);
  await settle();
  t.is(e.instances[0]?.state.name, 'backup');
  t.deepEqual(w.host.log, [
    'del rule 200',
    'del route 10.80.0.0/16',
    'del route 10.81.0.0/16',
    'del 10.0.0.100',
    'del 10.0.0.101',
    'del 10.1.0.101',
  ]);
  t.is(w.host.routing.routes.size, 0);
  t.is(w.host.routing.rules.size, 0);
  t.false(w.host.has('10.1.0.101'));
});

test('FAULT (a tracked interface down) takes the routes and rules out too; back to MASTER puts them in again', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await started(w, model(instance()));
  w.host.setLink('eth2', false);
  await settle();
  t.is(e.instances[0]?.state.name, 'fault');
  t.is(w.host.routing.routes.size + w.host.routing.rules.size, 0);
  w.host.setLink('eth2', true);
  w.clock.advance(400);
  await settle();
  t.is(e.instances[0]?.state.name, 'master');
  t.is(w.host.routing.routes.size, 2);
  t.is(w.host.routing.rules.size, 1);
});

test('a route or rule the kernel already had when MASTER came is not ours: it stays when leaving MASTER', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const m = model(instance());
  const e = await VrrpEngine.start(m, w.ports);
  const mi = m.vrrpInstances[0];
  if (!mi) throw new Error('no instance');
  const route = routeSpecOf(mi.virtualRoutes[0] ?? t.fail(), () => 0);
  const rule = ruleSpecOf(mi.virtualRules[0] ?? t.fail());
  await w.host.addRoute(route); // someone else's, added while BACKUP
  await w.host.addRule(rule);
  w.clock.advance(400);
  await settle();
  preempt(w);
  await settle();
  t.is(e.instances[0]?.state.name, 'backup');
  t.deepEqual([...w.host.routing.routes.values()], [route]);
  t.deepEqual([...w.host.routing.rules.values()], [rule]);
});

test('reload of a MASTER: a new route and rule go in, dropped ones come out, unchanged ones are not touched', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await started(w, model(instance()));
  w.host.log.length = 0;
  const next = instance()
    .replace('10.80.0.0/16 via 10.0.0.254', '10.82.0.0/16 via 10.0.0.254')
    .replace('priority 200', 'priority 201')
    .replace('10.0.0.101/24 label eth0:ex', '10.0.0.102/24');
  await e.reload(model(next));
  await settle();
  t.is(e.instances[0]?.state.name, 'master');
  t.deepEqual(w.host.log, [
    'del rule 200',
    'del route 10.80.0.0/16',
    'del 10.0.0.101',
    'add 10.0.0.102',
    'add route 10.82.0.0/16',
    'add rule 201',
  ]);
});

test('an instance whose virtual route names a missing interface waits, and starts when it appears', async (t) => {
  const w = fakeVrrpWorld();
  const m = model(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  version 3
  advert_int 0.1
  virtual_ipaddress {
    10.0.0.100/32
  }
  virtual_routes {
    10.81.0.0/16 dev eth9
  }
}
`);
  const e = await started(w, m);
  t.deepEqual([...e.waiting], [['VI_1', 'interface eth9 (of route to 10.81.0.0) does not exist']]);
  w.host.addLink('eth9', 9, undefined, true, true);
  await settle();
  w.clock.advance(400);
  await settle();
  t.is(e.instances[0]?.state.name, 'master');
  t.like([...w.host.routing.routes.values()][0], { dst: '10.81.0.0', ifindex: 9 });
});

test('static entries: leftovers cleared, then set at start while the instance is still BACKUP; removed at stop after the instance released', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await VrrpEngine.start(model(statics + instance()), w.ports);
  t.is(e.instances[0]?.state.name, 'backup');
  t.deepEqual(w.host.log.slice(0, 7), [
    'del rule 100',
    'del route 10.90.0.0/16',
    'del route 10.91.0.0/16',
    'del 10.2.0.5',
    'add 10.2.0.5',
    'add route 10.90.0.0/16',
    'add route 10.91.0.0/16',
  ]);
  t.true(w.host.log.includes('add rule 100'));
  t.like(
    w.host.addrs.find((a) => a.address === '10.2.0.5'),
    { ifindex: 3, prefixLen: 24 },
  );
  t.like([...w.host.routing.routes.values()][1], { type: 'blackhole', dst: '10.91.0.0', protocol: 18 });
  w.clock.advance(400);
  await settle();
  w.host.log.length = 0;
  await e.stop();
  const log = w.host.log;
  // the instance releases first (its rule, routes, addresses), then the statics: rules, routes, addresses
  t.deepEqual(log.slice(log.indexOf('del rule 100')), [
    'del rule 100',
    'del route 10.90.0.0/16',
    'del route 10.91.0.0/16',
    'del 10.2.0.5',
  ]);
  t.true(log.indexOf('del 10.1.0.101') < log.indexOf('del rule 100'));
  t.is(w.host.routing.routes.size + w.host.routing.rules.size, 0);
  t.false(w.host.has('10.2.0.5'));
});

test('static entries on an interface that does not exist yet are set when it appears; a reload applies the statics as a diff', async (t) => {
  const w = fakeVrrpWorld();
  const conf =
    statics.replace('10.2.0.5/24 dev eth1', '10.2.0.5/24 dev eth1\n  10.0.0.50/24 dev eth0') + plain;
  const e = await VrrpEngine.start(model(conf), w.ports);
  t.true(w.host.has('10.0.0.50'));
  t.false(w.host.has('10.2.0.5'));
  t.deepEqual(
    [...w.host.routing.routes.values()].map((r) => r.dst),
    ['10.91.0.0'],
  );
  w.host.addLink('eth1', 3, '10.1.0.2', true, true);
  await settle();
  t.true(w.host.has('10.2.0.5'));
  t.deepEqual([...w.host.routing.routes.values()].map((r) => r.dst).sort(), ['10.90.0.0', '10.91.0.0']);
  // a reload changing only statics (an empty VRRP plan) still applies them, as a diff
  w.host.log.length = 0;
  const next = conf
    .replace('blackhole 10.91.0.0/16', 'blackhole 10.92.0.0/16')
    .replace('priority 100', 'priority 101');
  await e.reload(model(next));
  t.deepEqual(w.host.log, [
    'del rule 100',
    'del route 10.91.0.0/16',
    'add route 10.92.0.0/16',
    'add rule 101',
  ]);
});

test('a static address deleted from outside is added back; one the engine removed itself is not', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await VrrpEngine.start(model(statics + instance()), w.ports);
  w.host.removeAddress('10.2.0.5');
  await settle();
  t.true(w.host.has('10.2.0.5'));
  t.like((e.snapshot() as { static: object }).static, { reinstated: 1 });
  await e.stop();
  await settle();
  t.false(w.host.has('10.2.0.5'));
});

test('hitless restart: a MASTER hands over in place with its routes, rules and the static entries; the successor adopting it takes them over without deleting any, and removes them at stop', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const m = model(statics + instance());
  const e = await started(w, m);
  t.is(e.instances[0]?.state.name, 'master');
  await e.handoff(5_000);
  const held = (): number => w.host.routing.routes.size + w.host.routing.rules.size;
  t.is(held(), 6, 'two virtual and two static routes, one virtual and one static rule stay');
  t.true(w.host.has('10.1.0.101') && w.host.has('10.2.0.5'));
  // as the kernel with the rules in place: a route with a gateway cannot be added again (its gateway
  // is looked up through the policy rules, and an adopted `not from ... unreachable` answers it),
  // though the route is there
  w.host.routing.refuseRoute = (r) =>
    r.gateway !== undefined || r.nexthops !== undefined ? 'ENETUNREACH' : undefined;
  const w2 = fakeVrrpWorld({ host: w.host, start: w.clock.now() });
  const from = w.host.log.length;
  const e2 = await VrrpEngine.start(m, w2.ports, { adopt: new Set(['VI_1']) });
  await settle();
  t.is(e2.instances[0]?.state.name, 'master', 'adopted: MASTER at once');
  const calls = w.host.log.slice(from);
  t.deepEqual(
    calls.filter((l) => l.startsWith('del')),
    [],
    'nothing was taken out, not even for a moment',
  );
  t.deepEqual(
    calls.filter((l) => l.startsWith('add route')),
    [],
    'routes the kernel shows are taken over as they are, gateway routes without dev included',
  );
  t.is(held(), 6);
  await e2.stop();
  t.is(held(), 0, 'adopted routes and rules are owned: removed on a graceful stop');
  t.false(w.host.has('10.1.0.101') || w.host.has('10.2.0.5'));
});

test('hitless restart with a changed file: a route the predecessor did not have is added, one the kernel shows is taken over', async (t) => {
  const w = fakeVrrpWorld({ host: host() });
  const e = await started(w, model(statics + instance()));
  await e.handoff(5_000);
  const next = model(
    statics.replace('blackhole 10.91.0.0/16', 'blackhole 10.91.0.0/16\n  blackhole 10.93.0.0/16') +
      instance(),
  );
  const w2 = fakeVrrpWorld({ host: w.host, start: w.clock.now() });
  const from = w.host.log.length;
  const e2 = await VrrpEngine.start(next, w2.ports, { adopt: new Set(['VI_1']) });
  await settle();
  t.deepEqual(
    w.host.log.slice(from).filter((l) => / route /.test(l)),
    ['add route 10.93.0.0/16'],
  );
  await e2.stop();
  t.is(w.host.routing.routes.size + w.host.routing.rules.size, 0);
});
