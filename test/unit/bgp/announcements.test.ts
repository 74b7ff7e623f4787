// SPDX-License-Identifier: Apache-2.0
// Which VIPs are announced (quorum of every announced virtual server on the address, the director's
// drain, shutdown) and how the engine is kept in step: adoption at start, withdraw-then-announce
// passes, refusals retried on a timer. On a fake announcer and a fake clock.
import test from 'ava';
import type { AnnouncedService } from '../../../src/bgp/announcements.js';
import { VipAnnouncements, wantedVips } from '../../../src/bgp/announcements.js';
import type { Announcer, Vip } from '../../../src/bgp/announcer.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';

const svc = (address: string, port: number, quorumUp: boolean): AnnouncedService => ({
  family: 'inet',
  address,
  name: `[${address}]:tcp:${port}`,
  quorumUp,
});

const rows: Array<{
  name: string;
  services: AnnouncedService[];
  director?: { drained: boolean; stopping: boolean };
  want: Record<string, string>;
}> = [
  { name: 'quorum: announced', services: [svc('192.0.2.1', 80, true)], want: { '192.0.2.1': 'announce' } },
  {
    name: 'no quorum: withdrawn',
    services: [svc('192.0.2.1', 80, false)],
    want: { '192.0.2.1': 'no-quorum' },
  },
  {
    name: 'one of two services on the address without quorum: withdrawn',
    services: [svc('192.0.2.1', 80, true), svc('192.0.2.1', 443, false)],
    want: { '192.0.2.1': 'no-quorum' },
  },
  {
    name: 'two addresses, each on its own',
    services: [svc('192.0.2.1', 80, true), svc('192.0.2.2', 80, false)],
    want: { '192.0.2.1': 'announce', '192.0.2.2': 'no-quorum' },
  },
  {
    name: 'drained: everything withdrawn',
    services: [svc('192.0.2.1', 80, true)],
    director: { drained: true, stopping: false },
    want: { '192.0.2.1': 'drained' },
  },
  {
    name: 'stopping wins over drained',
    services: [svc('192.0.2.1', 80, false)],
    director: { drained: true, stopping: true },
    want: { '192.0.2.1': 'stopping' },
  },
];

for (const r of rows) {
  test(`wantedVips: ${r.name}`, (t) => {
    const got = wantedVips(r.services, r.director ?? { drained: false, stopping: false });
    t.deepEqual(
      Object.fromEntries([...got].map(([a, w]) => [a, w.want ? 'announce' : (w.reason ?? '?')])),
      r.want,
    );
  });
}

/** An engine that records its calls, holds a set of routes, and refuses while `refuse` is set. */
function fakeAnnouncer(
  initial: string[] = [],
): Announcer & { calls: string[]; routes: Set<string>; refuse: boolean } {
  const routes = new Set(initial);
  const calls: string[] = [];
  const a = {
    calls,
    routes,
    refuse: false,
    announce(v: Vip) {
      calls.push(`announce ${v.address}`);
      if (a.refuse) return Promise.reject(new Error('EPERM'));
      routes.add(v.address);
      return Promise.resolve();
    },
    withdraw(v: Vip) {
      calls.push(`withdraw ${v.address}`);
      if (a.refuse) return Promise.reject(new Error('EPERM'));
      routes.delete(v.address);
      return Promise.resolve();
    },
    state() {
      return Promise.resolve([...routes].map((address): Vip => ({ family: 'inet', address })));
    },
    close() {},
  };
  return a;
}

function setup(initial: string[] = []) {
  const clock = new FakeClock(1000);
  const announcer = fakeAnnouncer(initial);
  const vips = new VipAnnouncements({ announcer, clock, timers: clock, logger: silentLogger, retryMs: 5000 });
  return { clock, announcer, vips };
}

test('start adopts what the engine announces: a wanted VIP is not announced again, a stray one is withdrawn', async (t) => {
  const { announcer, vips } = setup(['192.0.2.1', '198.51.100.9']);
  await vips.start([svc('192.0.2.1', 80, true), svc('192.0.2.2', 80, true)], false);
  t.deepEqual(announcer.calls.sort(), ['announce 192.0.2.2', 'withdraw 198.51.100.9']);
  t.deepEqual([...announcer.routes].sort(), ['192.0.2.1', '192.0.2.2']);
  t.deepEqual(
    vips.status().map((v) => [v.vip, v.announced]),
    [
      ['192.0.2.1', true],
      ['192.0.2.2', true],
    ],
  );
});

test('quorum lost withdraws, quorum back announces; the status says why', async (t) => {
  const { announcer, vips } = setup();
  await vips.start([svc('192.0.2.1', 80, true)], false);
  await vips.update([svc('192.0.2.1', 80, false)]);
  t.deepEqual([...announcer.routes], []);
  t.like(vips.status()[0], {
    announced: false,
    wanted: false,
    reason: 'no-quorum',
    withoutQuorum: ['[192.0.2.1]:tcp:80'],
  });
  await vips.update([svc('192.0.2.1', 80, true)]);
  t.deepEqual([...announcer.routes], ['192.0.2.1']);
  t.like(vips.status()[0], { announced: true, changes: 3 });
});

test('drain withdraws everything, undrain announces what has quorum', async (t) => {
  const { announcer, vips } = setup();
  await vips.start([svc('192.0.2.1', 80, true), svc('192.0.2.2', 80, false)], false);
  await vips.setDrained(true);
  t.deepEqual([...announcer.routes], []);
  t.true(vips.drained);
  await vips.setDrained(false);
  t.deepEqual([...announcer.routes], ['192.0.2.1']);
});

test('started drained: nothing is announced', async (t) => {
  const { announcer, vips } = setup();
  await vips.start([svc('192.0.2.1', 80, true)], true);
  t.deepEqual(announcer.calls, []);
  t.is(vips.status()[0]?.reason, 'drained');
});

test('a virtual server removed by a reload: its VIP is withdrawn and forgotten', async (t) => {
  const { announcer, vips } = setup();
  await vips.start([svc('192.0.2.1', 80, true)], false);
  await vips.update([]);
  t.deepEqual([...announcer.routes], []);
  t.deepEqual(vips.status(), []);
});

test('withdrawAll at shutdown: everything withdrawn and nothing announced afterwards', async (t) => {
  const { announcer, vips } = setup();
  await vips.start([svc('192.0.2.1', 80, true)], false);
  await vips.withdrawAll();
  await vips.update([svc('192.0.2.1', 80, true)]);
  t.deepEqual([...announcer.routes], []);
  t.is(vips.status()[0]?.reason, 'stopping');
});

test('a refusal is counted, shown and retried after retryMs', async (t) => {
  const { clock, announcer, vips } = setup();
  announcer.refuse = true;
  await vips.start([svc('192.0.2.1', 80, true)], false);
  t.is(vips.failures, 1);
  t.like(vips.status()[0], { announced: false, wanted: true, lastError: 'EPERM' });
  announcer.refuse = false;
  clock.advance(4999);
  t.is(announcer.calls.length, 1);
  clock.advance(1);
  await vips.update([svc('192.0.2.1', 80, true)]); // waits for the pass the timer queued
  t.deepEqual([...announcer.routes], ['192.0.2.1']);
  t.is(vips.status()[0]?.lastError, undefined);
});
