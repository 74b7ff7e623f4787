// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine (src/vrrp/engine.ts) on fake ports and a FakeClock: start, demultiplexing by
 * VRID, and reload as a diff — carry (a master stays master), replace (VRID change), add and remove
 * instances, VIPs added and removed, sync-group membership and group trackers, and a failed reload
 * that changes nothing. The same engine on real sockets is tested in test/netns/vrrp/.
 */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpWorld, FakeHost, settle, type FakeVrrpWorld } from '../../fakes/fake-vrrp-ports.js';

function model(text: string): Model {
  const r = parseConfigText(text, 'engine.conf', { configId: 'lvs1', env: {} });
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

interface Inst {
  name: string;
  iface?: string;
  vrid: number;
  priority?: number;
  vips: string[];
  extra?: string;
}

const block = (i: Inst): string => `vrrp_instance ${i.name} {
  interface ${i.iface ?? 'eth0'}
  virtual_router_id ${i.vrid}
  priority ${i.priority ?? 100}
  version 3
  advert_int 0.1
  ${i.extra ?? ''}
  virtual_ipaddress {
${i.vips.map((v) => `    ${v}/32`).join('\n')}
  }
}
`;

const conf = (...xs: Array<Inst | string>): Model =>
  model(xs.map((x) => (typeof x === 'string' ? x : block(x))).join('\n'));

const twoLinks = (): FakeHost => new FakeHost().addLink('eth0', 2, '10.0.0.2').addLink('eth1', 3, '10.1.0.2');

/** Start an engine and let every lone instance become master (Master_Down_Interval ≈ 361 ms). */
async function started(w: FakeVrrpWorld, m: Model): Promise<VrrpEngine> {
  const e = await VrrpEngine.start(m, w.ports);
  w.clock.advance(400);
  await settle();
  return e;
}

const stateOf = (e: VrrpEngine, name: string) => e.instances.find((i) => i.name === name)?.state;

test('start: a lone backup becomes master after Master_Down_Interval and adds its VIP; an advert for no instance is counted on its socket', async (t) => {
  const w = fakeVrrpWorld();
  const e = await VrrpEngine.start(conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }), w.ports);
  t.is(stateOf(e, 'VI_1')?.name, 'backup');
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  t.true(w.host.has('10.0.0.100'));
  t.true(w.sent.some((a) => a.vrid === 51 && a.priority === 100));
  t.deepEqual(
    w.notes.map((n) => n.state),
    ['BACKUP', 'MASTER'],
  );
  w.deliver('eth0', 'inet', {
    data: Uint8Array.from([0x31, 99, 100, 1, 0, 10, 0, 0]),
    src: '10.0.0.9',
    dst: '224.0.0.18',
    ttl: 255,
  });
  const socks = e.snapshot() as { sockets: Record<string, { drops: Record<string, number> }> };
  t.is(socks.sockets['eth0|inet']?.drops['badVrid'], 1);
});

test('reload: unchanged text (a comment) is an empty plan; nothing is sent or notified', async (t) => {
  const w = fakeVrrpWorld();
  const i: Inst = { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] };
  const e = await started(w, conf(i));
  const notes = w.notes.length;
  const log = w.host.log.length;
  const plan = await e.reload(model(`# edited\n${block(i)}`));
  t.true(plan.empty);
  t.is(w.notes.length, notes);
  t.is(w.host.log.length, log);
});

