// SPDX-License-Identifier: Apache-2.0
// State machine scripts: [event, now] → state/actions, to the microsecond, with the FakeClock.
import test from 'ava';
import { carryOver, effectivePriority, initMachine, step } from '../../../src/vrrp/machine.js';
import { baseConfig } from './config-fixture.js';
import { Harness } from './harness.js';

const PEER = '10.0.0.1'; // lower than our 10.0.0.2
const HIGH_PEER = '10.0.0.9'; // higher than ours

function started(patch: Parameters<typeof baseConfig>[0] = {}): Harness {
  const h = new Harness(baseConfig(patch));
  h.feed({ type: 'start' });
  return h;
}

test('start: a non-owner enters backup and, with no master, becomes master at exactly Master_Down_Interval (v3 0.1 s prio 100: 360.937 ms)', (t) => {
  const h = started();
  t.deepEqual(h.transitions()[0], [0, 'init', 'backup', 'start']);
  h.to(360.936);
  t.is(h.name, 'backup');
  h.to(360.937);
  t.is(h.name, 'master');
  t.deepEqual(h.at(360.937), [
    { type: 'sendAdvert', priority: 100 },
    { type: 'addVips' },
    { type: 'sendGarp', phase: 'master', repeat: 5 },
    { type: 'notify', from: 'backup', to: 'master', reason: 'masterDown', priority: 100 },
  ]);
});

test("start adopting a predecessor's MASTER state (hitless restart): master at once, advert and GARP, the VIPs added (already there)", (t) => {
  const h = new Harness(baseConfig());
  h.feed({ type: 'start', adopt: true });
  t.is(h.name, 'master');
  t.deepEqual(h.at(0), [
    { type: 'sendAdvert', priority: 100 },
    { type: 'addVips' },
    { type: 'sendGarp', phase: 'master', repeat: 5 },
    { type: 'notify', from: 'init', to: 'master', reason: 'adopted', priority: 100 },
  ]);
  const down = new Harness(baseConfig());
  down.feed({ type: 'link', up: false });
  down.feed({ type: 'start', adopt: true });
  t.is(down.name, 'fault', 'not with its link down');
});

test('drill: a held MASTER sends priority 0 then 1, keeps its VIPs at priority 1 until the peer advertises, then BACKUP; released, it preempts back', (t) => {
  const h = started({ priority: 150 });
  h.to(300);
  h.to(400); // master since MDI (≈ 341 ms at priority 150)
  t.is(h.name, 'master');
  h.feed({ type: 'drill', hold: true });
  // priority 0, then at once priority 1: a nopreempt peer takes the second as the master's advert
  t.deepEqual(h.at(400), [
    { type: 'sendAdvert', priority: 0 },
    { type: 'sendAdvert', priority: 1 },
    { type: 'priorityChanged', from: 150, to: 1 },
  ]);
  t.is(h.name, 'master', 'keeps its VIPs until the peer answers');
  h.to(500);
  t.is(h.sent().at(-1)?.[1], 1, 'adverts at priority 1 meanwhile');
  t.true((h.sent().at(-1)?.[0] ?? 0) > 400);
  h.advert(520, 100);
  t.is(h.name, 'backup');
  t.true(h.at(520).some((a) => a.type === 'removeVips'));
  h.advert(620, 100);
  t.is(h.name, 'backup', 'holds: no preemption during the drill');
  h.feed({ type: 'drill', hold: false });
  t.is(h.state.effectivePriority, 150);
  h.advert(720, 100); // a lower priority now: ignored, Master_Down runs out
  h.to(1200);
  t.is(h.name, 'master', 'preempted back after Master_Down_Interval');
  const owner = started({ priority: 255, initialState: 'master' });
  owner.feed({ type: 'drill', hold: true });
  t.false(owner.state.drillHold, 'an address owner does not hand over');
});

test('initial state MASTER with priority < 255 still waits Master_Down_Interval (keepalived)', (t) => {
  const h = started({ initialState: 'master' });
  t.is(h.name, 'backup');
  h.to(360.937);
  t.is(h.name, 'master');
});

test('owner (255) becomes master at once on start and the skew uses 255', (t) => {
  const h = started({ priority: 255, initialState: 'master' });
  t.is(h.name, 'master');
  t.deepEqual(h.transitions(), [[0, 'init', 'master', 'ownerStart']]);
  t.deepEqual(h.sent(), [[0, 255]]);
});

