// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS manager with a TCP check engine (a recording fake): which checkers go to the engine,
 * how reported results fold into real-server state and the kernel table, the next delay and the
 * quiet flag handed back, reloads, stop, and the lateness warning.
 */
import test from 'ava';
import { seededRng } from '../../fakes/seeded-rng.js';
import type { Logger, LogFields } from '../../../src/core/log.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { CheckManager } from '../../../src/check/manager.js';
import type { ManagerOptions } from '../../../src/check/manager.js';
import type { CheckSpec } from '../../../src/check/types.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { FakeTcpEngine } from '../../fakes/fake-tcp-engine.js';
import { advance, fakeManagerOptions, kernelDests as dests } from './manager-fixtures.js';
import { real, tcp, vs } from './spec-fixtures.js';

function setup(over: Partial<ManagerOptions> = {}) {
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel([]);
  const engine = new FakeTcpEngine();
  const probed: string[] = [];
  const manager = new CheckManager(
    fakeManagerOptions(clock, kernel, {
      rng: seededRng(3),
      probes: (c, rs) => () => {
        probed.push(`${c.kind} ${rs.address}`);
        return Promise.resolve({ ok: true });
      },
      tcpEngine: engine.factory,
      ...over,
    }),
  );
  return { clock, kernel, engine, probed, manager };
}

const timing = { retry: 1, delayBeforeRetryMs: 700, delayLoopMs: 2000, connectTimeoutMs: 1500, alpha: true };

test('TCP checkers run on the engine with their target, deadline and interval; others in JavaScript', async (t) => {
  const { clock, engine, probed, manager } = setup();
  const spec: CheckSpec = {
    virtualServers: [
      vs([
        real(1, { checkers: [tcp(timing)] }),
        real(2, {
          checkers: [
            {
              kind: 'misc',
              argv: ['/bin/true'],
              timeoutMs: 1000,
              dynamic: false,
              timing: tcp(timing).timing,
            },
          ],
        }),
      ]),
      // ha_suspend needs the VIP check before each probe: not for the engine.
      vs([real(3, { checkers: [tcp(timing)] })], { haSuspend: true }),
    ],
    notifyFifos: [],
  };
  await manager.start(spec);
  t.is(engine.checks.size, 1);
  const c = engine.checks.get(engine.idOf('10.0.0.1'))!;
  t.deepEqual(c.target, { host: '10.0.0.1', port: 80, family: 4 });
  t.is(c.timeoutMs, 1500);
  t.is(c.intervalMs, 2000);
  t.true(c.firstDelayMs >= 0 && c.firstDelayMs < 2000, 'spread over delay_loop');
  await advance(clock, 2100);
  t.deepEqual([...new Set(probed)].sort(), ['misc 10.0.0.2', 'tcp 10.0.0.3']);
  await manager.stop();
  t.true(engine.stopped);
});

test('reported results drive the real: alpha up, retry, down, back up; resume carries delay and quiet', async (t) => {
  const { clock, kernel, engine, manager } = setup();
  const spec: CheckSpec = { virtualServers: [vs([real(1, { checkers: [tcp(timing)] })])], notifyFifos: [] };
  await manager.start(spec);
  t.deepEqual(dests(kernel), [], 'alpha: down until the first success');
  const id = engine.idOf('10.0.0.1');
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), ['10.0.0.1:1']);
  t.deepEqual(
    engine.checks.get(id)!.resumed,
    { delayMs: 2000, quiet: true },
    'healthy: successes need no report',
  );
  engine.report('10.0.0.1', { ok: false, reason: 'ECONNREFUSED' });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), ['10.0.0.1:1'], 'one failure is retried first');
  t.deepEqual(
    engine.checks.get(id)!.resumed,
    { delayMs: 700, quiet: false },
    'retry after delay_before_retry',
  );
  engine.report('10.0.0.1', { ok: false, reason: 'timeout' });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), []);
  t.deepEqual(engine.checks.get(id)!.resumed, { delayMs: 2000, quiet: false });
  t.is(manager.status().virtualServers[0]!.reals[0]!.checks[0]!.lastFailure, 'timeout');
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), ['10.0.0.1:1']);
  t.deepEqual(engine.checks.get(id)!.resumed, { delayMs: 2000, quiet: true });
  await manager.stop();
});