test('reload: a master whose priority changes and whose VIPs change stays master, adds and removes only the changed VIPs', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100', '10.0.0.101'] }));
  const transitions = (e.snapshot() as { instances: Array<{ transitions: number }> }).instances[0]
    ?.transitions;
  const notes = w.notes.length;
  const logFrom = w.host.log.length;
  const plan = await e.reload(
    conf({ name: 'VI_1', vrid: 51, priority: 120, vips: ['10.0.0.100', '10.0.0.102'] }),
  );
  await settle();
  t.deepEqual(plan.carried, ['VI_1']);
  t.deepEqual(plan.changes['VI_1']?.settings, ['priority']);
  t.deepEqual(plan.changes['VI_1']?.vipsAdded, ['10.0.0.102/32 dev eth0']);
  t.deepEqual(plan.changes['VI_1']?.vipsRemoved, ['10.0.0.101/32 dev eth0']);
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  t.is(stateOf(e, 'VI_1')?.effectivePriority, 120);
  t.is(w.notes.length, notes, 'no notify on a carried instance');
  t.is(
    (e.snapshot() as { instances: Array<{ transitions: number }> }).instances[0]?.transitions,
    transitions,
  );
  t.deepEqual(w.host.log.slice(logFrom).sort(), ['add 10.0.0.102', 'del 10.0.0.101']);
  t.true(w.host.has('10.0.0.100') && w.host.has('10.0.0.102') && !w.host.has('10.0.0.101'));
  const since = w.clock.now();
  w.clock.advance(250);
  t.true(
    w.sent.some((a) => a.at >= since && a.priority === 120),
    'adverts carry the new priority',
  );
});

test('reload: a changed VRID is a new router: the old one releases with a priority-0 advert, the new one starts', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }));
  const from = w.sent.length;
  const plan = await e.reload(conf({ name: 'VI_1', vrid: 52, vips: ['10.0.0.100'] }));
  t.deepEqual(plan.replaced, ['VI_1']);
  t.deepEqual(plan.changes['VI_1']?.replacedBecause, ['vrid 51 -> 52']);
  t.true(w.sent.slice(from).some((a) => a.vrid === 51 && a.priority === 0));
  t.is(e.instances[0]?.vrid, 52);
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  t.true(w.host.has('10.0.0.100'));
});

test('reload: an added instance starts, a removed one releases, and a socket no instance uses is closed', async (t) => {
  const w = fakeVrrpWorld({ host: twoLinks() });
  const a: Inst = { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] };
  const b: Inst = { name: 'VI_2', iface: 'eth1', vrid: 61, vips: ['10.1.0.100'] };
  const e = await started(w, conf(a, b));
  t.true(w.host.has('10.1.0.100'));
  const from = w.sent.length;
  const plan = await e.reload(conf(a, { name: 'VI_3', vrid: 53, vips: ['10.0.0.103'] }));
  t.deepEqual([plan.added, plan.removed, plan.unchanged], [['VI_3'], ['VI_2'], ['VI_1']]);
  await settle();
  t.true(
    w.sent.slice(from).some((x) => x.vrid === 61 && x.priority === 0),
    'VI_2 released',
  );
  t.false(w.host.has('10.1.0.100'));
  t.deepEqual(w.open.closed, ['eth1|inet']);
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_3')?.name, 'master');
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  t.true(w.host.has('10.0.0.103'));
});

test('reload: instances that join a sync group follow each other from then on, and the group notifies once', async (t) => {
  const w = fakeVrrpWorld({ host: twoLinks() });
  const a: Inst = { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] };
  const b: Inst = { name: 'VI_2', iface: 'eth1', vrid: 61, vips: ['10.1.0.100'] };
  const e = await started(w, conf(a, b));
  const group = 'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n';
  const plan = await e.reload(conf(group, a, b));
  t.deepEqual(plan.syncGroups.added, ['G']);
  t.deepEqual([...plan.carried].sort(), ['VI_1', 'VI_2']);
  w.host.setLink('eth1', false);
  await settle();
  t.is(stateOf(e, 'VI_2')?.name, 'fault');
  t.is(stateOf(e, 'VI_1')?.name, 'fault', 'the other member follows into fault');
  t.deepEqual(
    w.notes.filter((n) => n.kind === 'GROUP').map((n) => `${n.name} ${n.state}`),
    ['G FAULT'],
  );
});