test('backup follows a higher-priority master; takes over 360.937 ms after its last advert', (t) => {
  const h = started();
  h.adverts(0, 1000, 100, 150);
  h.to(1360.9);
  t.is(h.name, 'backup');
  h.to(1360.937);
  t.is(h.name, 'master');
  t.is(h.entered('master'), 1360.937);
});

test('priority-0 advert: backup takes over after Skew_Time only (60.937 ms at 0.1 s, prio 100)', (t) => {
  const h = started();
  h.adverts(0, 400, 100, 150).advert(450, 0);
  h.to(510.9);
  t.is(h.name, 'backup');
  h.to(510.937);
  t.is(h.name, 'master');
  t.is(h.stats.priZeroRcvd, 1);
  t.deepEqual(h.transitions().at(-1), [510.937, 'backup', 'master', 'priorityZero']);
});

test('v3 backup adopts the master advert interval (1 s master, 0.1 s own): MDI 3609.375 ms', (t) => {
  const h = started();
  h.advert(10, 150, { intMs: 1000 });
  t.is(h.state.masterAdverIntMs, 1000);
  h.to(3619.374);
  t.is(h.name, 'backup');
  h.to(3619.375);
  t.is(h.name, 'master');
  // As master it sends at its own interval again.
  h.to(3719.375);
  t.deepEqual(h.sent().slice(-2), [
    [3619.375, 100],
    [3719.375, 100],
  ]);
});

test('v2: advert 1 s prio 200: MDI 3218.75 ms, skew independent of the interval', (t) => {
  const h = started({ version: 2, advertIntMs: 1000, priority: 200 });
  h.advert(0, 250);
  h.to(3218.74);
  t.is(h.name, 'backup');
  h.to(3218.75);
  t.is(h.name, 'master');
});

test('down_timer_adverts 1: MDI = 1 × interval + skew', (t) => {
  const h = started({ downTimerAdverts: 1 });
  h.to(160.937);
  t.is(h.name, 'master');
});

test('preempt: a lower-priority master is ignored and preempted when the down timer fires', (t) => {
  const h = started({ priority: 150 });
  h.adverts(0, 300, 100, 100).to(399);
  // MDI at prio 150: 300 + (106*10*625/16 = 41406 µs) = 341.406 ms after start (never re-armed).
  t.is(h.entered('master'), 341.406);
  t.deepEqual(h.transitions().at(-1), [341.406, 'backup', 'master', 'preempted']);
  // Then the lower-priority advert reaches the new master: it answers at once (RFC 9568) + GARPs.
  h.advert(400, 100);
  t.deepEqual(h.at(400), [
    { type: 'sendAdvert', priority: 150 },
    { type: 'sendGarp', phase: 'lowerPrio', repeat: 5 },
    { type: 'notifyMasterRxLowerPri', src: PEER, priority: 100 },
  ]);
  t.is(h.state.timers.advert, 500);
  t.is(h.state.timers.garpLowerPrioDelayed, 5400);
});

test('nopreempt: a lower-priority master is followed, the backup never takes over', (t) => {
  const h = started({ priority: 150, preempt: false });
  h.adverts(0, 3000, 100, 100);
  t.is(h.name, 'backup');
  t.is(h.state.masterPriority, 100);
});

test('preempt_delay 1 s: follow a lower-priority master until the delay ends, then take over after MDI', (t) => {
  const h = started({ priority: 150, preemptDelayMs: 1000 });
  h.adverts(0, 2000, 100, 100);
  // Adverts before t=1000 reset the down timer; the one at 900 is the last: 900 + 341.406.
  t.is(h.entered('master'), 1241.406);
});

test('equal priority: the backup accepts it; a master yields only to a higher primary address', (t) => {
  const b = started();
  b.adverts(0, 1000, 100, 100, { src: PEER });
  t.is(b.name, 'backup');

  const lowSender = started();
  lowSender.to(360.937);
  lowSender.advert(400, 100, { src: PEER });
  t.is(lowSender.name, 'master');
  t.deepEqual(lowSender.sent().at(-1), [400, 100]);

  const highSender = started();
  highSender.to(360.937);
  highSender.advert(400, 100, { src: HIGH_PEER });
  t.is(highSender.name, 'backup');
  t.deepEqual(highSender.transitions().at(-1), [400, 'master', 'backup', 'higherPriority']);
});

