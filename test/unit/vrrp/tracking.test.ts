// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import {
  applyTrackerInput,
  initTrackers,
  reinitTrackers,
  trackerContribution,
  trackerOutput,
  type TrackerSpec,
  type TrackerState,
} from '../../../src/vrrp/tracking.js';
import { baseConfig } from './config-fixture.js';
import { Harness } from './harness.js';

function one(spec: Partial<TrackerSpec> & Pick<TrackerSpec, 'kind'>): TrackerState {
  const [t] = initTrackers([{ name: 'x', weight: 0, reverse: false, ...spec }]);
  if (!t) throw new Error('no tracker');
  return t;
}

const contributionRows: {
  name: string;
  state: TrackerState;
  want: { delta: number; fault: boolean };
}[] = [
  { name: 'interface weight 0 up', state: one({ kind: 'interface' }), want: { delta: 0, fault: false } },
  {
    name: 'interface weight 0 down → fault',
    state: { ...one({ kind: 'interface' }), ok: false },
    want: { delta: 0, fault: true },
  },
  {
    name: 'interface weight 0 reverse up → fault',
    state: one({ kind: 'interface', reverse: true }),
    want: { delta: 0, fault: true },
  },
  {
    name: 'interface +10 up',
    state: one({ kind: 'interface', weight: 10 }),
    want: { delta: 10, fault: false },
  },
  {
    name: 'interface +10 down',
    state: { ...one({ kind: 'interface', weight: 10 }), ok: false },
    want: { delta: 0, fault: false },
  },
  {
    name: 'interface -20 up',
    state: one({ kind: 'interface', weight: -20 }),
    want: { delta: 0, fault: false },
  },
  {
    name: 'interface -20 down',
    state: { ...one({ kind: 'interface', weight: -20 }), ok: false },
    want: { delta: -20, fault: false },
  },
  {
    name: 'script +10 reverse ok → -10',
    state: { ...one({ kind: 'script', weight: 10, reverse: true }), pending: false },
    want: { delta: -10, fault: false },
  },
  {
    name: 'script +10 not reported yet → nothing',
    state: one({ kind: 'script', weight: 10 }),
    want: { delta: 0, fault: false },
  },
  {
    name: 'script weight 0 not reported yet → fault (keepalived holds the instance in FAULT)',
    state: one({ kind: 'script' }),
    want: { delta: 0, fault: true },
  },
  {
    name: 'script init_fail weight 0 → fault',
    state: one({ kind: 'script', initFail: true }),
    want: { delta: 0, fault: true },
  },
  {
    name: 'file value 5 × weight 2',
    state: { ...one({ kind: 'file', weight: 2 }), value: 5 },
    want: { delta: 10, fault: false },
  },
  {
    name: 'file value -5 × weight 2 reverse',
    state: { ...one({ kind: 'file', weight: 2, reverse: true }), value: -5 },
    want: { delta: 10, fault: false },
  },
  {
    name: 'file value -254 × 1 → fault',
    state: { ...one({ kind: 'file', weight: 1 }), value: -254 },
    want: { delta: 0, fault: true },
  },
  {
    name: 'file value -253 × 1 → -253',
    state: { ...one({ kind: 'file', weight: 1 }), value: -253 },
    want: { delta: -253, fault: false },
  },
  {
    name: 'file value 300 × 1 → capped at 253',
    state: { ...one({ kind: 'file', weight: 1 }), value: 300 },
    want: { delta: 253, fault: false },
  },
  { name: 'file weight 0 value 0', state: one({ kind: 'file' }), want: { delta: 0, fault: false } },
  {
    name: 'file weight 0 value 3 → fault',
    state: { ...one({ kind: 'file' }), value: 3 },
    want: { delta: 0, fault: true },
  },
  {
    name: 'process weight 0 before the first scan → fault',
    state: one({ kind: 'process' }),
    want: { delta: 0, fault: true },
  },
  {
    name: 'process +20 before the first scan → nothing',
    state: one({ kind: 'process', weight: 20 }),
    want: { delta: 0, fault: false },
  },
  {
    name: 'process weight 0 reverse, quorum met → fault',
    state: { ...one({ kind: 'process', reverse: true }), pending: false, ok: true },
    want: { delta: 0, fault: true },
  },
  {
    name: 'process -254 quorum lost',
    state: { ...one({ kind: 'process', weight: -254 }), pending: false, ok: false },
    want: { delta: -254, fault: false },
  },
  {
    name: 'process +20 reverse, quorum met → -20',
    state: { ...one({ kind: 'process', weight: 20, reverse: true }), pending: false, ok: true },
    want: { delta: -20, fault: false },
  },
];
for (const row of contributionRows) {
  test(`tracker contribution: ${row.name}`, (t) => {
    t.deepEqual(trackerContribution(row.state), row.want);
  });
}

