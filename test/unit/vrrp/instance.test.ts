// SPDX-License-Identifier: Apache-2.0
/**
 * The instance shell with a fake clock, fake sockets, a fake rtnetlink port and a recording
 * notifier: action order (advert, VIPs, GARP), VIP ownership (only what it added), stale-VIP
 * cleanup at start, drop counting, timer lateness, graceful shutdown. The real kernel paths are in
 * test/netns/vrrp/.
 */
import test from 'ava';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { fakeRouting } from '../../fakes/fake-vrrp-ports.js';
import type { AddrEntry, AddrSpec, Rtnl } from '../../../src/netlink/rtnl.js';
import {
  LatenessHistogram,
  VrrpInstance,
  type InstanceDeps,
  type InstanceSpec,
} from '../../../src/vrrp/instance.js';
import { buildAdvert, decodeAdvert } from '../../../src/vrrp/packet.js';
import type { MachineConfig } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';
import type { NotifyState } from '../../../src/vrrp/notify.js';

const cfg: MachineConfig = baseConfig();

const vip: AddrSpec = { family: 'inet', address: '10.0.0.100', prefixLen: 32, ifindex: 2 };

class FakeRtnl implements Pick<Rtnl, 'addAddress' | 'delAddress' | 'listAddresses'> {
  addrs = new Set<string>();
  log: string[] = [];
  addAddress(a: AddrSpec): Promise<'added' | 'exists'> {
    const k = `${a.address}/${a.prefixLen}`;
    this.log.push(`add ${k}`);
    if (this.addrs.has(k)) return Promise.resolve('exists');
    this.addrs.add(k);
    return Promise.resolve('added');
  }
  delAddress(a: AddrSpec): Promise<'deleted' | 'absent'> {
    const k = `${a.address}/${a.prefixLen}`;
    this.log.push(`del ${k}`);
    return Promise.resolve(this.addrs.delete(k) ? 'deleted' : 'absent');
  }
  listAddresses(): Promise<AddrEntry[]> {
    return Promise.resolve(
      [...this.addrs].map((k) => {
        const [address = '', plen = '32'] = k.split('/');
        return {
          family: 'inet' as const,
          address,
          prefixLen: Number(plen),
          ifindex: 2,
          scope: 0,
          label: undefined,
          secondary: false,
          tentative: false,
        };
      }),
    );
  }
}

function setup(
  preexisting: string[] = [],
  shell: (clock: FakeClock) => Partial<Pick<InstanceDeps, 'timers' | 'preciseTimers'>> = () => ({}),
) {
  const clock = new FakeClock(1000);
  const rtnl = new FakeRtnl();
  for (const a of preexisting) rtnl.addrs.add(a);
  const events: string[] = [];
  const adverts: { data: Uint8Array; dst: string; src: string | undefined }[] = [];
  const notes: [NotifyState, number][] = [];
  const lateness = new LatenessHistogram();
  const spec: InstanceSpec = {
    machine: cfg,
    destinations: ['224.0.0.18'],
    source: cfg.primaryAddress,
    mac: '02:00:00:00:00:02',
    vips: [vip],
    notify: { kind: 'INSTANCE', name: 'VI_1' },
    router: false,
  };
  const inst = new VrrpInstance(spec, {
    clock,
    timers: clock,
    log: silentLogger,
    rtnl: {
      addAddress: (a) => (events.push('addVip'), rtnl.addAddress(a)),
      delAddress: (a) => (events.push('delVip'), rtnl.delAddress(a)),
      listAddresses: () => rtnl.listAddresses(),
      ...fakeRouting(),
    },
    adverts: {
      send: (data, dst, src) => {
        events.push('advert');
        adverts.push({ data, dst, src });
      },
    },
    frames: { send: () => events.push('garp') },
    notifier: { stateChanged: (_t, s, p) => notes.push([s, p]) },
    lateness,
    ...shell(clock),
  });
  return { clock, rtnl, inst, events, adverts, notes, lateness };
}

const flush = () => new Promise((r) => setImmediate(r));
const meta = { family: 'inet' as const, src: '10.0.0.1', dst: '224.0.0.18', ttl: 255 };