test('master receiving a higher priority: releases VIPs and arms Master_Down with the adopted interval', (t) => {
  const h = started();
  h.to(360.937);
  h.advert(500, 200, { intMs: 1000 });
  t.deepEqual(h.at(500), [
    { type: 'removeVips' },
    { type: 'notify', from: 'master', to: 'backup', reason: 'higherPriority', priority: 100 },
  ]);
  t.is(h.state.timers.masterDown, 500 + 3609.375);
  t.is(h.state.timers.advert, undefined);
  t.is(h.state.timers.garpDelayed, undefined);
  t.is(h.stats.releaseMaster, 1);
});

test('higher_prio_send_advert: one more advert before stepping down', (t) => {
  const h = started({ higherPrioSendAdvert: true });
  h.to(360.937);
  h.advert(500, 200);
  t.deepEqual(h.at(500).slice(0, 2), [{ type: 'sendAdvert', priority: 100 }, { type: 'removeVips' }]);
});

test('lower_prio_no_advert: master sends no advert on a lower-priority one (pre-9568), but still GARPs', (t) => {
  const h = started({ lowerPrioNoAdvert: true });
  h.to(360.937);
  h.advert(400, 50);
  t.deepEqual(h.at(400), [
    { type: 'sendGarp', phase: 'lowerPrio', repeat: 5 },
    { type: 'notifyMasterRxLowerPri', src: PEER, priority: 50 },
  ]);
  t.is(h.state.timers.advert, 460.937);
});

test('garp_lower_prio_repeat 0: a lower-priority advert gets an advert but no GARP', (t) => {
  const h = started({
    garp: {
      masterRepeat: 5,
      masterDelayMs: 5000,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      lowerPrioRepeat: 0,
      lowerPrioDelayMs: 5000,
    },
  });
  h.to(360.937);
  h.advert(400, 50);
  t.deepEqual(h.at(400), [
    { type: 'sendAdvert', priority: 100 },
    { type: 'notifyMasterRxLowerPri', src: PEER, priority: 50 },
  ]);
  t.is(h.state.timers.garpLowerPrioDelayed, undefined);
});

test('master receiving priority 0 re-sends its advert at once and restarts Adver_Timer', (t) => {
  const h = started();
  h.to(360.937);
  h.advert(400, 0);
  t.deepEqual(h.at(400), [{ type: 'sendAdvert', priority: 100 }]);
  t.is(h.state.timers.advert, 500);
  const quiet = started({ lowerPrioNoAdvert: true });
  quiet.to(360.937);
  quiet.advert(400, 0);
  t.deepEqual(quiet.at(400), [{ type: 'sendAdvert', priority: 100 }]);
  t.is(quiet.state.timers.advert, 460.937);
});

test('a flood of lower-priority or priority-0 adverts is answered once per interval per source, never amplified', (t) => {
  const h = started();
  h.to(360.937);
  const answers = (from: number, to: number) =>
    h.log.filter((l) => l.at >= from && l.at < to && l.action.type === 'sendAdvert').length;
  const garps = (from: number, to: number) =>
    h.log.filter((l) => l.at >= from && l.at < to && l.action.type === 'sendGarp').length;
  // 100 lower-priority adverts from one source within 50 ms: one advert and one GARP burst
  for (let i = 0; i < 100; i++) h.advert(400 + i * 0.5, 50);
  t.is(answers(400, 450), 1);
  t.is(garps(400, 450), 1);
  t.is(h.stats.answersSuppressed, 99);
  // another source is answered on its own
  h.advert(451, 50, { src: '10.0.0.3' });
  t.is(answers(451, 452), 1);
  // a priority-0 flood from a third source: one answer
  for (let i = 0; i < 50; i++) h.advert(452 + i * 0.1, 0, { src: '10.0.0.4' });
  t.is(answers(452, 458), 1);
  t.is(h.stats.answersSuppressed, 99 + 49);
  // a peer advertising at our interval is answered every time
  h.advert(500.5, 50);
  h.advert(600.5, 50);
  t.is(h.stats.answersSuppressed, 99 + 49);
  t.is(garps(500, 601), 2);
  t.is(h.name, 'master');
});

