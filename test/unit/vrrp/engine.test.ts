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
import { fromHex } from '../../../src/core/bytes.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { AhSession } from '../../../src/vrrp/ipsec-ah.js';
import { buildAdvert } from '../../../src/vrrp/packet.js';
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

test('events lost (ENOBUFS): the engine reads links and addresses again and acts on what it missed', async (t) => {
  const w = fakeVrrpWorld({ host: twoLinks() });
  const a: Inst = { name: 'VI_1', vrid: 51, vips: ['10.0.0.100', '10.0.0.101'] };
  const b: Inst = { name: 'VI_2', iface: 'eth1', vrid: 61, vips: ['10.1.0.100'] };
  const e = await started(w, conf(a, b));
  t.is(stateOf(e, 'VI_2')?.name, 'master');
  // a VIP deleted by hand and a link gone down, their events dropped by an overrun queue
  w.host.removeAddress('10.0.0.101', false);
  w.host.setLink('eth1', false, false);
  await settle();
  t.false(w.host.has('10.0.0.101'), 'nothing seen yet');
  t.is(stateOf(e, 'VI_2')?.name, 'master');
  w.host.loseEvents();
  await settle();
  t.true(w.host.has('10.0.0.101'), 'the VIP a MASTER holds is added back');
  t.is(stateOf(e, 'VI_2')?.name, 'fault', 'the link that went down puts its instance in FAULT');
  t.false(w.host.has('10.1.0.100'), 'and its VIP is released');
  t.is(stateOf(e, 'VI_1')?.name, 'master');
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

// --- use_vmac, no_accept, unicast_ttl, unicast_fault_no_peer, track_src_ip, garp_group ---

/** The last nft script's tables (`table ip keepalived {` with a body), or [] when it only deletes. */
const nftTables = (w: FakeVrrpWorld): string[] =>
  (w.nft.at(-1) ?? '').split('\n').filter((l) => /^table ip6? \S+ \{$/.test(l));

/** A higher-priority peer's advert for the instance, as received on its interface. */
function peerAdvert(w: FakeVrrpWorld, e: VrrpEngine, name: string, priority: number): void {
  const inst = e.instances.find((i) => i.name === name);
  if (!inst) throw new Error(name);
  const peer = { ...inst.spec.machine, primaryAddress: '10.0.0.9' };
  const data = buildAdvert(peer, priority, '224.0.0.18');
  w.deliver('eth0', 'inet', { data, src: '10.0.0.9', dst: '224.0.0.18', ttl: 255 });
}

test('use_vmac: a private macvlan vrrp.51 with 00:00:5e:00:01:33 and the VIP on it; adverts and GARPs leave from it; keepalived sysctls set, then all undone on stop', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'use_vmac' }));
  const vmac = await w.host.linkDetails('vrrp.51');
  t.like(vmac, { mac: '00:00:5e:00:01:33', kind: 'macvlan', parentIndex: 2, macvlanMode: 1 });
  t.true(w.host.addrs.some((a) => a.address === '10.0.0.100' && a.ifindex === vmac?.ifindex));
  t.true(w.sent.some((a) => a.ifname === 'vrrp.51' && a.priority === 100));
  t.false(
    w.sent.some((a) => a.ifname === 'eth0'),
    'no advert from the base interface',
  );
  t.true(w.frames.length > 0);
  t.true(w.frames.every((f) => f.ifindex === vmac?.ifindex && f.srcMac === '00:00:5e:00:01:33'));
  const want = {
    'ipv4/conf/vrrp.51/arp_ignore': 1,
    'ipv4/conf/vrrp.51/accept_local': 1,
    'ipv4/conf/vrrp.51/rp_filter': 0,
    'ipv4/conf/vrrp.51/promote_secondaries': 1,
    'ipv6/conf/vrrp.51/disable_ipv6': 1,
    'ipv4/conf/eth0/arp_ignore': 1,
    'ipv4/conf/eth0/arp_filter': 1,
  };
  for (const [k, v] of Object.entries(want)) t.is(w.sysctl.get(k), v, k);
  t.deepEqual(nftTables(w), ['table ip keepalived {'], 'IGMP of the VMAC moved to eth0');
  t.regex(w.nft.at(-1) ?? '', /elements = \{ \d+ : 2 \}/);
  const from = w.sent.length;
  await e.stop();
  t.true(w.sent.slice(from).some((a) => a.ifname === 'vrrp.51' && a.priority === 0));
  t.is(await w.host.linkDetails('vrrp.51'), undefined, 'VMAC deleted');
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_ignore'), 0, 'parent restored');
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_filter'), 0);
  t.deepEqual(nftTables(w), [], 'table removed');
});

