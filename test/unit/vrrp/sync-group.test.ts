// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import { initMachine, step } from '../../../src/vrrp/machine.js';
import {
  initSyncGroup,
  syncGroupFromStates,
  syncGroupStep,
  type SyncGroupState,
} from '../../../src/vrrp/sync-group.js';
import type { MachineEvent, MachineState, VrrpStateName } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';

/** Two or three machines in one group, driven the way a shell does it. */
class Group {
  g: SyncGroupState;
  m: Record<string, MachineState> = {};
  constructor(names: string[], inSyncGroup = false) {
    this.g = initSyncGroup('G', names);
    names.forEach((n, i) => (this.m[n] = initMachine(baseConfig({ name: n, vrid: 51 + i, inSyncGroup }))));
  }
  feed(name: string, ev: MachineEvent, now: number): void {
    const s = this.m[name];
    if (!s) throw new Error(name);
    const r = step(s, ev, now);
    this.m[name] = r.state;
    const out = syncGroupStep(this.g, name, r);
    this.g = out.group;
    for (const c of out.commands) this.feed(c.member, c.event, now);
  }
  states(): Record<string, VrrpStateName> {
    return Object.fromEntries(Object.entries(this.m).map(([k, v]) => [k, v.name]));
  }
}

test('one member becoming master pulls the others to master', (t) => {
  const g = new Group(['A', 'B', 'C']);
  for (const n of ['A', 'B', 'C']) g.feed(n, { type: 'start' }, 0);
  t.deepEqual(g.states(), { A: 'backup', B: 'backup', C: 'backup' });
  g.feed('B', { type: 'timer', which: 'masterDown' }, 360.937);
  t.deepEqual(g.states(), { A: 'master', B: 'master', C: 'master' });
});

test('one master yielding to a higher priority pushes the others to backup', (t) => {
  const g = new Group(['A', 'B']);
  g.feed('A', { type: 'start' }, 0);
  g.feed('B', { type: 'start' }, 0);
  g.feed('A', { type: 'timer', which: 'masterDown' }, 360.937);
  t.deepEqual(g.states(), { A: 'master', B: 'master' });
  g.feed(
    'A',
    { type: 'advert', advert: { src: '10.0.0.9', version: 3, vrid: 51, priority: 200, maxAdverIntMs: 100 } },
    400,
  );
  t.deepEqual(g.states(), { A: 'backup', B: 'backup' });
});

test('a member fault puts the group in fault until every own fault is cleared', (t) => {
  const g = new Group(['A', 'B']);
  g.feed('A', { type: 'start' }, 0);
  g.feed('B', { type: 'start' }, 0);
  g.feed('A', { type: 'timer', which: 'masterDown' }, 360.937);
  g.feed('A', { type: 'link', up: false }, 500);
  t.deepEqual(g.states(), { A: 'fault', B: 'fault' });
  g.feed('B', { type: 'tracking', delta: 0, fault: true }, 600);
  g.feed('A', { type: 'link', up: true }, 700);
  t.deepEqual(g.states(), { A: 'fault', B: 'fault' }, 'B still has its own fault');
  g.feed('B', { type: 'tracking', delta: 0, fault: false }, 800);
  t.deepEqual(g.states(), { A: 'backup', B: 'backup' });
  t.deepEqual(g.g.ownFault, []);
});

test('inSyncGroup: the group goes master only when every member wants it (no thrash on one lost VRID)', (t) => {
  const g = new Group(['A', 'B'], true);
  g.feed('A', { type: 'start' }, 0);
  g.feed('B', { type: 'start' }, 0);
  // B still hears its master; A's master went silent: A only wants master.
  g.feed(
    'B',
    { type: 'advert', advert: { src: '10.0.0.9', version: 3, vrid: 52, priority: 200, maxAdverIntMs: 100 } },
    300,
  );
  g.feed('A', { type: 'timer', which: 'masterDown' }, 360.937);
  t.deepEqual(g.states(), { A: 'backup', B: 'backup' });
  t.true(g.g.wantMaster.A);
  // Then B's master goes silent too: both go master together.
  g.feed('B', { type: 'timer', which: 'masterDown' }, 660.937);
  t.deepEqual(g.states(), { A: 'master', B: 'master' });
});

test('syncGroupFromStates rebuilds the group (reload) so the rules keep working', (t) => {
  const g = new Group(['A', 'B']);
  g.feed('A', { type: 'start' }, 0);
  g.feed('B', { type: 'start' }, 0);
  g.feed('A', { type: 'link', up: false }, 10);
  const rebuilt = syncGroupFromStates('G', ['A', 'B'], g.m);
  t.deepEqual(rebuilt.ownFault, ['A']);
  t.deepEqual(rebuilt.states, { A: 'fault', B: 'fault' });
  g.g = rebuilt;
  g.feed('A', { type: 'link', up: true }, 20);
  t.deepEqual(g.states(), { A: 'backup', B: 'backup' });
});

test('property: under any events, a group never mixes master and backup, and an own fault holds every member in fault', (t) => {
  const names = ['A', 'B', 'C'];
  const ev = fc.tuple(
    fc.constantFrom(...names),
    fc.oneof(
      fc.record({
        type: fc.constant('advert' as const),
        advert: fc.record({
          src: fc.constantFrom('10.0.0.1', '10.0.0.9'),
          version: fc.constant(3 as const),
          vrid: fc.constant(51),
          priority: fc.integer({ min: 0, max: 254 }),
          maxAdverIntMs: fc.constant(100),
        }),
      }),
      fc.constant<MachineEvent>({ type: 'timer', which: 'masterDown' }),
      fc.constant<MachineEvent>({ type: 'timer', which: 'advert' }),
      fc.record({ type: fc.constant('link' as const), up: fc.boolean() }),
      fc.record({ type: fc.constant('tracking' as const), delta: fc.constant(0), fault: fc.boolean() }),
    ),
    fc.integer({ min: 0, max: 500 }),
  );
  fc.assert(
    fc.property(fc.array(ev, { maxLength: 80 }), (script) => {
      const g = new Group(names, true);
      let now = 0;
      for (const n of names) g.feed(n, { type: 'start' }, now);
      for (const [member, e, dt] of script) {
        now += dt;
        // a timer event only when it is due, as a shell would deliver it
        if (e.type === 'timer') {
          const at = g.m[member]?.timers[e.which];
          if (at === undefined) continue;
          now = Math.max(now, at);
        }
        g.feed(member, e, now);
        const st = Object.values(g.m);
        const names2 = st.map((s) => s.name);
        if (names2.includes('master') && names2.includes('backup')) return false;
        const ownFault = st.some((s) => !s.linkUp || s.trackFault);
        if (ownFault && names2.some((n) => n !== 'fault')) return false;
      }
      return true;
    }),
    { numRuns: 1500 },
  );
  t.pass();
});