test('master sends an advert every interval; GARP again after garp_master_delay', (t) => {
  const h = started();
  h.to(5400);
  const sends = h.sent().map(([at]) => at);
  t.is(sends[0], 360.937);
  t.is(sends[1], 460.937);
  t.true(sends.length >= 50);
  const garps = h.log.filter((l) => l.action.type === 'sendGarp');
  t.deepEqual(
    garps.map((l) => [l.at, l.action]),
    [
      [360.937, { type: 'sendGarp', phase: 'master', repeat: 5 }],
      [5360.937, { type: 'sendGarp', phase: 'masterDelayed', repeat: 5 }],
    ],
  );
});

test('garp_master_refresh repeats while master; garp_master_delay 0 sends no second burst', (t) => {
  const h = started({
    garp: {
      masterRepeat: 1,
      masterDelayMs: 0,
      masterRefreshMs: 1000,
      masterRefreshRepeat: 2,
      lowerPrioRepeat: 1,
      lowerPrioDelayMs: 0,
    },
  });
  h.to(3400);
  const garps = h.log.filter((l) => l.action.type === 'sendGarp').map((l) => [l.at, l.action]);
  t.deepEqual(garps, [
    [360.937, { type: 'sendGarp', phase: 'master', repeat: 1 }],
    [1360.937, { type: 'sendGarp', phase: 'refresh', repeat: 2 }],
    [2360.937, { type: 'sendGarp', phase: 'refresh', repeat: 2 }],
    [3360.937, { type: 'sendGarp', phase: 'refresh', repeat: 2 }],
  ]);
});

test('shutdown as master: priority-0 advert, VIPs removed, → stop; later events change nothing', (t) => {
  const h = started();
  h.to(1000);
  h.feed({ type: 'shutdown' });
  t.deepEqual(h.at(1000), [
    { type: 'sendAdvert', priority: 0 },
    { type: 'removeVips' },
    { type: 'notify', from: 'master', to: 'stop', reason: 'shutdown', priority: 100 },
  ]);
  t.deepEqual(h.state.timers, {});
  t.is(h.stats.priZeroSent, 1);
  const before = h.log.length;
  h.advert(1100, 200);
  h.feed({ type: 'start' });
  h.to(10000);
  t.is(h.log.length, before);
  t.is(h.name, 'stop');
});

test('shutdown as backup: no advert, just → stop', (t) => {
  const h = started();
  h.advert(10, 200);
  h.feed({ type: 'shutdown' });
  t.deepEqual(h.at(10).slice(-1), [
    { type: 'notify', from: 'backup', to: 'stop', reason: 'shutdown', priority: 100 },
  ]);
  t.is(h.sent().length, 0);
});

test('link down as master: priority 0, VIPs removed, fault; link up: backup and a fresh Master_Down', (t) => {
  const h = started();
  h.to(500);
  h.feed({ type: 'link', up: false });
  t.deepEqual(h.at(500), [
    { type: 'sendAdvert', priority: 0 },
    { type: 'removeVips' },
    { type: 'notify', from: 'master', to: 'fault', reason: 'fault', priority: 100 },
  ]);
  t.deepEqual(h.state.timers, {});
  h.to(2000);
  t.is(h.name, 'fault');
  h.feed({ type: 'link', up: true });
  t.deepEqual(h.transitions().at(-1), [2000, 'fault', 'backup', 'faultCleared']);
  t.is(h.state.timers.masterDown, 2360.937);
});

test('adverts are ignored in fault and init', (t) => {
  const h = new Harness(baseConfig());
  h.advert(0, 200);
  t.is(h.log.length, 0);
  h.feed({ type: 'link', up: false });
  h.feed({ type: 'start' });
  t.is(h.name, 'fault');
  const n = h.log.length;
  h.advert(10, 200);
  t.is(h.log.length, n);
});

test('owner configured state BACKUP waits Master_Down_Interval with the owner skew (keepalived)', (t) => {
  const h = started({ priority: 255, initialState: 'backup' });
  t.is(h.name, 'backup');
  // 3 × 100 ms + (256 − 255) × 10 cs × 625 / 16 µs = 300.390 ms
  t.is(h.state.timers.masterDown, 300.39);
});

test('owner leaving fault becomes master at once', (t) => {
  const h = started({ priority: 255, initialState: 'master' });
  h.feed({ type: 'link', up: false });
  h.to(100);
  h.feed({ type: 'link', up: true });
  t.deepEqual(h.transitions().at(-1), [100, 'fault', 'master', 'faultCleared']);
});

