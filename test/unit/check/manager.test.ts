// SPDX-License-Identifier: Apache-2.0
/** The LVS manager with fake probes, the fake clock and the in-memory IPVS kernel. */
import test from 'ava';
import { seededRng } from '../../fakes/seeded-rng.js';
import { CheckManager } from '../../../src/check/manager.js';
import type { ProbeResult } from '../../../src/check/result.js';
import type { CheckSpec } from '../../../src/check/types.js';
import type { IpvsTable } from '../../../src/ipvs/model.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { advance, fakeManagerOptions, kernelDests } from './manager-fixtures.js';
import { real, tcp, vs } from './spec-fixtures.js';

function setup(spec: CheckSpec, initial: IpvsTable = []) {
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel(initial);
  const health = new Map<string, ProbeResult>();
  const scripts: string[] = [];
  const fifo: string[] = [];
  const manager = new CheckManager(
    fakeManagerOptions(clock, kernel, {
      rng: seededRng(7),
      probes: (_c, rs) => () => Promise.resolve(health.get(rs.address) ?? { ok: true }),
      runScript: (s) => scripts.push(s.argv.join(' ')),
      notifyFifo: (line) => fifo.push(line),
    }),
  );
  return { clock, kernel, health, scripts, fifo, manager };
}

const timing = { retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 2000 };

test('a failing real leaves the table after retry, comes back on success; notify scripts and FIFO lines', async (t) => {
  const a = real(1, {
    checkers: [tcp(timing)],
    notifyUp: { argv: ['/up', 'a'] },
    notifyDown: { argv: ['/down', 'a'] },
  });
  const b = real(2, { checkers: [tcp(timing)] });
  const spec: CheckSpec = {
    virtualServers: [vs([a, b], { quorumDown: { argv: ['/qdown'] }, quorumUp: { argv: ['/qup'] } })],
    notifyFifos: [],
  };
  const { clock, kernel, health, scripts, fifo, manager } = setup(spec);
  await manager.start(spec);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:1', '10.0.0.2:1']);
  health.set('10.0.0.1', { ok: false, reason: 'ECONNREFUSED' });
  // first probe within delay_loop, one retry after delay_before_retry.
  await advance(clock, 2000 + 1000 + 200);
  t.deepEqual(kernelDests(kernel), ['10.0.0.2:1']);
  t.deepEqual(scripts, ['/down a']);
  t.deepEqual(fifo, ['RS [10.0.0.1]:tcp:80 [192.0.2.1]:tcp:80 DOWN\n']);
  health.set('10.0.0.2', { ok: false, reason: 'timeout' });
  await advance(clock, 4000);
  t.deepEqual(kernelDests(kernel), []);
  t.deepEqual(scripts, ['/down a', '/qdown']);
  t.is(fifo.at(-1), 'VS [192.0.2.1]:tcp:80 DOWN\n');
  health.clear();
  await advance(clock, 2500);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:1', '10.0.0.2:1']);
  t.deepEqual(scripts.slice(2).sort(), ['/qup', '/up a']);
  await manager.stop();
  t.deepEqual(kernel.table, [], 'services removed on stop');
});

test('only lvsd services are touched; drain survives a reload; omega notifies on stop', async (t) => {
  const foreign: IpvsTable = [
    {
      service: {
        key: { kind: 'addr', family: 'inet', protocol: 'udp', address: '198.51.100.1', port: 53 },
        scheduler: 'rr',
        flags: { flag1: false, flag2: false, flag3: false, onePacket: false },
      },
      destinations: [],
    },
  ];
  const a = real(1, { checkers: [tcp(timing)], weight: 3 });
  const b = real(2, { checkers: [tcp(timing)], weight: 3, notifyDown: { argv: ['/down', 'b'] } });
  const spec: CheckSpec = {
    virtualServers: [vs([a, b], { omega: true, quorumDown: { argv: ['/qdown'] } })],
    notifyFifos: [],
  };
  const { kernel, scripts, manager } = setup(spec, foreign);
  await manager.start(spec);
  t.is(kernel.table.length, 2);
  await manager.setDrain('tcp:192.0.2.1:80', '10.0.0.1:80', true);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:0', '10.0.0.2:3']);
  await t.throwsAsync(manager.setDrain('192.0.2.1:80', '10.0.0.9:80', true), { message: /no real server/ });
  const spec2: CheckSpec = {
    virtualServers: [
      vs([a, real(2, { checkers: [tcp(timing)], weight: 5, notifyDown: { argv: ['/down', 'b'] } })], {
        omega: true,
        quorumDown: { argv: ['/qdown'] },
      }),
    ],
    notifyFifos: [],
  };
  await manager.reload(spec2);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:0', '10.0.0.2:5']);
  await manager.setDrain('192.0.2.1:80', '10.0.0.1:80', false);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:3', '10.0.0.2:5']);
  await manager.stop();
  t.deepEqual(scripts, ['/down b', '/qdown']);
  t.is(kernel.table.length, 1, 'the foreign service stays');
});