test('use_vmac: all.rp_filter 1 is moved onto default and each interface, then cleared; restored on stop', async (t) => {
  const w = fakeVrrpWorld();
  w.sysctl.set('ipv4/conf/all/rp_filter', 1);
  w.sysctl.set('ipv4/conf/default/rp_filter', 0);
  w.sysctl.set('ipv4/conf/eth0/rp_filter', 0);
  const e = await started(w, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'use_vmac' }));
  t.is(w.sysctl.get('ipv4/conf/all/rp_filter'), 0);
  t.is(w.sysctl.get('ipv4/conf/default/rp_filter'), 1);
  t.is(w.sysctl.get('ipv4/conf/eth0/rp_filter'), 1);
  t.is(w.sysctl.get('ipv4/conf/vrrp.51/rp_filter'), 0);
  await e.stop();
  t.is(w.sysctl.get('ipv4/conf/all/rp_filter'), 1);
  t.is(w.sysctl.get('ipv4/conf/default/rp_filter'), 0);
  t.is(w.sysctl.get('ipv4/conf/eth0/rp_filter'), 0);
});

test('use_vmac NAME MAC with vmac_xmit_base: adverts from the base interface, GARPs from the VMAC with its MAC', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(
    w,
    conf({
      name: 'VI_1',
      vrid: 51,
      vips: ['10.0.0.100'],
      extra: 'use_vmac vip1 02:00:5e:aa:bb\n  vmac_xmit_base',
    }),
  );
  t.is((await w.host.linkDetails('vip1'))?.mac, '02:00:5e:aa:bb:33', 'five octets: the VRID is the sixth');
  t.true(w.sent.some((a) => a.ifname === 'eth0' && a.priority === 100));
  t.false(w.sent.some((a) => a.ifname === 'vip1'));
  t.true(w.frames.every((f) => f.srcMac === '02:00:5e:aa:bb:33'));
  await e.stop();
});

test('use_vmac: a name taken by an interface that is not a macvlan makes the instance wait', async (t) => {
  const w = fakeVrrpWorld({ host: new FakeHost().addLink('eth0', 2, '10.0.0.2').addLink('vrrp.51', 9) });
  const e = await VrrpEngine.start(
    conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'use_vmac' }),
    w.ports,
  );
  t.regex(e.waiting.get('VI_1') ?? '', /vrrp\.51 exists and is not a macvlan/);
  t.true(w.host.links.has('vrrp.51'), 'left alone');
  await e.stop();
});

test('no_accept: the VIPs are dropped (nftables) only while MASTER; accept and the owner need no table', async (t) => {
  const w = fakeVrrpWorld();
  const e = await VrrpEngine.start(
    conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'no_accept' }),
    w.ports,
  );
  await settle();
  t.deepEqual(nftTables(w), [], 'BACKUP: no table (a stale one was removed at start)');
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  t.deepEqual(nftTables(w), ['table ip keepalived {']);
  t.regex(w.nft.at(-1) ?? '', /set vips \{\n\s+type ipv4_addr;\n\s+elements = \{ 10\.0\.0\.100 \}/);
  t.regex(w.nft.at(-1) ?? '', /ip daddr @vips drop/);
  peerAdvert(w, e, 'VI_1', 200);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'backup');
  t.deepEqual(nftTables(w), [], 'left MASTER: table removed');
  await e.stop();

  for (const extra of ['accept', 'no_accept\n  priority 255']) {
    const w2 = fakeVrrpWorld();
    const e2 = await started(w2, conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra }));
    t.is(stateOf(e2, 'VI_1')?.name, 'master');
    t.deepEqual(w2.nft, [], extra);
    await e2.stop();
  }
});

test('strict mode is no_accept by default; nftables names the table and adds counters', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(
    w,
    conf(
      'global_defs {\n  vrrp_strict\n  nftables lvsd_vrrp\n  nftables_counters\n  nftables_priority -5\n}',
      { name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] },
    ),
  );
  t.deepEqual(nftTables(w), ['table ip lvsd_vrrp {']);
  t.regex(w.nft.at(-1) ?? '', /priority -5;/);
  t.regex(w.nft.at(-1) ?? '', /ip daddr @vips counter drop/);
  await e.stop();
});