test('tracking: weight changes the effective priority (clamped 1..254) and the skew; owner untouched', (t) => {
  t.is(effectivePriority(100, 200), 254);
  t.is(effectivePriority(100, -200), 1);
  t.is(effectivePriority(255, -100), 255);
  const h = started();
  h.feed({ type: 'tracking', delta: -50, fault: false });
  t.deepEqual(h.at(0).at(-1), { type: 'priorityChanged', from: 100, to: 50 });
  h.advert(100, 150);
  // prio 50: skew 206*10*625/16 = 80468 µs → masterDown at 100 + 380.468.
  t.is(h.state.timers.masterDown, 480.468);
});

test('tracking fault (weight-0 tracker down) → fault from backup; cleared → backup', (t) => {
  const h = started();
  h.to(100);
  h.feed({ type: 'tracking', delta: 0, fault: true });
  t.deepEqual(h.transitions().at(-1), [100, 'backup', 'fault', 'fault']);
  t.is(h.state.timers.masterDown, undefined);
  h.to(200);
  h.feed({ type: 'tracking', delta: 0, fault: false });
  t.deepEqual(h.transitions().at(-1), [200, 'fault', 'backup', 'faultCleared']);
});

test('a master whose priority drops below the backup is preempted by the backup (two machines)', (t) => {
  const a = started({ priority: 150, primaryAddress: '10.0.0.1' });
  a.to(341.406);
  t.is(a.name, 'master');
  a.feed({ type: 'tracking', delta: -100, fault: false });
  t.is(a.state.effectivePriority, 50);
  // The peer (prio 100) becomes master and advertises: a yields.
  a.advert(400, 100, { src: '10.0.0.2' });
  t.is(a.name, 'backup');
});

test('preempt_delay is stopped by an advert of at least our priority and restarts at the next lower one', (t) => {
  const h = started({ priority: 150, preemptDelayMs: 1000 });
  h.adverts(0, 500, 100, 100);
  t.is(h.state.preemptAt, 1000);
  h.advert(600, 200);
  t.is(h.state.preemptAt, undefined);
  h.adverts(700, 3000, 100, 100);
  // New delay from 700: adverts until 1600 are followed; master at 1600 + 341.406.
  t.is(h.entered('master'), 1941.406);
});

test('a priority change in backup moves the running down timer by the change of MDI (keepalived)', (t) => {
  const h = started();
  h.advert(100, 150);
  t.is(h.state.timers.masterDown, 460.937);
  h.to(200);
  h.feed({ type: 'tracking', delta: 100, fault: false });
  // prio 200: MDI 300 + 56×10×625/16 µs = 321.875 → deadline moves by −39.062 ms.
  t.is(h.state.timers.masterDown, 421.875);
});

test('sync-group member: Master_Down only sets wantMaster and re-arms; sync master makes it master', (t) => {
  const h = started({ inSyncGroup: true });
  h.to(360.937);
  t.is(h.name, 'backup');
  t.true(h.state.wantMaster);
  t.is(h.state.timers.masterDown, 721.874);
  h.to(400);
  h.feed({ type: 'sync', to: 'master' });
  t.is(h.name, 'master');
  t.false(h.state.wantMaster);
});

test('vrrp_startup_delay: stays in init, then backup', (t) => {
  const h = started({ startupDelayMs: 2000 });
  t.is(h.name, 'init');
  h.to(1999);
  t.is(h.name, 'init');
  h.to(2000);
  t.is(h.name, 'backup');
  t.is(h.state.timers.masterDown, 2360.937);
});

test('sync events: master / backup / fault / faultCleared', (t) => {
  const h = started();
  h.to(50);
  h.feed({ type: 'sync', to: 'master' });
  t.deepEqual(h.transitions().at(-1), [50, 'backup', 'master', 'syncGroup']);
  h.to(60);
  h.feed({ type: 'sync', to: 'backup' });
  t.deepEqual(h.transitions().at(-1), [60, 'master', 'backup', 'syncGroup']);
  t.is(h.state.timers.masterDown, 420.937);
  h.feed({ type: 'sync', to: 'fault' });
  t.is(h.name, 'fault');
  h.feed({ type: 'sync', to: 'faultCleared' });
  t.is(h.name, 'backup');
});

