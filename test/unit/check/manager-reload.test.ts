// SPDX-License-Identifier: Apache-2.0
// A reload costs what it changes (issue 13): with the objects of unchanged virtual servers kept
// (CheckSpecBuilder), one edited real out of 2,000 is one kernel operation in one batch, the kernel
// is not read, no unchanged checker is restarted or loses its state, and a removed virtual server
// leaves the kernel. Operation counts only, never wall times.
import test from 'ava';
import { CheckManager } from '../../../src/check/manager.js';
import type { ProbeResult } from '../../../src/check/result.js';
import type { CheckSpec, VirtualServerSpec } from '../../../src/check/types.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { advance, fakeManagerOptions, kernelDests } from './manager-fixtures.js';
import { real, tcp, vs } from './spec-fixtures.js';

const timing = { retry: 0, delayBeforeRetryMs: 1000, delayLoopMs: 2000 };

function service(i: number, reals = 10): VirtualServerSpec {
  const key = {
    kind: 'addr' as const,
    family: 'inet' as const,
    protocol: 'tcp' as const,
    address: `192.0.2.${i}`,
    port: 80,
  };
  return vs(
    Array.from({ length: reals }, (_, j) => real(j + 1, { checkers: [tcp(timing)] })),
    { service: { ...vs([]).service, key } },
  );
}