test('unicast_ttl sets the TTL of unicast adverts; unicast_fault_no_peer without peers keeps the instance FAULT', async (t) => {
  const w = fakeVrrpWorld();
  const e = await started(
    w,
    conf(
      {
        name: 'VI_1',
        vrid: 51,
        vips: ['10.0.0.100'],
        extra: 'unicast_peer {\n    10.0.0.3\n  }\n  unicast_ttl 7',
      },
      { name: 'VI_2', vrid: 52, vips: ['10.0.0.101'], extra: 'unicast_fault_no_peer' },
    ),
  );
  t.true(w.sent.some((a) => a.vrid === 51 && a.dst === '10.0.0.3' && a.ttl === 7));
  t.is(stateOf(e, 'VI_2')?.name, 'fault');
  t.false(
    w.sent.some((a) => a.vrid === 52),
    'a FAULT instance sends nothing',
  );
  t.false(w.host.has('10.0.0.101'));
  t.deepEqual(
    w.notes.filter((n) => n.name === 'VI_2').map((n) => n.state),
    ['FAULT'],
  );
  await e.stop();
});

test('track_src_ip: the instance waits for its unicast_src_ip, and is FAULT while the address is gone', async (t) => {
  const w = fakeVrrpWorld();
  const e = await VrrpEngine.start(
    conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'unicast_src_ip 10.0.0.5\n  track_src_ip' }),
    w.ports,
  );
  t.regex(e.waiting.get('VI_1') ?? '', /no usable inet source address/);
  w.host.putAddress('eth0', '10.0.0.5');
  await settle();
  w.clock.advance(400);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  w.host.removeAddress('10.0.0.5');
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'fault');
  await e.stop();
});

test('garp_group: GARPs of instances on eth0 and eth1 share one garp_interval; the global one paces each interface alone', async (t) => {
  const burst = async (globals: string): Promise<number[]> => {
    const w = fakeVrrpWorld({ host: twoLinks() });
    const e = await VrrpEngine.start(
      conf(
        globals,
        { name: 'A', vrid: 51, vips: ['10.0.0.100'], extra: 'garp_master_repeat 2\n  garp_master_delay 0' },
        {
          name: 'B',
          iface: 'eth1',
          vrid: 52,
          vips: ['10.1.0.100'],
          extra: 'garp_master_repeat 2\n  garp_master_delay 0',
        },
      ),
      w.ports,
    );
    for (let i = 0; i < 14; i++) {
      w.clock.advance(100);
      await settle();
    }
    await e.stop();
    return w.frames.map((f) => f.at);
  };
  const grouped = await burst(
    'garp_group {\n  garp_interval 0.2\n  interfaces {\n    eth0\n    eth1\n  }\n}',
  );
  t.is(grouped.length, 4);
  for (let i = 1; i < grouped.length; i++) t.true((grouped[i] ?? 0) - (grouped[i - 1] ?? 0) >= 200);
  const alone = await burst('global_defs {\n  vrrp_garp_interval 0.2\n}');
  t.is(alone.length, 4);
  t.is(new Set(alone).size, 2, 'eth0 and eth1 each send their first GARP at once, together');
});

test('use_vmac, IPv6: 00:00:5e:00:02:VRID, IPv6 left on, the link-local source copied onto the VMAC (deprecated), MLD moved and router solicitations dropped', async (t) => {
  const w = fakeVrrpWorld({ host: new FakeHost().addLink('eth0', 2, 'fe80::2') });
  const e = await started(w, conf({ name: 'VI_6', vrid: 52, vips: ['fd00::100'], extra: 'use_vmac' }));
  const vmac = await w.host.linkDetails('vrrp.52');
  t.is(vmac?.mac, '00:00:5e:00:02:34');
  t.is(w.sysctl.get('ipv6/conf/vrrp.52/disable_ipv6'), 0);
  t.is(w.sysctl.get('ipv4/conf/vrrp.52/arp_ignore'), 1);
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_filter'), undefined, 'an IPv6 VMAC leaves its parent alone');
  t.true(w.host.addrs.some((a) => a.address === 'fe80::2' && a.ifindex === vmac?.ifindex));
  t.true(w.sent.some((a) => a.ifname === 'vrrp.52' && a.dst === 'ff02::12'));
  t.deepEqual(nftTables(w), ['table ip6 keepalived {']);
  t.regex(w.nft.at(-1) ?? '', /mld2-listener-report .* dup to ip6 daddr device oif map @vmac_map drop/);
  t.regex(w.nft.at(-1) ?? '', /nd-router-solicit .* oif @vmac_set drop/);
  await e.stop();
  t.is(await w.host.linkDetails('vrrp.52'), undefined);
});