test('stale or early timer events are ignored', (t) => {
  const s0 = step(initMachine(baseConfig()), { type: 'start' }, 0).state;
  t.deepEqual(step(s0, { type: 'timer', which: 'masterDown' }, 100).actions, []);
  t.deepEqual(step(s0, { type: 'timer', which: 'advert' }, 1000).actions, []);
  t.is(step(s0, { type: 'timer', which: 'masterDown' }, 360.937).state.name, 'master');
});

test('stats from actions: become/release master, adverts sent/received, priority 0', (t) => {
  const h = started();
  h.to(1000); // master at 360.937, sends at 360.937 + k×100 up to 960.937: 7 adverts
  h.advert(1000, 200);
  h.advert(1100, 0);
  t.is(h.stats.becomeMaster, 1);
  t.is(h.stats.releaseMaster, 1);
  t.is(h.stats.advertSent, 7);
  t.is(h.stats.advertRcvd, 2);
  t.is(h.stats.priZeroRcvd, 1);
});

test('duplicate owners: the lower address yields at once; the higher keeps 255 when the other backs off', (t) => {
  const low = started({ priority: 255, initialState: 'master', primaryAddress: '10.0.0.1' });
  low.advert(50, 255, { src: '10.0.0.9' });
  t.is(low.name, 'backup');

  const high = started({ priority: 255, initialState: 'master', primaryAddress: '10.0.0.9' });
  high.advert(50, 255, { src: '10.0.0.1' });
  t.is(high.name, 'master');
  t.is(high.state.rogueCounter, 2);
  t.deepEqual(high.sent().at(-1), [50, 255]); // answered like a lower-priority advert
  // Two own adverts later the rogue timer runs 1.2 × 100 ms; nothing more arrives: still owner.
  high.to(1000);
  t.is(high.name, 'master');
  t.is(high.state.effectivePriority, 255);
  t.is(high.state.timers.rogue, undefined);
});

test('duplicate owners: a rogue that keeps advertising makes the higher owner drop to 254, then 255 again as master', (t) => {
  const h = started({ priority: 255, initialState: 'master', primaryAddress: '10.0.0.9' });
  h.advert(50, 255, { src: '10.0.0.1' }); // counter 2, answered at once: own adverts at 150 and 250
  h.to(250);
  t.is(h.state.timers.rogue, 370); // 250 + 1.2 × 100 ms
  h.advert(300, 255, { src: '10.0.0.1' });
  t.is(h.name, 'backup');
  t.is(h.state.effectivePriority, 254);
  h.adverts(400, 1000, 100, 255, { src: '10.0.0.1' });
  t.is(h.name, 'backup');
  // The rogue goes silent: master again after MDI (skew of 255), priority restored.
  h.to(1000 + 300.39);
  t.is(h.name, 'master');
  t.is(h.state.effectivePriority, 255);
});

test('carryOver (reload): a master stays master, advertises at once with the new priority, no notify or VIP actions', (t) => {
  const h = started();
  h.to(1000);
  t.is(h.name, 'master');
  const r = carryOver(h.state, baseConfig({ priority: 120, advertIntMs: 200 }), 1000);
  t.is(r.state.name, 'master');
  t.is(r.state.effectivePriority, 120);
  t.deepEqual(
    r.actions.filter((a) => a.type !== 'armTimer'),
    [
      { type: 'priorityChanged', from: 100, to: 120 },
      { type: 'sendAdvert', priority: 120 },
    ],
  );
  t.is(r.state.timers.advert, 1200);
  t.is(r.state.timers.garpDelayed, 5360.937); // the pending second GARP burst is kept
});

test('carryOver (reload): a backup keeps its down deadline and learned interval; fault and trackers carry over', (t) => {
  const b = started();
  b.advert(500, 200, { intMs: 1000 });
  const r = carryOver(b.state, baseConfig({ priority: 90 }), 600);
  t.is(r.state.name, 'backup');
  t.is(r.state.timers.masterDown, b.state.timers.masterDown);
  t.is(r.state.masterAdverIntMs, 1000);

  const f = started();
  f.feed({ type: 'tracking', delta: -30, fault: true });
  const rf = carryOver(f.state, baseConfig({ priority: 150 }), 10);
  t.is(rf.state.name, 'fault');
  t.true(rf.state.trackFault);
  t.is(rf.state.effectivePriority, 120);
  // The machine goes on normally: the fault clears → backup.
  t.is(step(rf.state, { type: 'tracking', delta: -30, fault: false }, 20).state.name, 'backup');
});