test('ha_suspend: no probes while the VIP is not local', async (t) => {
  const a = real(1, { checkers: [tcp(timing)] });
  const spec: CheckSpec = { virtualServers: [vs([a], { haSuspend: true })], notifyFifos: [] };
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel();
  let probes = 0;
  let local = false;
  const manager = new CheckManager(
    fakeManagerOptions(clock, kernel, {
      probes: () => () => (probes++, Promise.resolve({ ok: false, reason: 'x' })),
      vipLocal: () => local,
    }),
  );
  await manager.start(spec);
  await advance(clock, 6000);
  t.is(probes, 0);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:1']);
  local = true;
  await advance(clock, 6000);
  t.true(probes >= 2);
  t.deepEqual(kernelDests(kernel), []);
  await manager.stop();
});

test('a costly kernel table is never read whole again while nothing drifts; drift is found and repaired', async (t) => {
  const spec: CheckSpec = { virtualServers: [vs([real(1, { checkers: [tcp(timing)] })])], notifyFifos: [] };
  const { clock, kernel, manager } = setup(spec);
  let dumps = 0;
  const dump = kernel.dump.bind(kernel);
  // Each full read costs 5 s of (fake) time, as a 1000-service table does in a slow VM.
  kernel.dump = async () => {
    dumps++;
    clock.advance(5000);
    return dump();
  };
  await manager.start(spec);
  t.is(dumps, 1);
  // A kernel update every second (as while many reals come up) for 10 minutes: the drift check
  // reads lvsd's services a slice at a time between them, never the whole table.
  for (let i = 0; i < 600; i++) {
    void manager.sync();
    await advance(clock, 1000, 1000);
  }
  t.is(dumps, 1, `whole reads in 10 min: ${dumps}`);
  // someone deletes the real by hand: found within a walk (30 s), then the kernel is read again
  kernel.table[0]!.destinations.pop();
  await advance(clock, 32_000, 1000);
  t.is(dumps, 2);
  t.deepEqual(kernelDests(kernel), ['10.0.0.1:1']);
  await manager.stop();
});

test('probe durations are counted by checker kind, on the clock the probes run on; IPVS ops by op', async (t) => {
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel([]);
  // each probe takes 30 ms of the fake clock
  let probed = 0;
  const manager = new CheckManager(
    fakeManagerOptions(clock, kernel, {
      rng: seededRng(7),
      probes: () => () =>
        new Promise<ProbeResult>((r) => clock.setTimeout(() => (probed++, r({ ok: true })), 30)),
    }),
  );
  const spec: CheckSpec = {
    virtualServers: [vs([real(1, { checkers: [tcp(timing)] }), real(2, { checkers: [tcp(timing)] })])],
    notifyFifos: [],
  };
  await manager.start(spec);
  t.is(manager.checkDurations()['tcp']?.count, 0, 'no probe has run yet');
  await advance(clock, 2000 + 100, 10);
  const d = manager.checkDurations()['tcp'];
  if (!d) return t.fail('no tcp durations');
  t.true(probed >= 2, 'each real probed within delay_loop');
  t.is(d.count, probed);
  // the probe resolves 30 ms after it started, seen at the fake clock's next 10 ms step at the latest
  t.true(d.sum >= 0.03 * probed - 1e-9 && d.sum <= 0.04 * probed + 1e-9, String(d.sum));
  t.is(d.counts[d.bounds.indexOf(0.05)], probed, 'all in the 25-50 ms bucket');
  t.deepEqual(manager.ipvsOps(), { addService: { ok: 1, error: 0 }, addDest: { ok: 2, error: 0 } });
  await manager.stop();
});
