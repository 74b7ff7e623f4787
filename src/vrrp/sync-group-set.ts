// SPDX-License-Identifier: Apache-2.0
/**
 * The running `vrrp_sync_group`s of the engine: after every step of a member it folds the result
 * into its group (sync-group.ts), feeds the returned events to the other members, and once the
 * group has settled runs the group's own notify (`GROUP "name" STATE`, group scripts). No I/O.
 */
import type { Model, NotifyScripts, ScriptSpec } from '../config/model.js';
import type { NotifyTarget, ScriptCommand } from './notify.js';
import type { NotifyPort } from './instance.js';
import {
  groupNotification,
  initSyncGroup,
  syncGroupFromStates,
  syncGroupStep,
  type SyncGroupState,
} from './sync-group.js';
import type { MachineEvent, MachineState, StepResult } from './types.js';

/** A running member as the group sees it. */
export interface SyncMember {
  readonly name: string;
  readonly state: MachineState;
  feed(ev: MachineEvent): void;
}

const NOTIFY_NAMES = { master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stop: 'STOP' } as const;

/** The notify scripts of an instance or group as the notifier takes them. */
export function notifyTargetOf(kind: 'INSTANCE' | 'GROUP', name: string, n: NotifyScripts): NotifyTarget {
  const cmd = (x: ScriptSpec | undefined): ScriptCommand | undefined =>
    x && {
      argv: x.argv,
      ...(x.user !== undefined ? { user: x.user } : {}),
      ...(x.group !== undefined ? { group: x.group } : {}),
    };
  const out: { -readonly [K in keyof NotifyTarget]: NotifyTarget[K] } = { kind, name };
  for (const state of ['master', 'backup', 'fault', 'stop', 'any', 'deleted', 'masterRxLowerPri'] as const) {
    const c = cmd(n[state]);
    if (c) out[state] = c;
  }
  return out;
}

export class SyncGroupSet {
  readonly #groups = new Map<string, SyncGroupState>();
  readonly #groupOf = new Map<string, string>();
  readonly #targets = new Map<string, NotifyTarget>();
  readonly #member: (name: string) => SyncMember | undefined;
  readonly #notifier: NotifyPort;

  constructor(member: (name: string) => SyncMember | undefined, notifier: NotifyPort) {
    this.#member = member;
    this.#notifier = notifier;
  }

  /**
   * Take the groups of `m`. At start every member begins in init; on reload a group is rebuilt
   * from its members' current states and keeps what it last announced (no repeated group notify).
   */
  configure(m: Model, keepStates: boolean): void {
    const before = new Map(this.#groups);
    this.#groups.clear();
    this.#groupOf.clear();
    this.#targets.clear();
    for (const sg of m.syncGroups) {
      const states = Object.fromEntries(sg.members.map((n) => [n, this.#member(n)?.state]));
      this.#groups.set(
        sg.name,
        keepStates
          ? syncGroupFromStates(sg.name, sg.members, states, before.get(sg.name)?.notified)
          : initSyncGroup(sg.name, sg.members),
      );
      for (const n of sg.members) this.#groupOf.set(n, sg.name);
      this.#targets.set(sg.name, { ...notifyTargetOf('GROUP', sg.name, sg.notify), smtpAlert: sg.smtpAlert });
    }
  }

  /** A member stepped: fold it in, move the other members, then the group's own notify if due. */
  onStep(member: string, r: StepResult): void {
    const name = this.#groupOf.get(member);
    const grp = name === undefined ? undefined : this.#groups.get(name);
    if (!grp || name === undefined) return;
    const { group, commands } = syncGroupStep(grp, member, r);
    this.#groups.set(name, group);
    for (const c of commands) this.#member(c.member)?.feed(c.event);
    const settled = this.#groups.get(name);
    if (!settled) return;
    const n = groupNotification(settled);
    this.#groups.set(name, n.group);
    const target = this.#targets.get(name);
    if (n.notify && target) this.#notifier.stateChanged(target, NOTIFY_NAMES[n.notify], 0);
  }
}
