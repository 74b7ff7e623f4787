// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
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