test('backup → master after Master_Down_Interval: advert, then VIP add, then 5 GARPs; notify MASTER', async (t) => {
  const { clock, inst, events, adverts, notes, rtnl } = setup();
  await inst.start();
  t.is(inst.state.name, 'backup');
  clock.advance(360); // MDI at priority 100, 0.1 s: 360.9 ms
  t.is(inst.state.name, 'backup');
  clock.advance(1);
  t.is(inst.state.name, 'master');
  await flush();
  t.deepEqual(events.slice(0, 7), ['advert', 'addVip', 'garp', 'garp', 'garp', 'garp', 'garp']);
  t.true(rtnl.addrs.has('10.0.0.100/32'));
  t.deepEqual(notes, [
    ['BACKUP', 100],
    ['MASTER', 100],
  ]);
  const first = adverts[0];
  t.truthy(first);
  if (first) {
    t.is(first.dst, '224.0.0.18');
    t.is(first.src, '10.0.0.2');
    const d = decodeAdvert(first.data, { family: 'inet', src: '10.0.0.2', dst: '224.0.0.18' });
    t.true(d.ok && d.value.priority === 100 && d.value.vrid === 51);
  }
  t.is(inst.stats.advertSent, 1);
  clock.advance(100);
  t.is(inst.stats.advertSent, 2, 'adverts every advert_int as master');
});

test('a higher-priority advert makes the master back off and remove only the VIP it added', async (t) => {
  const { clock, inst, rtnl } = setup();
  await inst.start();
  clock.advance(400);
  await flush();
  t.is(inst.state.name, 'master');
  const peer = { ...cfg, priority: 200, primaryAddress: '10.0.0.1' };
  inst.receive(buildAdvert(peer, 200, '224.0.0.18'), meta);
  t.is(inst.state.name, 'backup');
  await inst.settled();
  t.false(rtnl.addrs.has('10.0.0.100/32'));
  t.is(inst.stats.advertRcvd, 1);
});

test('a VIP already present when becoming master is not ours: it is left in place on release', async (t) => {
  const { clock, inst, rtnl } = setup();
  await inst.start();
  rtnl.addrs.add('10.0.0.100/32'); // someone else added it after our start-up cleanup
  clock.advance(400);
  await flush();
  t.is(inst.state.name, 'master');
  await inst.shutdown();
  t.true(rtnl.addrs.has('10.0.0.100/32'), 'an address lvsd did not add is never removed');
});

test('start removes a configured VIP left behind by a killed predecessor', async (t) => {
  const { inst, rtnl } = setup(['10.0.0.100/32', '10.0.0.2/24']);
  await inst.start();
  t.false(rtnl.addrs.has('10.0.0.100/32'));
  t.true(rtnl.addrs.has('10.0.0.2/24'), 'other addresses stay');
});

test('malformed and foreign packets are dropped by reason and change nothing', async (t) => {
  const { inst } = setup();
  await inst.start();
  const peer = { ...cfg, priority: 200, primaryAddress: '10.0.0.1' };
  const good = buildAdvert(peer, 200, '224.0.0.18');
  inst.receive(good, { ...meta, ttl: 254 });
  const bad = Uint8Array.from(good);
  bad[6] = (bad[6] ?? 0) ^ 0xff;
  inst.receive(bad, meta);
  inst.receive(good.subarray(0, 5), meta);
  t.is(inst.stats.drops.badTtl, 1);
  t.is(inst.stats.drops.badChecksum, 1);
  t.is(inst.stats.drops.truncated, 1);
  t.is(inst.state.name, 'backup');
  t.is(inst.state.masterSrc, undefined);
});

test('graceful shutdown as master: priority-0 advert, VIP removed, notify STOP', async (t) => {
  const { clock, inst, adverts, rtnl, notes } = setup();
  await inst.start();
  clock.advance(400);
  await flush();
  const n = adverts.length;
  await inst.shutdown();
  const last = adverts[n];
  t.truthy(last);
  if (last) {
    const d = decodeAdvert(last.data, { family: 'inet', src: '10.0.0.2', dst: '224.0.0.18' });
    t.true(d.ok && d.value.priority === 0);
  }
  t.false(rtnl.addrs.has('10.0.0.100/32'));
  t.deepEqual(notes.at(-1), ['STOP', 100]);
  t.is(inst.state.name, 'stop');
});