test('script rise/fall: fall 3 failures to fail, rise 2 successes to recover; a success resets the count', (t) => {
  let ts = initTrackers([{ kind: 'script', name: 'chk', weight: -30, reverse: false, rise: 2, fall: 3 }]);
  const feed = (ok: boolean) => {
    const r = applyTrackerInput(ts, { kind: 'script', name: 'chk', ok });
    ts = r.trackers;
    return r.changed;
  };
  t.true(feed(true)); // the first result counts at once (keepalived: result = rise - 1)
  t.false(feed(false));
  t.false(feed(false));
  t.false(feed(true)); // resets the streak
  t.false(feed(false));
  t.false(feed(false));
  t.deepEqual(trackerOutput(ts), { delta: 0, fault: false });
  t.true(feed(false)); // 3rd consecutive failure
  t.deepEqual(trackerOutput(ts), { delta: -30, fault: false });
  t.false(feed(true));
  t.true(feed(true));
  t.deepEqual(trackerOutput(ts), { delta: 0, fault: false });
});

test('inputs only touch trackers of their kind and name; output sums all', (t) => {
  let ts = initTrackers([
    { kind: 'interface', name: 'eth1', weight: -50, reverse: false },
    { kind: 'script', name: 'eth1', weight: 20, reverse: false },
    { kind: 'file', name: 'f', weight: 1, reverse: false },
  ]);
  ts = applyTrackerInput(ts, { kind: 'script', name: 'eth1', ok: true }).trackers;
  ts = applyTrackerInput(ts, { kind: 'interface', name: 'eth1', up: false }).trackers;
  ts = applyTrackerInput(ts, { kind: 'file', name: 'f', value: 7 }).trackers;
  t.deepEqual(trackerOutput(ts), { delta: -50 + 20 + 7, fault: false });
  t.false(applyTrackerInput(ts, { kind: 'interface', name: 'eth9', up: false }).changed);
});

test('tracker output drives the machine: weight-0 interface down → FAULT, up → BACKUP; weights move priority', (t) => {
  let ts = initTrackers([
    { kind: 'interface', name: 'eth1', weight: 0, reverse: false },
    { kind: 'script', name: 'chk', weight: -60, reverse: false },
  ]);
  const h = new Harness(baseConfig());
  h.feed({ type: 'start' });
  t.is(h.name, 'backup');
  const apply = (input: Parameters<typeof applyTrackerInput>[1]) => {
    const r = applyTrackerInput(ts, input);
    ts = r.trackers;
    if (r.changed) h.feed({ type: 'tracking', ...trackerOutput(ts) });
  };
  h.to(50);
  apply({ kind: 'script', name: 'chk', ok: false });
  t.is(h.state.effectivePriority, 40);
  apply({ kind: 'interface', name: 'eth1', up: false });
  t.is(h.name, 'fault');
  h.to(100);
  apply({ kind: 'interface', name: 'eth1', up: true });
  t.is(h.name, 'backup');
  // prio 40: skew = 216*10*625/16 = 84375 µs → MDI 384.375 ms from 100.
  t.is(h.state.timers.masterDown, 484.375);
});

test('track_process: pending until the first report, then each report sets the quorum state', (t) => {
  let ts = initTrackers([{ kind: 'process', name: 'haproxy', weight: 0, reverse: false }]);
  t.deepEqual(trackerOutput(ts), { delta: 0, fault: true });
  const feed = (up: boolean) => {
    const r = applyTrackerInput(ts, { kind: 'process', name: 'haproxy', up });
    ts = r.trackers;
    return r.changed;
  };
  t.true(feed(true));
  t.deepEqual(trackerOutput(ts), { delta: 0, fault: false });
  t.false(feed(true));
  t.true(feed(false));
  t.deepEqual(trackerOutput(ts), { delta: 0, fault: true });
});

test('reload: a track_process keeps its last state under new specs; other trackers start afresh', (t) => {
  let ts = initTrackers([
    { kind: 'process', name: 'p', weight: 0, reverse: false },
    { kind: 'script', name: 's', weight: 0, reverse: false },
  ]);
  ts = applyTrackerInput(ts, { kind: 'process', name: 'p', up: true }).trackers;
  ts = applyTrackerInput(ts, { kind: 'script', name: 's', ok: true }).trackers;
  const next = reinitTrackers(ts, [
    { kind: 'process', name: 'p', weight: 10, reverse: false },
    { kind: 'script', name: 's', weight: 10, reverse: false },
    { kind: 'process', name: 'q', weight: 0, reverse: false },
  ]);
  t.deepEqual(
    next.map((x) => [x.spec.name, x.spec.weight, x.ok, x.pending]),
    [
      ['p', 10, true, false],
      ['s', 10, true, true],
      ['q', 0, false, true],
    ],
  );
});