test('a success inside a retry sequence is reported (it resets the retries), then successes are quiet again', async (t) => {
  const { clock, kernel, engine, manager } = setup();
  const spec: CheckSpec = {
    virtualServers: [vs([real(1, { checkers: [tcp({ ...timing, alpha: false, retry: 2 })] })])],
    notifyFifos: [],
  };
  await manager.start(spec);
  const id = engine.idOf('10.0.0.1');
  t.is(engine.checks.get(id)!.resumed, undefined, 'the first result is always reported');
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 100);
  t.deepEqual(engine.checks.get(id)!.resumed, { delayMs: 2000, quiet: true });
  engine.report('10.0.0.1', { ok: false, reason: 'ECONNRESET' });
  await advance(clock, 100);
  t.deepEqual(
    engine.checks.get(id)!.resumed,
    { delayMs: 700, quiet: false },
    'retrying: a success would reset it',
  );
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 100);
  t.deepEqual(engine.checks.get(id)!.resumed, { delayMs: 2000, quiet: true });
  t.deepEqual(dests(kernel), ['10.0.0.1:1'], 'never left the table');
  await manager.stop();
});

test('reload keeps unchanged engine checks, replaces changed ones, removes dropped ones', async (t) => {
  const { engine, manager } = setup();
  const a = real(1, { checkers: [tcp(timing)] });
  const b = real(2, { checkers: [tcp(timing)] });
  await manager.start({ virtualServers: [vs([a, b])], notifyFifos: [] });
  const idA = engine.idOf('10.0.0.1');
  const idB = engine.idOf('10.0.0.2');
  const c = real(3, { checkers: [tcp(timing)] });
  const a2 = real(1, { checkers: [tcp({ ...timing, connectTimeoutMs: 900 })] });
  await manager.reload({ virtualServers: [vs([a2, c])], notifyFifos: [] });
  t.deepEqual(engine.removed.sort(), [idA, idB].sort());
  t.is(engine.checks.size, 2);
  t.is(engine.checks.get(engine.idOf('10.0.0.1'))!.timeoutMs, 900);
  const idC = engine.idOf('10.0.0.3');
  await manager.reload({ virtualServers: [vs([a2, c])], notifyFifos: [] });
  t.is(engine.idOf('10.0.0.3'), idC, 'unchanged: same engine check');
  t.is(engine.removed.length, 2);
  await manager.stop();
});

test('results after stop are ignored; engine lateness is warned about and merged into the stats', async (t) => {
  const warnings: Array<[string, LogFields | undefined]> = [];
  const logger: Logger = { ...silentLogger, warn: (m, f) => warnings.push([m, f]), child: () => logger };
  const { clock, kernel, engine, manager } = setup({ logger });
  await manager.start({ virtualServers: [vs([real(1, { checkers: [tcp(timing)] })])], notifyFifos: [] });
  engine.lateRuns = 5;
  await advance(clock, 1100);
  t.is(warnings.length, 1);
  t.is(warnings[0]![0], 'health checks are running late: the checker cannot keep up');
  t.is(warnings[0]![1]?.['lateRuns'], 5);
  engine.lateRuns = 9;
  await advance(clock, 3000);
  t.is(warnings.length, 1, 'rate-limited');
  await advance(clock, 8000);
  t.is(warnings.length, 2);
  engine.localErrors = 40;
  await advance(clock, 1100);
  t.is(
    warnings.at(-1)![0],
    'health checks deferred: this director is short of sockets, the reals are not blamed',
  );
  t.is(warnings.at(-1)![1]?.['error'], 'EMFILE');
  t.is(warnings.at(-1)![1]?.['deferred'], 40);
  const s = manager.schedulerStats();
  t.is(s.tasks, 1);
  t.is(s.lateRuns, 9);
  t.is(s.maxLatenessMs, 900);
  await manager.stop();
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), []);
});

