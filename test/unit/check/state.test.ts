// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { serviceId } from '../../../src/ipvs/model.js';
import { desiredTable } from '../../../src/check/desired.js';
import { effectiveWeight, initialRealState, realAlive } from '../../../src/check/real-server.js';
import type { CheckStep } from '../../../src/check/result.js';
import type { CheckSpec, RealServerSpec, VirtualServerSpec } from '../../../src/check/types.js';
import { realKey } from '../../../src/check/types.js';
import type { CheckEvent, CheckWorld } from '../../../src/check/virtual-server.js';
import { applyCheckStep, buildWorld, nextQuorum, setDrained } from '../../../src/check/virtual-server.js';
import { real, tcp, timing, vs } from './spec-fixtures.js';

const up: CheckStep = { state: { up: true, hasRun: true, retryIt: 0 }, delayMs: 0 };
const down: CheckStep = { state: { up: false, hasRun: true, retryIt: 0, lastFailure: 'x' }, delayMs: 0 };

function spec(v: VirtualServerSpec): CheckSpec {
  return { virtualServers: [v], notifyFifos: [] };
}

/** The destinations of the one VS as `address:weight` strings. */
function table(s: CheckSpec, w: CheckWorld): string[] {
  return desiredTable(s, w)[0]!.destinations.map((d) => `${d.address}:${d.weight}`);
}

function describe(events: CheckEvent[]): string[] {
  return events.map((e) =>
    e.type === 'vs'
      ? `VS ${e.up ? 'UP' : 'DOWN'}`
      : e.type === 'rs'
        ? `RS ${e.rs.address} ${e.up ? 'UP' : 'DOWN'}`
        : `W ${e.rs.address}=${e.weight}`,
  );
}

test('nextQuorum: hysteresis table', (t) => {
  const q = { quorum: 4, hysteresis: 1 };
  const rows: Array<[boolean, number, boolean, 'up' | 'down' | undefined]> = [
    [false, 4, false, undefined], // need quorum+hysteresis = 5 to gain
    [false, 5, true, 'up'],
    [true, 3, true, undefined], // lose only below quorum-hysteresis = 3
    [true, 2, false, 'down'],
    [true, 0, false, 'down'],
  ];
  for (const [was, sum, is, tr] of rows) {
    const r = nextQuorum({ quorumUp: was }, sum, q);
    t.is(r.state.quorumUp, is, `from ${was} at ${sum}`);
    t.is(r.transition, tr);
  }
  // quorum 0 never gains on an empty pool (keepalived loses at weight_sum 0).
  t.is(nextQuorum({ quorumUp: true }, 0, { quorum: 0, hysteresis: 0 }).transition, 'down');
});

test('real down is removed; with inhibit_on_failure it stays at weight 0; events once', (t) => {
  const a = real(1);
  const b = real(2, { inhibitOnFailure: true, weight: 5 });
  const v = vs([a, b]);
  const s = spec(v);
  const w = buildWorld(s);
  t.deepEqual(table(s, w), ['10.0.0.1:1', '10.0.0.2:5']);
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, down)), ['RS 10.0.0.1 DOWN']);
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, down)), []);
  t.deepEqual(describe(applyCheckStep(w, v, b, 0, down)), ['RS 10.0.0.2 DOWN', 'VS DOWN']);
  t.deepEqual(table(s, w), ['10.0.0.2:0']);
  t.deepEqual(describe(applyCheckStep(w, v, b, 0, up)), ['RS 10.0.0.2 UP', 'VS UP']);
  t.deepEqual(table(s, w), ['10.0.0.2:5']);
});

test('a real is up only when all its checkers are up', (t) => {
  const a = real(1, { checkers: [tcp(), tcp()] });
  const v = vs([a]);
  const w = buildWorld(spec(v));
  t.deepEqual(describe(applyCheckStep(w, v, a, 1, down)), ['RS 10.0.0.1 DOWN', 'VS DOWN']);
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, down)), []);
  t.deepEqual(describe(applyCheckStep(w, v, a, 1, up)), []);
  t.false(realAlive(w.reals.get(realKey(serviceId(v.service.key), a))!));
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, up)), ['RS 10.0.0.1 UP', 'VS UP']);
});

test('alpha: reals start down, the sorry server is in until quorum', (t) => {
  const alpha = [tcp({ alpha: true })];
  const a = real(1, { checkers: alpha });
  const b = real(2, { checkers: alpha });
  const v = vs([a, b], {
    quorum: 2,
    sorryServer: { family: 'inet', address: '10.0.9.9', port: 80, method: 'masq', weight: 1 },
  });
  const s = spec(v);
  const w = buildWorld(s);
  t.deepEqual(table(s, w), ['10.0.9.9:1']);
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, up)), ['RS 10.0.0.1 UP']);
  t.deepEqual(table(s, w), ['10.0.9.9:1']);
  t.deepEqual(describe(applyCheckStep(w, v, b, 0, up)), ['RS 10.0.0.2 UP', 'VS UP']);
  t.deepEqual(table(s, w), ['10.0.0.1:1', '10.0.0.2:1']);
});