test('reload: a carried instance keeps its VMAC; dropping use_vmac replaces the instance and deletes the VMAC', async (t) => {
  const w = fakeVrrpWorld();
  const vmacConf = (priority: number) =>
    conf({ name: 'VI_1', vrid: 51, priority, vips: ['10.0.0.100'], extra: 'use_vmac' });
  const e = await started(w, vmacConf(100));
  const before = (await w.host.linkDetails('vrrp.51'))?.ifindex;
  const carried = await e.reload(vmacConf(110));
  t.deepEqual(carried.carried, ['VI_1']);
  t.is((await w.host.linkDetails('vrrp.51'))?.ifindex, before, 'the same VMAC');
  const replaced = await e.reload(conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] }));
  t.deepEqual(replaced.replaced, ['VI_1']);
  t.is(await w.host.linkDetails('vrrp.51'), undefined);
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_ignore'), 0, 'parent restored');
  w.clock.advance(400);
  await settle();
  t.true(
    w.host.addrs.some((a) => a.address === '10.0.0.100' && a.ifindex === 2),
    'the VIP back on eth0',
  );
  await e.stop();
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

test('auth_type AH: its own socket, whole IPv4+AH packets out with rising sequence numbers, keepalived adverts in, replays dropped', async (t) => {
  // keepalived 2.2.7 multicast adverts (test/unit/vrrp/ipsec-ah.test.ts): 10.77.0.1, vrid 51, prio 100, seq 1 and 2
  const ka = [
    '45c0004000010000ff33d0690a4d0001e0000012700400000a4d000100000001ad73da503f1a9de0820372e62133640102016e190a4d00640000000000000000',
    '45c0004000020000ff33d0680a4d0001e0000012700400000a4d000100000002edfb8498141a40055ac7b4c32133640102016e190a4d00640000000000000000',
  ].map((h) => fromHex(h));
  const ah = (prio: number): string => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ${prio}
  version 2
  advert_int 1
  authentication {
    auth_type AH
    auth_pass secret1
  }
  virtual_ipaddress {
    10.77.0.100/32
  }
}
`;
  const w = fakeVrrpWorld({ host: new FakeHost().addLink('eth0', 2, '10.77.0.2') });
  const m = model(ah(50));
  t.is(m.vrrpInstances[0]?.auth?.type, 'AH');
  const e = await VrrpEngine.start(m, w.ports);
  t.deepEqual(w.open.adverts, ['eth0|inet|ah']);
  // keepalived's master adverts keep the lower-priority backup a backup; its counter follows them
  for (const p of ka) {
    w.clock.advance(1000);
    w.deliverAh('eth0', { data: p, src: '10.77.0.1', dst: '224.0.0.18', ttl: 255 });
    await settle();
  }
  t.is(stateOf(e, 'VI_1')?.name, 'backup');
  t.deepEqual(w.sentAh, [], 'a backup sends nothing');
  w.deliverAh('eth0', { data: ka[0]!, src: '10.77.0.1', dst: '224.0.0.18', ttl: 255 });
  await settle();
  const snap = JSON.stringify(e.snapshot());
  t.regex(snap, /"authReplay":1/, 'the replayed seq 1 is dropped and counted');
  // keepalived goes quiet: we take over and continue its numbering (3, 4, ...) with a valid ICV
  w.clock.advance(4000);
  await settle();
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  w.clock.advance(1000);
  await settle();
  const peer = new AhSession({ pass: 'secret1', unicast: false });
  const seqs = w.sentAh.map((s) => {
    const r = peer.open(s.packet);
    if (!r.ok) throw new Error(r.reason);
    t.is(s.dst, '224.0.0.18');
    t.is(r.src, '10.77.0.2');
    return r.seq;
  });
  t.true(seqs.length >= 2);
  t.deepEqual(
    seqs,
    seqs.map((_, i) => 3 + i),
  );
  // as MASTER, every advert with a bad ICV (another password) is dropped and counted
  for (let i = 0; i < 3; i++) {
    const bad = Uint8Array.from(ka[1]!);
    bad[20 + 8 + 3] = 50 + i; // a higher sequence number: the ICV no longer matches
    w.deliverAh('eth0', { data: bad, src: '10.77.0.1', dst: '224.0.0.18', ttl: 255 });
    await settle();
  }
  t.regex(JSON.stringify(e.snapshot()), /"authMismatch":3/);
  t.is(stateOf(e, 'VI_1')?.name, 'master');
  await e.stop();
});

test('hitless restart with use_vmac and no_accept: the successor takes the same VMAC over, keeps the VIP on it and its drop (the table is never rewritten without it), and puts back the parent settings its predecessor changed', async (t) => {
  const w = fakeVrrpWorld();
  const m = conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'use_vmac\n  no_accept' });
  const e = await started(w, m);
  const vmac = (await w.host.linkDetails('vrrp.51'))?.ifindex;
  t.regex(w.nft.at(-1) ?? '', /elements = \{ 10\.0\.0\.100 \}/);
  const record = await e.handoff(5_000);
  t.deepEqual(record.vmacs, { links: ['vrrp.51'], parents: { eth0: { arpIgnore: 0, arpFilter: 0 } } });
  t.is((await w.host.linkDetails('vrrp.51'))?.ifindex, vmac, 'the VMAC stays');
  t.true(w.host.addrs.some((a) => a.address === '10.0.0.100' && a.ifindex === vmac));
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_ignore'), 1);

  // the successor on the same host (links, addresses, sysctls); its own nft record starts empty
  const w2 = fakeVrrpWorld({ host: w.host, sysctl: w.sysctl, start: w.clock.now() });
  const log = w.host.log.length;
  const e2 = await VrrpEngine.start(m, w2.ports, {
    adopt: new Set(['VI_1']),
    ...(record.vmacs ? { vmacs: record.vmacs } : {}),
  });
  await settle();
  t.is(stateOf(e2, 'VI_1')?.name, 'master');
  t.is((await w2.host.linkDetails('vrrp.51'))?.ifindex, vmac, 'taken over, not made again');
  t.false(w.host.log.slice(log).includes('del 10.0.0.100'), 'the VIP stayed on the VMAC');
  t.true(
    w2.sent.some((a) => a.ifname === 'vrrp.51' && a.priority === 100),
    'adverts from the VMAC',
  );
  t.true(w2.nft.length > 0);
  t.true(
    w2.nft.every((s) => /elements = \{ 10\.0\.0\.100 \}/.test(s) && /ip daddr @vips drop/.test(s)),
    'every table written keeps the drop',
  );
  await e2.stop();
  t.is(await w2.host.linkDetails('vrrp.51'), undefined, 'VMAC deleted on a graceful stop');
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_ignore'), 0, 'the parent as it was before the first process');
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_filter'), 0);
});

test('hitless restart: a handed-over VMAC the new file no longer has is deleted at start and the settings made for it put back', async (t) => {
  const w = fakeVrrpWorld();
  w.sysctl.set('ipv4/conf/all/rp_filter', 2);
  const m = conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'], extra: 'use_vmac' });
  const e = await started(w, m);
  const record = await e.handoff(5_000);
  t.like(record.vmacs, { links: ['vrrp.51'], rpFilter: { all: 2 } });
  t.is(w.sysctl.get('ipv4/conf/all/rp_filter'), 0);
  const w2 = fakeVrrpWorld({ host: w.host, sysctl: w.sysctl, start: w.clock.now() });
  const plain = conf({ name: 'VI_1', vrid: 51, vips: ['10.0.0.100'] });
  const e2 = await VrrpEngine.start(plain, w2.ports, {
    ...(record.vmacs ? { vmacs: record.vmacs } : {}),
  });
  t.is(await w.host.linkDetails('vrrp.51'), undefined, 'the VMAC (and the VIP on it) deleted');
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_ignore'), 0);
  t.is(w.sysctl.get('ipv4/conf/eth0/arp_filter'), 0);
  t.is(w.sysctl.get('ipv4/conf/all/rp_filter'), 2);
  w2.clock.advance(400);
  await settle();
  t.true(
    w.host.addrs.some((a) => a.address === '10.0.0.100' && a.ifindex === 2),
    'the VIP on eth0',
  );
  await e2.stop();
});