test('the first sync precedes the checkers; start and drain return after their own kernel round while results keep coming', async (t) => {
  // A kernel that takes 500 ms per update, and a real that flaps on every probe: the sync loop
  // never drains, yet start (systemd READY, SIGTERM handling) and an operator drain must return.
  const { clock, kernel, engine, manager } = setup();
  const apply = kernel.apply.bind(kernel);
  const checksAtApply: number[] = [];
  kernel.apply = (ops) => {
    checksAtApply.push(engine.checks.size);
    return new Promise((r) => clock.setTimeout(() => r(apply(ops)), 500));
  };
  const a = real(1, { checkers: [tcp({ ...timing, retry: 0 })] });
  const spec: CheckSpec = {
    virtualServers: [vs([a, real(2, { checkers: [tcp(timing)] })])],
    notifyFifos: [],
  };
  let started = false;
  void manager.start(spec).then(() => (started = true));
  let flip = false;
  const flap = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms / 100; i++) {
      flip = !flip;
      if (engine.checks.size > 0)
        engine.report('10.0.0.1', flip ? { ok: true } : { ok: false, reason: 'ECONNREFUSED' });
      await advance(clock, 100);
    }
  };
  await flap(1500);
  t.true(started, 'start returned after the first full round');
  t.is(checksAtApply[0], 0, 'the kernel is programmed before the checkers start');
  let drained = false;
  void manager.setDrain('192.0.2.1:80', '10.0.0.2:80', true).then(() => (drained = true));
  await flap(1500);
  t.true(drained);
  let stopped = false;
  void manager.stop().then(() => (stopped = true));
  await advance(clock, 2000);
  t.true(stopped);
  t.deepEqual(kernel.table, []);
});

test('ha_suspend TCP checks with fwmark/bind_if use the engine; their results are dropped while the VIP is not local', async (t) => {
  let vipLocal = false;
  const { clock, kernel, engine, manager } = setup({ vipLocal: () => vipLocal });
  const marked = { ...tcp(timing), fwmark: 7 };
  const spec: CheckSpec = {
    virtualServers: [
      vs([real(1, { checkers: [marked] }), real(2, { checkers: [tcp(timing)] })], { haSuspend: true }),
    ],
    notifyFifos: [],
  };
  await manager.start(spec);
  t.is(engine.checks.size, 1, 'only the checker with a socket option');
  t.is(engine.checks.get(engine.idOf('10.0.0.1'))!.target.fwmark, 7);
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), [], 'VIP not local: the result is not folded');
  t.deepEqual(engine.checks.get(engine.idOf('10.0.0.1'))!.resumed, { delayMs: 2000, quiet: false });
  vipLocal = true;
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 200);
  t.deepEqual(dests(kernel), ['10.0.0.1:1']);
  await manager.stop();
});

test('with log_all_failures, a retried failure is logged with its virtual server, real and checker', async (t) => {
  const lines: Array<[string, LogFields | undefined]> = [];
  const logger: Logger = { ...silentLogger, info: (m, f) => lines.push([m, f]), child: () => logger };
  const { clock, engine, manager } = setup({ logger });
  const spec: CheckSpec = {
    virtualServers: [vs([real(1, { checkers: [tcp({ ...timing, alpha: false, logAllFailures: true })] })])],
    notifyFifos: [],
  };
  await manager.start(spec);
  // a first success: before its first verdict a checker has no retries (one failure is a verdict)
  engine.report('10.0.0.1', { ok: true });
  await advance(clock, 100);
  engine.report('10.0.0.1', { ok: false, reason: 'ECONNREFUSED' });
  await advance(clock, 100);
  const retry = lines.find(([m]) => m === 'check failed, will retry');
  t.deepEqual(retry?.[1], {
    vs: '[192.0.2.1]:tcp:80',
    rs: '[10.0.0.1]:tcp:80',
    checker: 'tcp',
    reason: 'ECONNREFUSED',
    retry: 1,
  });
  await manager.stop();
});
