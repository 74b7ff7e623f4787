// SPDX-License-Identifier: Apache-2.0
/**
 * `VrrpInstance.reconfigure` (SIGHUP reload of a changed instance) with a fake clock, fake sockets
 * and a fake rtnetlink port: a master stays master, adds and GARPs only new VIPs, removes only
 * dropped ones, never notifies; a backup keeps its Master_Down deadline. The real kernel path is
 * test/netns/vrrp/reload.test.ts.
 */
import test from 'ava';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { fakeRouting } from '../../fakes/fake-vrrp-ports.js';
import type { AddrSpec } from '../../../src/netlink/rtnl.js';
import { LatenessHistogram, VrrpInstance, type InstanceSpec } from '../../../src/vrrp/instance.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import type { MachineConfig } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';

// No delayed second GARP burst, so a test sees only what a reconfigure sends.
const cfg: MachineConfig = baseConfig({
  garp: {
    masterRepeat: 5,
    masterDelayMs: 0,
    masterRefreshMs: 0,
    masterRefreshRepeat: 1,
    lowerPrioRepeat: 5,
    lowerPrioDelayMs: 0,
  },
});

const addr = (a: string): AddrSpec => ({ family: 'inet', address: a, prefixLen: 32, ifindex: 2 });

function specOf(vips: string[], priority = 100): InstanceSpec {
  return {
    machine: { ...cfg, priority, vips },
    destinations: ['224.0.0.18'],
    source: cfg.primaryAddress,
    mac: '02:00:00:00:00:02',
    vips: vips.map(addr),
    notify: { kind: 'INSTANCE', name: 'VI_1' },
    router: false,
  };
}

function setup() {
  const clock = new FakeClock(1000);
  const addrs = new Set<string>();
  const events: string[] = [];
  const garps: number[] = [];
  const adverts: Uint8Array[] = [];
  const notes: string[] = [];
  const inst = new VrrpInstance(specOf(['10.0.0.100']), {
    clock,
    timers: clock,
    log: silentLogger,
    rtnl: {
      addAddress: (a) => {
        events.push(`add ${a.address}`);
        if (addrs.has(a.address)) return Promise.resolve('exists');
        addrs.add(a.address);
        return Promise.resolve('added');
      },
      delAddress: (a) => {
        events.push(`del ${a.address}`);
        return Promise.resolve(addrs.delete(a.address) ? 'deleted' : 'absent');
      },
      listAddresses: () => Promise.resolve([]),
      ...fakeRouting(),
    },
    adverts: { send: (data) => (events.push('advert'), adverts.push(data)) },
    frames: { send: (f) => (events.push('garp'), garps.push(f.length)) },
    notifier: { stateChanged: (_t, s) => notes.push(s) },
    lateness: new LatenessHistogram(),
  });
  return { clock, addrs, events, adverts, notes, inst };
}

const flush = () => new Promise((r) => setImmediate(r));

async function master() {
  const s = setup();
  await s.inst.start();
  s.clock.advance(400);
  await s.inst.settled();
  await flush();
  s.events.length = 0;
  s.notes.length = 0;
  return s;
}

test('master + added VIP: stays master, one advert, adds and GARPs only the new VIP, no notify', async (t) => {
  const { inst, addrs, events, notes } = await master();
  t.is(inst.state.name, 'master');
  const transitions = (inst.snapshot() as { transitions: number }).transitions;
  inst.reconfigure(specOf(['10.0.0.100', '10.0.0.101']));
  await inst.settled();
  await flush();
  t.is(inst.state.name, 'master');
  t.deepEqual(events, ['advert', 'add 10.0.0.101', 'garp', 'garp', 'garp', 'garp', 'garp']);
  t.deepEqual([...addrs].sort(), ['10.0.0.100', '10.0.0.101']);
  t.deepEqual(notes, []);
  t.is((inst.snapshot() as { transitions: number }).transitions, transitions);
});

test('master + removed VIP: removes only it, no GARP; shutdown later releases the rest', async (t) => {
  const { inst, addrs, events } = await master();
  inst.reconfigure(specOf(['10.0.0.100', '10.0.0.101']));
  await inst.settled();
  events.length = 0;
  inst.reconfigure(specOf(['10.0.0.101']));
  await inst.settled();
  await flush();
  t.deepEqual(events, ['advert', 'del 10.0.0.100']);
  t.deepEqual([...addrs], ['10.0.0.101']);
  await inst.shutdown();
  t.deepEqual([...addrs], []);
});

test('master with a lower priority stays master and advertises the new priority at once', async (t) => {
  const { inst, adverts } = await master();
  adverts.length = 0;
  inst.reconfigure(specOf(['10.0.0.100'], 90));
  t.is(inst.state.name, 'master');
  t.is(inst.state.effectivePriority, 90);
  const a = adverts[0];
  t.truthy(a);
  const d = a && decodeAdvert(a, { family: 'inet', src: '10.0.0.2', dst: '224.0.0.18' });
  t.true(d?.ok === true && d.value.priority === 90);
});

test('backup keeps its Master_Down deadline across a reload', async (t) => {
  const { inst, clock } = setup();
  await inst.start();
  clock.advance(200);
  inst.reconfigure(specOf(['10.0.0.100', '10.0.0.101']));
  t.is(inst.state.name, 'backup');
  clock.advance(160); // 360 ms since start: MDI 360.9 ms not reached
  t.is(inst.state.name, 'backup');
  clock.advance(1);
  t.is(inst.state.name, 'master');
});