test('timer lateness is measured on every firing', async (t) => {
  const { clock, inst, lateness } = setup();
  await inst.start();
  clock.advance(1000);
  t.true(lateness.count >= 6, `fired ${lateness.count} times`);
  t.is(lateness.max, 0, 'the fake clock fires exactly on time');
});

test('LatenessHistogram quantiles use bucket bounds, capped at the max', (t) => {
  const h = new LatenessHistogram();
  for (let i = 0; i < 98; i++) h.observe(0.05);
  h.observe(3);
  h.observe(250);
  t.is(h.quantile(0.5), 0.1);
  t.is(h.quantile(0.99), 5);
  t.is(h.quantile(1), 250);
  t.is(h.count, 100);
});

/**
 * The clock's timers, counted; like Node's, they wait at least 1 ms, and with `earlyMs` (< 1) each
 * fires that much before its time (Node's cached loop clock makes them: see the instance's fire()).
 */
function countedTimers(clock: FakeClock, earlyMs = 0) {
  const n = { set: 0, cleared: 0 };
  const timers: InstanceDeps['timers'] = {
    setTimeout: (fn, ms) => (n.set++, clock.setTimeout(fn, Math.max(1, ms) - earlyMs)),
    clearTimeout: (h) => (n.cleared++, clock.clearTimeout(h)),
  };
  return { n, timers };
}

for (const on of ['ordinary', 'precise'] as const)
  test(`a backup hearing adverts keeps one timer per Master_Down_Interval, not a new one per advert (${on} timers)`, async (t) => {
    let n = { set: 0, cleared: 0 };
    const { clock, inst } = setup([], (c) => {
      const ct = countedTimers(c);
      n = ct.n;
      return on === 'ordinary' ? { timers: ct.timers } : { preciseTimers: ct.timers };
    });
    await inst.start();
    const peer = { ...cfg, priority: 200, primaryAddress: '10.0.0.1' };
    const advert = buildAdvert(peer, 200, '224.0.0.18');
    const before = { ...n };
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      inst.receive(advert, meta);
    }
    t.is(inst.state.name, 'backup');
    t.is(inst.stats.advertRcvd, 100);
    // 100 adverts 100 ms apart push Master_Down back 100 times; the timer wakes about once per
    // Master_Down_Interval (~360 ms) and sets itself for the rest: ~28 timers, never one per advert
    t.true(n.set - before.set <= 40, `${n.set - before.set} timers set for 100 adverts`);
    t.is(n.cleared - before.cleared, 0, 'no timer cancelled');
    clock.advance(400);
    t.is(inst.state.name, 'master', 'the last Master_Down still fires when the adverts stop');
  });

test('Master_Down waits on the precise timers; the advert timer on the ordinary ones, which may wake early', async (t) => {
  const timers = { coarse: countedTimers(new FakeClock(0)), precise: countedTimers(new FakeClock(0)) };
  const { clock, inst, lateness } = setup([], (c) => {
    timers.coarse = countedTimers(c, 0.6); // Node's timers: up to a millisecond early
    timers.precise = countedTimers(c);
    return { timers: timers.coarse.timers, preciseTimers: timers.precise.timers };
  });
  const { coarse, precise } = timers;
  await inst.start();
  t.is(inst.state.name, 'backup');
  t.is(precise.n.set, 1, 'Master_Down set on the precise timers');
  t.is(coarse.n.set, 0);
  for (let i = 0; i < 400 && inst.state.name === 'backup'; i++) clock.advance(1);
  await flush();
  t.is(inst.state.name, 'master');
  t.is(precise.n.set, 1, 'and it fired once, at its time');
  t.is(lateness.max, 0, 'not late');
  const sent = inst.stats.advertSent;
  for (let i = 0; i < 1050; i++) clock.advance(1);
  t.is(inst.stats.advertSent - sent, 10, 'an advert every 100 ms, its timer set again when it woke early');
  t.true(coarse.n.set >= 10);
  t.is(precise.n.set, 1, 'no advert timer on the precise timers');
});
