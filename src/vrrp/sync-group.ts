// SPDX-License-Identifier: Apache-2.0
/**
 * vrrp_sync_group: members move together (keepalived vrrp_sync.c). Pure. After each `step()` of a
 * member the shell calls `syncGroupStep` with that member's result and feeds the returned events
 * to the other members (whose own results come back here with reason 'syncGroup', ending the chain).
 * Rules: a member whose Master_Down_Timer fired only *wants* master (MachineConfig.inSyncGroup);
 * the group goes master when every member wants it (keepalived vrrp_sync_can_goto_master, which
 * avoids thrashing when one VRID alone lost its master); a member becoming master any other way
 * (owner) pulls the others from backup to master; a master stepping down to backup pushes the
 * other masters to backup; a member's own fault (link down, weight-0 tracker) puts every other
 * member in fault until no member has its own fault any more.
 */
import type { MachineEvent, MachineState, StepResult, VrrpStateName } from './types.js';

export interface SyncGroupState {
  readonly name: string;
  readonly members: readonly string[];
  /** Last known state of each member. */
  readonly states: Readonly<Record<string, VrrpStateName>>;
  /** Members that are in fault for their own reason (not because of the group). */
  readonly ownFault: readonly string[];
  /** Backup members whose down timer fired (they want master). */
  readonly wantMaster: Readonly<Record<string, boolean>>;
  /** The state the group's own notify last announced (`GROUP "name" STATE`). */
  readonly notified?: GroupNotifyState;
}

/** States a group's own notify announces. */
export type GroupNotifyState = Exclude<VrrpStateName, 'init'>;

export interface SyncCommand {
  readonly member: string;
  readonly event: MachineEvent & { readonly type: 'sync' };
}

export function initSyncGroup(name: string, members: readonly string[]): SyncGroupState {
  const states: Record<string, VrrpStateName> = {};
  for (const m of members) states[m] = 'init';
  return { name, members: [...members], states, ownFault: [], wantMaster: {} };
}

/**
 * The group's own notify (keepalived's `GROUP "name" STATE` FIFO line and group scripts): due once
 * every member is in the same state, other than init, and the group has not announced it yet.
 * Called after the members' sync events have been fed, so it sees the group settled.
 */
export function groupNotification(g: SyncGroupState): { group: SyncGroupState; notify?: GroupNotifyState } {
  const first = g.members.length > 0 ? g.states[g.members[0]!] : undefined;
  if (first === undefined || first === 'init' || first === g.notified) return { group: g };
  if (!g.members.every((m) => g.states[m] === first)) return { group: g };
  return { group: { ...g, notified: first }, notify: first };
}

function hasOwnFault(s: MachineState): boolean {
  return !s.linkUp || s.trackFault;
}

/** Fold one member's step result into the group; returns the events for the other members. */
export function syncGroupStep(
  g: SyncGroupState,
  member: string,
  result: StepResult,
): { group: SyncGroupState; commands: readonly SyncCommand[] } {
  if (!g.members.includes(member)) return { group: g, commands: [] };
  const commands: SyncCommand[] = [];
  const others = g.members.filter((m) => m !== member);
  const states: Record<string, VrrpStateName> = { ...g.states, [member]: result.state.name };
  const wantMaster = { ...g.wantMaster, [member]: result.state.name === 'backup' && result.state.wantMaster };

  // Own faults: first fault of the group → everyone else to fault; last one cleared → everyone out.
  const wasFault = g.ownFault.includes(member);
  const isFault = result.state.name !== 'stop' && result.state.name !== 'init' && hasOwnFault(result.state);
  let ownFault = g.ownFault;
  if (isFault && !wasFault) {
    ownFault = [...g.ownFault, member];
    for (const m of others) commands.push({ member: m, event: { type: 'sync', to: 'fault' } });
  } else if (!isFault && wasFault) {
    ownFault = g.ownFault.filter((m) => m !== member);
    if (ownFault.length === 0) {
      for (const m of g.members) commands.push({ member: m, event: { type: 'sync', to: 'faultCleared' } });
    }
  }

  // Master / backup transitions of this member that it made on its own.
  for (const a of result.actions) {
    if (a.type !== 'notify' || a.reason === 'syncGroup') continue;
    if (a.to === 'master') {
      for (const m of others) {
        if (states[m] === 'backup') commands.push({ member: m, event: { type: 'sync', to: 'master' } });
      }
    } else if (a.from === 'master' && a.to === 'backup') {
      for (const m of others) {
        if (states[m] === 'master') commands.push({ member: m, event: { type: 'sync', to: 'backup' } });
      }
    }
  }
  // Every member wants master (or already is): the group goes master together.
  if (wantMaster[member] && others.every((m) => states[m] === 'master' || wantMaster[m] === true)) {
    for (const m of g.members) {
      if (states[m] === 'backup') commands.push({ member: m, event: { type: 'sync', to: 'master' } });
    }
  }
  return { group: { ...g, states, ownFault, wantMaster }, commands };
}

/** A group rebuilt from its members' current states (reload, or members created before the group). */
export function syncGroupFromStates(
  name: string,
  members: readonly string[],
  states: Readonly<Record<string, MachineState | undefined>>,
  notified?: GroupNotifyState,
): SyncGroupState {
  const g = initSyncGroup(name, members);
  const st: Record<string, VrrpStateName> = { ...g.states };
  const want: Record<string, boolean> = {};
  const ownFault: string[] = [];
  for (const m of members) {
    const s = states[m];
    if (!s) continue;
    st[m] = s.name;
    want[m] = s.name === 'backup' && s.wantMaster;
    if (s.name !== 'stop' && s.name !== 'init' && hasOwnFault(s)) ownFault.push(m);
  }
  return { ...g, states: st, wantMaster: want, ownFault, ...(notified !== undefined ? { notified } : {}) };
}