test("reload: a change in a sync group's trackers reaches its members even when their own blocks are unchanged", async (t) => {
  const w = fakeVrrpWorld({ host: twoLinks() });
  const a: Inst = { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] };
  const group = (track: string) => `vrrp_sync_group G {\n  group {\n    VI_1\n  }\n${track}}\n`;
  const e = await started(w, conf(group(''), a));
  w.host.setLink('eth1', false);
  const plan = await e.reload(conf(group('  track_interface {\n    eth1 weight -30\n  }\n'), a));
  await settle();
  t.deepEqual(plan.carried, ['VI_1']);
  t.is(stateOf(e, 'VI_1')?.effectivePriority, 70);
  t.is(stateOf(e, 'VI_1')?.name, 'master');
});

test('reload that cannot be applied (a VRID conflict) throws and changes nothing', async (t) => {
  const w = fakeVrrpWorld();
  const a: Inst = { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] };
  const m = conf(a);
  const e = await started(w, m);
  const from = w.sent.length;
  const next = conf(a, { name: 'VI_2', vrid: 52, vips: ['10.0.0.102'] });
  const second = next.vrrpInstances[1];
  if (second) second.vrid = 51; // validation refuses this in a file; the engine refuses it too
  await t.throwsAsync(() => e.reload(next), { message: /VRID 51 is in use by VI_1/ });
  t.is(e.model, m);
  t.deepEqual(
    e.instances.map((i) => i.name),
    ['VI_1'],
  );
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  w.clock.advance(200);
  t.false(w.sent.slice(from).some((x) => x.priority === 0));
});

test('boot order: an instance whose interface does not exist yet waits while the others run, and starts when it appears', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(
    w,
    conf(
      { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] },
      { name: 'VI_2', iface: 'eth1', vrid: 61, vips: ['10.1.0.100'] },
    ),
  );
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  t.deepEqual([...e.waiting], [['VI_2', 'interface eth1 does not exist']]);
  w.host.addLink('eth1', 3, '10.1.0.2', true, true);
  await settle();
  t.deepEqual([...e.waiting], []);
  t.is(stateOf(e, 'VI_2')?.name, 'backup');
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_2')?.name, 'master');
  t.true(w.host.has('10.1.0.100'));
});

test('boot order: an instance whose interface has no address yet waits, and starts when the address appears (DHCP)', async (t) => {
  const w = fakeVrrpWorld({ host: new FakeHost().addLink('eth0', 2, '10.0.0.2').addLink('eth1', 3) });
  const e = await started(
    w,
    conf(
      { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] },
      { name: 'VI_2', iface: 'eth1', vrid: 61, vips: ['10.1.0.100'] },
    ),
  );
  t.deepEqual([...e.waiting], [['VI_2', 'no usable inet source address on eth1']]);
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  w.host.putAddress('eth1', '10.1.0.2');
  await settle();
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_2')?.name, 'master');
  t.true(w.sent.some((a) => a.vrid === 61 && a.ifname === 'eth1'));
});

test('a VIP removed from outside while MASTER is added back and announced at once, and counted', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100', '10.0.0.101'] }));
  const frames = w.frames.length;
  w.host.removeAddress('10.0.0.101');
  await settle();
  t.true(w.host.has('10.0.0.101'), 'added back');
  t.is(w.frames.length - frames, 5, 'one GARP burst (garp_master_repeat 5), for that VIP only');
  const snap = e.snapshot() as { instances: Array<{ vipsRestored: number; vipsHeld: string[] }> };
  t.is(snap.instances[0]?.vipsRestored, 1);
  t.deepEqual(snap.instances[0]?.vipsHeld.sort(), ['2|10.0.0.100/32', '2|10.0.0.101/32']);
});

test('the engine never restores a VIP it removed itself (a reload dropping it, a stop)', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }));
  await e.reload(conf({ name: 'VI_1', vrid: 51, vips: [] }));
  await settle();
  t.false(w.host.has('10.0.0.100'), 'removed by the reload and not restored');
  await e.stop();
  t.is((e.snapshot() as { instances: unknown[] }).instances.length, 1);
  t.false(w.host.has('10.0.0.100'));
});

