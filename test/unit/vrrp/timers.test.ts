// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import {
  masterDownIntervalMs,
  masterDownIntervalUs,
  skewPriority,
  skewTimeMs,
  skewTimeUs,
} from '../../../src/vrrp/timers.js';

// anchors.md §1.7 table, plus issue #2259's dump "Master down timer = 3609375 usecs".
const rows: { name: string; v: 2 | 3; prio: number; intMs: number; mdiUs: number; skewUs: number }[] = [
  { name: 'v2 adv 1 s prio 100', v: 2, prio: 100, intMs: 1000, mdiUs: 3609375, skewUs: 609375 },
  { name: 'v2 adv 1 s prio 200', v: 2, prio: 200, intMs: 1000, mdiUs: 3218750, skewUs: 218750 },
  {
    name: 'v2 adv 3 s prio 100 (skew ignores the interval)',
    v: 2,
    prio: 100,
    intMs: 3000,
    mdiUs: 9609375,
    skewUs: 609375,
  },
  { name: 'v3 adv 1 s prio 100', v: 3, prio: 100, intMs: 1000, mdiUs: 3609375, skewUs: 609375 },
  { name: 'v3 adv 0.1 s prio 100', v: 3, prio: 100, intMs: 100, mdiUs: 360937, skewUs: 60937 },
  { name: 'v3 adv 0.05 s prio 254', v: 3, prio: 254, intMs: 50, mdiUs: 150390, skewUs: 390 },
  {
    name: 'v3 adv 0.5 s prio 100 (seesaw default)',
    v: 3,
    prio: 100,
    intMs: 500,
    mdiUs: 1804687,
    skewUs: 304687,
  },
  { name: 'v3 adv 40.95 s prio 1', v: 3, prio: 1, intMs: 40950, mdiUs: 163640039, skewUs: 40790039 },
  { name: 'owner 255 v3 0.1 s', v: 3, prio: 255, intMs: 100, mdiUs: 300390, skewUs: 390 },
];
for (const r of rows) {
  test(`timer math: ${r.name}`, (t) => {
    t.is(skewTimeUs(r.v, r.prio, r.intMs), r.skewUs);
    t.is(masterDownIntervalUs(r.v, r.prio, r.intMs), r.mdiUs);
    t.is(skewTimeMs(r.v, r.prio, r.intMs), r.skewUs / 1000);
    t.is(masterDownIntervalMs(r.v, r.prio, r.intMs), r.mdiUs / 1000);
  });
}

test('down_timer_adverts multiplies the interval, not the skew', (t) => {
  t.is(masterDownIntervalUs(3, 100, 100, 1), 160937);
  t.is(masterDownIntervalUs(3, 100, 100, 10), 1060937);
});

test('the skew of an owner is computed from 255 whatever the effective priority', (t) => {
  t.is(skewPriority(255, 200), 255);
  t.is(skewPriority(100, 60), 60);
});