test('quorum loss swaps in the sorry server; inhibited reals stay at 0; sorry_server_inhibit keeps it at 0', (t) => {
  const a = real(1, { weight: 3 });
  const b = real(2, { weight: 3, inhibitOnFailure: true });
  const v = vs([a, b], {
    quorum: 4,
    hysteresis: 1,
    sorryServerInhibit: true,
    sorryServer: { family: 'inet', address: '10.0.9.9', port: 8080, method: 'masq', weight: 1 },
  });
  const s = spec(v);
  const w = buildWorld(s);
  t.deepEqual(table(s, w), ['10.0.0.1:3', '10.0.0.2:3', '10.0.9.9:0']);
  // 3 is not < quorum-hysteresis = 3: quorum kept (hysteresis).
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, down)), ['RS 10.0.0.1 DOWN']);
  t.deepEqual(table(s, w), ['10.0.0.2:3', '10.0.9.9:0']);
  t.deepEqual(describe(applyCheckStep(w, v, b, 0, down)), ['RS 10.0.0.2 DOWN', 'VS DOWN']);
  t.deepEqual(table(s, w), ['10.0.0.2:0', '10.0.9.9:1']);
  // 3 < quorum+hysteresis = 5: still down, live real not in the pool while the sorry server is.
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, up)), ['RS 10.0.0.1 UP']);
  t.deepEqual(table(s, w), ['10.0.0.2:0', '10.0.9.9:1']);
  t.deepEqual(describe(applyCheckStep(w, v, b, 0, up)), ['RS 10.0.0.2 UP', 'VS UP']);
  t.deepEqual(table(s, w), ['10.0.0.1:3', '10.0.0.2:3', '10.0.9.9:0']);
});

test('dynamic weights: misc_dynamic sets weight exit-2, FILE dynamic adds value×weight, clamped at 0', (t) => {
  const misc: RealServerSpec['checkers'][number] = {
    kind: 'misc',
    argv: ['/bin/true'],
    timeoutMs: 1000,
    dynamic: true,
    timing,
  };
  const file: RealServerSpec['checkers'][number] = {
    kind: 'file',
    file: '/x',
    weight: 2,
    reverse: false,
    dynamic: true,
    timing,
  };
  const a = real(1, { weight: 10, checkers: [misc, file] });
  const v = vs([a]);
  const s = spec(v);
  const w = buildWorld(s);
  const key = realKey(serviceId(v.service.key), a);
  t.is(effectiveWeight(a, w.reals.get(key)!), 10);
  t.deepEqual(describe(applyCheckStep(w, v, a, 0, { ...up, state: { ...up.state, dynamicWeight: 40 } })), [
    'W 10.0.0.1=40',
  ]);
  t.deepEqual(describe(applyCheckStep(w, v, a, 1, { ...up, state: { ...up.state, dynamicWeight: 5 } })), [
    'W 10.0.0.1=45',
  ]);
  t.deepEqual(table(s, w), ['10.0.0.1:45']);
  t.deepEqual(describe(applyCheckStep(w, v, a, 1, { ...up, state: { ...up.state, dynamicWeight: -100 } })), [
    'W 10.0.0.1=0',
    'VS DOWN',
  ]);
});

test('drain: weight 0, not counted for quorum, survives a reload; enable restores', (t) => {
  const a = real(1, { weight: 2, upperThreshold: 100, lowerThreshold: 50 });
  const b = real(2, { weight: 2 });
  const v = vs([a, b], { quorum: 3 });
  const s = spec(v);
  const w = buildWorld(s);
  t.deepEqual(describe(setDrained(w, v, a, true)), ['VS DOWN']);
  t.deepEqual(table(s, w), ['10.0.0.1:0', '10.0.0.2:2']);
  // Reload with a changed weight for b: a's drain and checker state carry over.
  const b2 = real(2, { weight: 4 });
  const v2 = vs([a, b2], { quorum: 3 });
  const s2 = spec(v2);
  const drained = new Set([...w.reals].filter(([, st]) => st.drained).map(([k]) => k));
  const w2 = buildWorld(s2, { spec: s, world: w }, drained);
  t.deepEqual(table(s2, w2), ['10.0.0.1:0', '10.0.0.2:4']);
  t.deepEqual(describe(setDrained(w2, v2, a, false)), []);
  const d = desiredTable(s2, w2)[0]!.destinations[0]!;
  t.is(d.weight, 2);
  t.is(d.upperThreshold, 100);
  t.is(d.lowerThreshold, 50);
});

test('reload keeps checker state when checkers are unchanged, resets when they change', (t) => {
  const a = real(1);
  const v = vs([a]);
  const s = spec(v);
  const w = buildWorld(s);
  applyCheckStep(w, v, a, 0, down);
  const kept = buildWorld(s, { spec: s, world: w });
  t.deepEqual(table(s, kept), []);
  const changed = vs([real(1, { checkers: [tcp({ retry: 5 })] })]);
  const reset = buildWorld(spec(changed), { spec: s, world: w });
  t.deepEqual(table(spec(changed), reset), ['10.0.0.1:1']);
  t.true(realAlive(initialRealState(a)));
});