test('the source address lost: FAULT; back: the instance runs again', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }));
  w.host.removeAddress('10.0.0.2');
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'fault');
  t.false(w.host.has('10.0.0.100'), 'a FAULT instance releases its VIP');
  w.host.putAddress('eth0', '10.0.0.2');
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'backup');
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'master');
});

test('a new source address (DHCP renumbering) is taken over in place: adverts come from it', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }));
  w.host.putAddress('eth0', '10.0.0.7');
  w.host.removeAddress('10.0.0.2');
  await settle();
  t.is(e.instances[0]?.spec.source, '10.0.0.7');
  t.is(stateOf(e, 'VI_1')?.name, 'master');
});

test('stop: every instance releases with a priority-0 advert and its VIPs are removed', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }));
  const from = w.sent.length;
  await e.stop();
  t.true(w.sent.slice(from).some((a) => a.vrid === 51 && a.priority === 0));
  t.false(w.host.has('10.0.0.100'));
  t.deepEqual(w.open.closed, ['eth0|inet']);
});

test('hitless restart: a MASTER hands over in place (no priority-0, VIPs stay); the next engine adopting it is MASTER at once without touching its VIPs', async (t) => {
  const w = fakeVrrpWorld();
  const m = conf(
    { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] },
    { name: 'VI_2', vrid: 52, priority: 90, vips: ['10.0.0.101'] },
  );
  const e = await started(w, m);
  const from = w.sent.length;
  const record = await e.handoff(5_000);
  t.deepEqual(record, {
    version: 1,
    at: 5_000,
    instances: [
      { name: 'VI_1', vrid: 51, interface: 'eth0', family: 'inet' },
      { name: 'VI_2', vrid: 52, interface: 'eth0', family: 'inet' },
    ],
  });
  w.clock.advance(1000);
  t.deepEqual(w.sent.slice(from), [], 'nothing sent after the handoff, no priority-0');
  t.true(w.host.has('10.0.0.100') && w.host.has('10.0.0.101'), 'the VIPs stay');
  // the successor: a new engine (same host) adopting VI_1 only
  const w2 = fakeVrrpWorld({ host: w.host, start: w.clock.now() });
  const log = w.host.log.length;
  const e2 = await VrrpEngine.start(m, w2.ports, { adopt: new Set(['VI_1']) });
  await settle();
  t.is(stateOf(e2, 'VI_1')?.name, 'master', 'adopted: MASTER at once');
  t.true(
    w2.sent.some((a) => a.vrid === 51 && a.priority === 100 && a.at === w2.clock.now()),
    'advertises at once',
  );
  t.is(stateOf(e2, 'VI_2')?.name, 'backup', 'not adopted: waits as backup');
  t.false(w.host.log.slice(log).includes('del 10.0.0.100'), 'the adopted VIP was not removed');
  t.true(w.host.log.slice(log).includes('del 10.0.0.101'), 'the other one was (a stale VIP)');
  t.true(w.host.has('10.0.0.100'));
  await e2.stop();
  t.false(w.host.has('10.0.0.100'), 'an adopted VIP is owned: removed on a graceful stop');
});

for (const [running, notes] of [
  [true, ['BACKUP', 'MASTER']],
  [false, ['FAULT']],
] as const) {
  test(`start: the trackers report before the instances start (a weight-0 track_process ${running ? 'met' : 'not met'}: ${notes.join(', ')} only)`, async (t) => {
    const w = fakeVrrpWorld({ processes: { p: running } });
    const e = await started(
      w,
      conf('vrrp_track_process p {\n  process haproxy\n}\n', {
        name: 'VI_1',
        vrid: 51,
        vips: ['10.0.0.100'],
        extra: 'track_process {\n    p\n  }',
      }),
    );
    t.deepEqual(
      w.notes.map((n) => n.state),
      [...notes],
    );
    t.is(stateOf(e, 'VI_1')?.name, running ? 'master' : 'fault');
  });
}
