// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS sync loop on the fake clock, against the in-memory kernel and, for the driver's
 * pipelined batches, the real driver over the fake netlink kernel: batching, coalescing, partial
 * rounds, a partial failure reported exactly and then converged, retries, drift repair, stop.
 */
import test from 'ava';
import type { LogFields, Logger } from '../../../src/core/log.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { IpvsCmd } from '../../../src/ipvs/attrs.js';
import { openIpvsDriver } from '../../../src/ipvs/driver.js';
import type { IpvsDestination, IpvsServiceEntry, IpvsTable, ServiceKey } from '../../../src/ipvs/model.js';
import { compareServices, noSchedulerFlags, serviceId } from '../../../src/ipvs/model.js';
import type { IpvsKernel } from '../../../src/ipvs/ops.js';
import type { SyncLoopOptions } from '../../../src/ipvs/sync-loop.js';
import { IpvsSyncLoop } from '../../../src/ipvs/sync-loop.js';
import { AttrWriter } from '../../../src/netlink/codec.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { fakeTransport } from '../../fakes/fake-netlink.js';

const key = (port: number): ServiceKey => ({
  kind: 'addr',
  family: 'inet',
  protocol: 'tcp',
  address: '192.0.2.1',
  port,
});
const real = (host: number, weight = 1): IpvsDestination => ({
  family: 'inet',
  address: `10.0.0.${host}`,
  port: 80,
  method: 'masq',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const entry = (port: number, reals: IpvsDestination[]): IpvsServiceEntry => ({
  service: { key: key(port), scheduler: 'rr', flags: noSchedulerFlags },
  destinations: reals,
});

/** The desired table by scope name (one service each), as the manager keeps one per virtual server. */
class Desired {
  readonly byScope = new Map<string, IpvsServiceEntry>();
  set(scope: string, e: IpvsServiceEntry): void {
    this.byScope.set(scope, e);
  }
  table(): IpvsTable {
    return [...this.byScope.values()].sort((a, b) => compareServices(a.service.key, b.service.key));
  }
  entries(scopes: ReadonlySet<string>): IpvsTable {
    return [...scopes].flatMap((s) => (this.byScope.has(s) ? [this.byScope.get(s)!] : []));
  }
}

function recorder(): { logger: Logger; lines: Array<[string, string, LogFields | undefined]> } {
  const lines: Array<[string, string, LogFields | undefined]> = [];
  const at =
    (level: string) =>
    (m: string, f?: LogFields): void => {
      lines.push([level, m, f]);
    };
  const logger: Logger = {
    error: at('error'),
    warn: at('warn'),
    notice: at('notice'),
    info: at('info'),
    debug: at('debug'),
    child: () => logger,
  };
  return { logger, lines };
}

function setup(over: Partial<SyncLoopOptions<string>> = {}, initial: IpvsTable = []) {
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel(initial);
  const desired = new Desired();
  desired.set('a', entry(80, [real(1), real(2)]));
  desired.set('b', entry(81, [real(3)]));
  const { logger, lines } = recorder();
  let dumps = 0;
  const dump = kernel.dump.bind(kernel);
  kernel.dump = () => (dumps++, dump());
  const loop = new IpvsSyncLoop<string>({ kernel, clock, timers: clock, logger, desired, ...over });
  loop.own(['tcp|inet|192.0.2.1|80', 'tcp|inet|192.0.2.1|81']);
  return { clock, kernel, desired, loop, lines, dumps: () => dumps };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const weights = (k: FakeIpvsKernel): string[] =>
  k.table.flatMap((e) =>
    e.destinations.map(
      (d) => `${e.service.key.kind === 'addr' ? e.service.key.port : 0}/${d.address}:${d.weight}`,
    ),
  );

test('the first round reads the kernel and programs every owned service', async (t) => {
  const { kernel, loop, dumps } = setup();
  const round = await loop.sync();
  t.true(round.full);
  t.is(round.error, undefined);
  t.is(round.attempts.length, 1);
  t.true(round.attempts[0]!.reread);
  t.deepEqual(round.attempts[0]!.applied.addService, 2);
  t.deepEqual(round.attempts[0]!.applied.addDest, 3);
  t.deepEqual(weights(kernel), ['80/10.0.0.1:1', '80/10.0.0.2:1', '81/10.0.0.3:1']);
  t.is(dumps(), 1);
  t.deepEqual(loop.stats(), {
    syncs: 1,
    syncErrors: 0,
    driftFound: 0,
    ops: { addService: { ok: 2, error: 0 }, addDest: { ok: 3, error: 0 } },
  });
});

test('touch batches changes within minSyncIntervalMs into one partial round of just those services', async (t) => {
  const { clock, kernel, desired, loop, dumps } = setup({ minSyncIntervalMs: 100 });
  await loop.sync();
  const batches = kernel.batches;
  // Drift behind lvsd's back in b: a partial round about a does not look at b.
  kernel.table[1]!.destinations[0]!.weight = 7;
  desired.set('a', entry(80, [real(1, 5), real(2)]));
  loop.touch('a');
  clock.advance(50);
  await flush();
  desired.set('a', entry(80, [real(1, 5), real(2, 6)]));
  loop.touch('a');
  t.is(kernel.batches, batches, 'nothing before the batching period ends');
  clock.advance(50);
  await flush();
  t.is(kernel.batches, batches + 1, 'one kernel batch for both changes');
  t.deepEqual(weights(kernel), ['80/10.0.0.1:5', '80/10.0.0.2:6', '81/10.0.0.3:7']);
  t.is(dumps(), 1, 'planned against the kept table, not a new read');
  const partial = await loop.update('b');
  t.false(partial.full);
  t.false(partial.attempts[0]!.reread);
  t.deepEqual(partial.attempts[0]!.plan, [], 'b is as desired in the kept table');
});

test("by default a change reaches the kernel at the next turn, even just after another round; one turn's changes share a round", async (t) => {
  const { clock, kernel, desired, loop } = setup();
  await loop.sync();
  const batches = kernel.batches;
  desired.set('a', entry(80, [real(1, 5), real(2)]));
  loop.touch('a');
  desired.set('b', entry(81, [real(3, 4)]));
  loop.touch('b');
  clock.advance(0);
  await flush();
  t.is(kernel.batches, batches + 1, 'one round for the two changes of one turn');
  clock.advance(1); // 1 ms after that round: no minimum interval holds the next one back
  desired.set('a', entry(80, [real(1, 5), real(2, 6)]));
  loop.touch('a');
  clock.advance(0);
  await flush();
  t.is(kernel.batches, batches + 2, 'the next change in its own round at once');
  t.deepEqual(weights(kernel), ['80/10.0.0.1:5', '80/10.0.0.2:6', '81/10.0.0.3:4']);
});

test('a reload round reconciles the changed scopes and deletes the retired services, nothing else', async (t) => {
  const { kernel, desired, loop, dumps } = setup();
  await loop.sync();
  // drift in a behind lvsd's back: the reload (about b and c) does not look at a
  kernel.table[0]!.destinations[0]!.weight = 9;
  desired.byScope.delete('b');
  desired.set('c', entry(82, [real(4)]));
  loop.own(['tcp|inet|192.0.2.1|82']);
  let tableAsked = 0;
  const table = desired.table.bind(desired);
  desired.table = () => (tableAsked++, table());
  const round = await loop.reload(['c'], ['tcp|inet|192.0.2.1|81']);
  t.false(round.full);
  t.is(tableAsked, 0, 'the whole desired table is not built');
  t.deepEqual(
    round.attempts[0]!.plan.map((o) => o.op),
    ['delService', 'addService', 'addDest'],
  );
  t.deepEqual(weights(kernel), ['80/10.0.0.1:9', '80/10.0.0.2:1', '82/10.0.0.4:1']);
  t.is(dumps(), 1, 'planned against the kept table');
});

test('sync waits for a round that starts after the call; callers during a round share the next one', async (t) => {
  const { clock, kernel, desired, loop } = setup();
  const apply = kernel.apply.bind(kernel);
  kernel.apply = (ops) => new Promise((r) => clock.setTimeout(() => r(apply(ops)), 500));
  const rounds: Array<string | undefined> = [];
  const first = loop.sync().then((r) => (rounds.push('first'), r));
  await flush();
  desired.set('b', entry(81, [real(3, 4)]));
  const second = loop.sync().then((r) => (rounds.push('second'), r));
  const third = loop.update('b').then((r) => (rounds.push('third'), r));
  clock.advance(500);
  await flush();
  t.deepEqual(rounds, ['first'], 'the round under way started before the change: not enough for the others');
  t.deepEqual(weights(kernel), ['80/10.0.0.1:1', '80/10.0.0.2:1', '81/10.0.0.3:1']);
  clock.advance(500);
  await flush();
  t.deepEqual(rounds, ['first', 'second', 'third']);
  t.is(await second, await third, 'one round served both');
  t.not(await first, await second);
  t.deepEqual((await second).attempts[0]!.plan, [{ op: 'editDest', key: key(81), dest: real(3, 4) }]);
});

test('a caller woken by a round can ask for the next one at once', async (t) => {
  const { loop } = setup();
  const r = await loop.sync().then(() => loop.sync());
  t.is(r.error, undefined);
  t.deepEqual(
    loop.stats(),
    {
      syncs: 2,
      syncErrors: 0,
      ops: { addService: { ok: 2, error: 0 }, addDest: { ok: 3, error: 0 } },
      driftFound: 0,
    },
    'the second round had nothing to do',
  );
});

test('a batch that stops part way is reported exactly, the kernel read again, and the round converges', async (t) => {
  const { kernel, desired, loop, lines, dumps } = setup();
  kernel.failAt = 2; // the third op: the second real of 192.0.2.1:80
  const round = await loop.sync();
  t.is(round.attempts.length, 2);
  const [failed, retried] = round.attempts as [(typeof round.attempts)[0], (typeof round.attempts)[0]];
  t.is(failed.plan.length, 5);
  t.deepEqual(failed.report.applied, failed.plan.slice(0, 2));
  t.deepEqual(failed.report.failed?.op, failed.plan[2]);
  t.deepEqual(failed.report.skipped, failed.plan.slice(3));
  t.is(failed.applied.addService, 1);
  t.is(failed.applied.addDest, 1);
  const warned = lines.find(([level]) => level === 'warn');
  t.regex(
    String(warned?.[2]?.['error']),
    /stopped at ipvsadm -a -t 192\.0\.2\.1:80 -r 10\.0\.0\.2:80 .*\(2 applied, 2 not attempted\)/,
  );
  t.true(retried.reread);
  t.is(dumps(), 2);
  t.deepEqual(
    retried.plan.map((o) => o.op),
    ['addDest', 'addService', 'addDest'],
    'only what the first batch did not do',
  );
  t.is(round.error, undefined);
  t.deepEqual(kernel.table, desired.table());
  t.deepEqual(loop.stats(), {
    syncs: 1,
    syncErrors: 0,
    driftFound: 0,
    ops: { addService: { ok: 2, error: 0 }, addDest: { ok: 3, error: 1 } },
  });
});

test('a round that keeps failing is reported with its error, logged, and retried after retryMs until it converges', async (t) => {
  const { clock, kernel, desired, loop, lines } = setup({ retryMs: 1000 });
  const apply = kernel.apply.bind(kernel);
  let broken = true;
  kernel.apply = (ops) => {
    if (broken) kernel.failAt = kernel.log.length + 1;
    return apply(ops);
  };
  const round = await loop.sync();
  t.is(round.attempts.length, 2);
  t.is(round.error?.name, 'LvsdError');
  t.regex(round.error!.message, /^IPVS batch stopped at ipvsadm -a /);
  t.deepEqual(loop.stats(), {
    syncs: 0,
    syncErrors: 1,
    driftFound: 0,
    ops: { addService: { ok: 1, error: 0 }, addDest: { ok: 1, error: 2 } },
  });
  t.true(lines.some(([level, m]) => level === 'error' && m === 'IPVS update failed; will retry'));
  t.is(kernel.table.length, 1, 'the kernel holds what the two batches applied, and the report says so');
  broken = false;
  clock.advance(999);
  await flush();
  t.is(loop.stats().syncs, 0);
  clock.advance(1);
  await flush();
  t.deepEqual(loop.stats(), {
    syncs: 1,
    syncErrors: 1,
    driftFound: 0,
    ops: { addService: { ok: 2, error: 0 }, addDest: { ok: 3, error: 2 } },
  });
  t.deepEqual(kernel.table, desired.table());
});

test('pipelined driver batches: ops after the failed one in the same datagram are reported as applied', async (t) => {
  // The real driver over the fake netlink kernel: an empty table, NEW_DEST of 10.0.0.2 and
  // 10.0.0.3 refused once, everything else accepted; all of it goes out in one datagram.
  const refused = new Set(['10.0.0.2', '10.0.0.3']);
  const tr = fakeTransport((r) => {
    if (r.family === 0x10) return { cmd: 1, replies: [new AttrWriter().u16(1, 40).toBuffer()] };
    if (r.cmd === IpvsCmd.NEW_DEST) {
      const host = [...refused].find((h) => r.attrs.includes(Buffer.from(h.split('.').map(Number))));
      if (host !== undefined) {
        refused.delete(host);
        return { errno: 22 };
      }
    }
    return {};
  });
  const kernel: IpvsKernel = await openIpvsDriver({ transport: tr, window: 16 });
  const clock = new FakeClock();
  const desired = new Desired();
  desired.set('a', entry(80, [real(1), real(2), real(3), real(4)]));
  const loop = new IpvsSyncLoop<string>({ kernel, clock, timers: clock, logger: silentLogger, desired });
  const round = await loop.sync();
  const first = round.attempts[0]!;
  t.deepEqual(
    first.report.applied.map((o) => (o.op === 'addDest' ? o.dest.address : o.op)),
    ['addService', '10.0.0.1', '10.0.0.4'],
  );
  t.is(first.report.failed?.op.op, 'addDest');
  t.deepEqual(
    first.report.alsoFailed?.map((f) => f.op.op),
    ['addDest'],
  );
  t.deepEqual(first.report.skipped, []);
  t.is(round.attempts.length, 2, 'read again and planned again');
  t.is(round.error, undefined, 'the fake kernel accepts them the second time');
  kernel.close();
});

test('stop with removeOwned removes lvsd services only; without it the kernel is left as it is', async (t) => {
  const foreign = entry(53, [real(9)]);
  const a = setup({}, [foreign]);
  await a.loop.sync();
  t.is(a.kernel.table.length, 3);
  const last = await a.loop.stop({ removeOwned: true });
  t.deepEqual(last?.attempts[0]!.applied.delService, 2);
  t.deepEqual(a.kernel.table, [foreign]);
  a.loop.touch('a');
  a.clock.advance(1000);
  await flush();
  t.deepEqual(a.kernel.table, [foreign], 'nothing after stop');
  const b = setup();
  await b.loop.sync();
  t.is(await b.loop.stop({ removeOwned: false }), undefined);
  t.is(b.kernel.table.length, 2);
  t.is(b.clock.pendingCount, 0, 'no timers left');
});

test('drift is looked for a slice of lvsd’s services at a time; drift found is repaired by reading the kernel again', async (t) => {
  // 300 services of lvsd's and 100 of someone else's; a walk in about 30 s, a step a second
  const foreign = Array.from({ length: 100 }, (_, i) => entry(20_000 + i, [real(9)]));
  const { clock, kernel, desired, loop, lines, dumps } = setup(
    { resyncMs: 30_000, driftStepMs: 1000 },
    foreign,
  );
  for (let i = 0; i < 298; i++) desired.set(`s${i}`, entry(1000 + i, [real(1), real(2)]));
  loop.own([...desired.byScope.values()].map((e) => serviceId(e.service.key)));
  const services = kernel.dumpServices.bind(kernel);
  const destinations = kernel.dumpDestinations.bind(kernel);
  const steps: string[] = [];
  kernel.dumpServices = () => (steps.push('services'), services());
  kernel.dumpDestinations = (keys) => (steps.push(`dests ${keys.length}`), destinations(keys));
  await loop.sync();
  t.is(dumps(), 1);
  const tick = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      clock.advance(1000);
      await flush();
      await flush();
    }
  };
  await tick(7);
  // a walk: the services, then lvsd's 300 in slices of 64 (at least; 300 / 30 steps is less), then the next walk
  t.deepEqual(steps, ['services', 'dests 64', 'dests 64', 'dests 64', 'dests 64', 'dests 44', 'services']);
  t.is(dumps(), 1, 'no drift: the whole kernel is never read again');
  // someone else's service changes: not lvsd's to look at
  kernel.table.find(
    (e) => e.service.key.kind === 'addr' && e.service.key.port === 20_000,
  )!.destinations[0]!.weight = 5;
  // someone deletes a real of lvsd's by hand
  const victim = kernel.table.find((e) => e.service.key.kind === 'addr' && e.service.key.port === 1200)!;
  victim.destinations.pop();
  await tick(6);
  t.is(dumps(), 2, 'read again once drift was found');
  t.is(victim.destinations.length, 2, 'repaired');
  t.is(loop.stats().driftFound, 1);
  t.true(lines.some(([level, msg]) => level === 'warn' && msg.startsWith('IPVS table changed behind lvsd')));
  t.is(
    kernel.table.find((e) => e.service.key.kind === 'addr' && e.service.key.port === 20_000)!.destinations[0]!
      .weight,
    5,
  );
  // a service of lvsd's deleted whole is seen at the next walk's first step
  kernel.table.splice(kernel.table.indexOf(victim), 1);
  await tick(7);
  t.is(dumps(), 3);
  t.truthy(kernel.table.find((e) => e.service.key.kind === 'addr' && e.service.key.port === 1200));
  await loop.stop({ removeOwned: false });
  t.is(clock.pendingCount, 0, 'no drift timer left after stop');
});

test('a costly drift step spaces the next out to 20 times its cost', async (t) => {
  const { clock, kernel, loop } = setup({ driftStepMs: 1000 });
  const at: number[] = [];
  const services = kernel.dumpServices.bind(kernel);
  // a slow kernel: each step's read takes 300 ms
  const slow = <T>(value: () => Promise<T>): Promise<T> => {
    at.push(clock.now());
    return new Promise((resolve) => clock.setTimeout(() => resolve(value()), 300));
  };
  kernel.dumpServices = () => slow(services);
  kernel.dumpDestinations = (keys) => slow(() => Promise.resolve(keys.map(() => [])));
  await loop.sync();
  for (let i = 0; i < 40; i++) {
    clock.advance(500);
    await flush();
    await flush();
  }
  t.true(at.length >= 2, `steps: ${at.length}`);
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  t.true(
    gaps.every((g) => g >= 300 + 20 * 300),
    `gaps between steps ${gaps.join(', ')} ms`,
  );
  await loop.stop({ removeOwned: false });
});

test('a failed read of the kernel fails the round without applying anything; the next round reads again', async (t) => {
  const { clock, kernel, loop } = setup({ retryMs: 500 });
  const dump = kernel.dump.bind(kernel);
  let reads = 0;
  kernel.dump = () => (++reads <= 2 ? Promise.reject(new Error('ENOBUFS')) : dump());
  const round = await loop.sync();
  t.is(round.error?.message, 'ENOBUFS');
  t.deepEqual(round.attempts, []);
  t.is(kernel.batches, 0);
  clock.advance(500);
  await flush();
  t.is(kernel.table.length, 2);
  t.deepEqual(loop.stats(), {
    syncs: 1,
    syncErrors: 1,
    driftFound: 0,
    ops: { addService: { ok: 2, error: 0 }, addDest: { ok: 3, error: 0 } },
  });
});