function setup(opts: { minSyncIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel();
  const health = new Map<string, ProbeResult>();
  const counts = { probesMade: 0, dumps: 0 };
  const dump = kernel.dump.bind(kernel);
  kernel.dump = (...a) => {
    counts.dumps++;
    return dump(...a);
  };
  const manager = new CheckManager(
    fakeManagerOptions(clock, kernel, {
      probes: (_c, rs) => {
        counts.probesMade++;
        return () => Promise.resolve(health.get(rs.address) ?? { ok: true });
      },
      ...opts,
    }),
  );
  return { clock, kernel, health, counts, manager };
}

const specOf = (virtualServers: VirtualServerSpec[]): CheckSpec => ({ virtualServers, notifyFifos: [] });

test('one edited real out of 2,000: one kernel op in one batch, no kernel read, no checker restarted', async (t) => {
  const { kernel, counts, manager } = setup();
  // each virtual server counts the reads of its reals: a reload must not look at unchanged ones
  const realsRead = new Set<number>();
  const watched = (spec: VirtualServerSpec, i: number): VirtualServerSpec =>
    new Proxy(spec, {
      get(target, prop, receiver) {
        if (prop === 'reals') realsRead.add(i);
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
  const services = Array.from({ length: 200 }, (_, i) => watched(service(i + 1), i));
  await manager.start(specOf(services));
  t.is(kernel.log.length, 200 + 2000);
  t.is(counts.probesMade, 2000);
  const { dumps, probesMade } = counts;
  const batches = kernel.batches;

  // the same spec objects: nothing to do, not even a batch, and no real looked at
  realsRead.clear();
  t.deepEqual(await manager.reload(specOf([...services])), []);
  t.is(kernel.batches, batches);
  t.deepEqual([...realsRead], []);

  // service 57's real 10.0.0.4 weighs 7 now: a new object for service 57 only
  const edited = {
    ...services[57]!,
    reals: services[57]!.reals.map((r, j) => (j === 3 ? { ...r, weight: 7 } : r)),
  };
  const next = services.map((s, i) => (i === 57 ? edited : s));
  realsRead.clear();
  const applied = await manager.reload(specOf(next));
  t.deepEqual(
    applied.map((o) => o.op),
    ['editDest'],
  );
  // only the edited one's old version is looked into (its reals' states move to the new one)
  t.deepEqual([...realsRead], [57], 'the 199 unchanged virtual servers are not looked into');
  t.is(kernel.batches, batches + 1);
  t.is(counts.dumps, dumps, 'the kernel is not read on reload');
  // the edited service's 10 checkers keep running (same checker), none anywhere is made anew
  t.is(counts.probesMade, probesMade);
  t.true(kernelDests(kernel).includes('10.0.0.4:7'));
});

test('a removed virtual server leaves the kernel; an added one arrives with its reals only', async (t) => {
  const { clock, kernel, manager } = setup();
  const services = Array.from({ length: 20 }, (_, i) => service(i + 1, 3));
  await manager.start(specOf(services));
  const next = [...services.slice(0, 5), ...services.slice(6), service(99, 3)];
  const applied = await manager.reload(specOf(next));
  const address = (o: IpvsOp): string => {
    const key = 'service' in o ? o.service.key : 'key' in o ? o.key : undefined;
    return key?.kind === 'addr' ? key.address : '?';
  };
  t.deepEqual(
    applied.map((o) => `${o.op} ${address(o)}`),
    [
      'delService 192.0.2.6',
      'addService 192.0.2.99',
      'addDest 192.0.2.99',
      'addDest 192.0.2.99',
      'addDest 192.0.2.99',
    ],
  );
  t.deepEqual(
    kernel.table.map((e) => (e.service.key.kind === 'addr' ? e.service.key.address : '')).sort(),
    next.map((s) => (s.service.key.kind === 'addr' ? s.service.key.address : '')).sort(),
  );
  // the removed service's address reused by hand is someone else's now: the drift check and the
  // next reload leave it alone
  const byHand = { service: services[5]!.service, destinations: [] };
  kernel.table.push(structuredClone(byHand));
  await advance(clock, 5000, 1000);
  await manager.reload(specOf([...next]));
  t.truthy(
    kernel.table.find((e) => e.service.key.kind === 'addr' && e.service.key.address === '192.0.2.6'),
    'a service added by hand at a removed one’s address stays',
  );
  t.is(manager.status().driftFound, 0);
});

test('an unchanged virtual server keeps its reals’ state over a reload; a change waiting for its batch is not lost', async (t) => {
  // a long batching period: the down real's kernel update is still waiting when the reload comes
  const { clock, kernel, health, manager } = setup({ minSyncIntervalMs: 60_000 });
  const a = service(1, 2);
  const b = service(2, 2);
  await manager.start(specOf([a, b]));
  await advance(clock, 50); // the start's round opens the batching period
  health.set('10.0.0.2', { ok: false, reason: 'ECONNREFUSED' });
  await advance(clock, 2600);
  t.is(manager.status().virtualServers[0]?.reals[1]?.alive, false);
  t.is(kernel.table.length, 2);
  t.is(kernel.table[0]!.destinations.length, 2, 'the change still waits for its batch');
  // reload: a's reals weigh 3 now (a new object), b unchanged (same object)
  const a2 = { ...a, reals: a.reals.map((r) => ({ ...r, weight: 3 })) };
  await manager.reload(specOf([a2, b]));
  // a: the live real at its new weight, the failed one out (its state carried over);
  // b: its failed real (its checker kept, with its state) out too
  const dests = (i: number) => kernel.table[i]!.destinations.map((d) => `${d.address}:${d.weight}`);
  t.deepEqual(dests(0), ['10.0.0.1:3']);
  t.deepEqual(dests(1), ['10.0.0.1:1']);
  t.is(manager.status().virtualServers[1]?.reals[1]?.alive, false);
});

test('the STATUS= counts (asked every second) agree with the full status through a failure, a drain and a quorum loss', async (t) => {
  const { clock, health, manager } = setup();
  const services = [service(1, 2), service(2, 2), service(3, 2)];
  await manager.start(specOf(services));
  const fromStatus = () => {
    const s = manager.status();
    const reals = s.virtualServers.flatMap((v) => v.reals);
    return {
      virtualServers: s.virtualServers.length,
      withoutQuorum: s.virtualServers.filter((v) => !v.quorumUp).length,
      reals: reals.length,
      realsUp: reals.filter((r) => r.alive && !r.drained).length,
    };
  };
  t.deepEqual(manager.summary(), { virtualServers: 3, withoutQuorum: 0, reals: 6, realsUp: 6 });
  await manager.setDrain('192.0.2.2:80', '10.0.0.1:80', true);
  health.set('10.0.0.1', { ok: false, reason: 'ECONNREFUSED' });
  health.set('10.0.0.2', { ok: false, reason: 'ECONNREFUSED' });
  await advance(clock, 3000);
  t.deepEqual(manager.summary(), { virtualServers: 3, withoutQuorum: 3, reals: 6, realsUp: 0 });
  t.deepEqual(manager.summary(), fromStatus());
  health.clear();
  await advance(clock, 3000);
  t.deepEqual(manager.summary(), { virtualServers: 3, withoutQuorum: 0, reals: 6, realsUp: 5 });
  t.deepEqual(manager.summary(), fromStatus());
});
