// SPDX-License-Identifier: Apache-2.0
/**
 * What a VRRP state change and VRRP events announce (keepalived's `notify_master`, `notify_backup`,
 * `notify_fault`, `notify_stop`, `notify_deleted`, `notify`, `notify_master_rx_lower_pri`,
 * `notify_priority_changes`, `vrrp_notify_fifo`, `smtp_alert`): the targets and the FIFO lines in
 * keepalived's format (`INSTANCE "VI_1" MASTER 100\n`, `GROUP "G1" BACKUP 0\n`,
 * `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n`). Pure; notifier.io.ts runs the scripts, writes the
 * FIFOs and hands e-mail alerts to the mailer.
 */
import type { ScriptCommand } from '../script/command.js';
import type { VrrpStateName } from './types.js';

export type { ScriptCommand } from '../script/command.js';

/** A state a notify announces; DELETED: a reload removed the instance (`notify_deleted`). */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** FIFO-only events of an instance (keepalived's VRRP_EVENT_*). */
export type NotifyEvent = 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

export interface NotifyTarget {
  readonly kind: 'INSTANCE' | 'GROUP';
  readonly name: string;
  readonly master?: ScriptCommand;
  readonly backup?: ScriptCommand;
  readonly fault?: ScriptCommand;
  readonly stop?: ScriptCommand;
  /** `notify_deleted SCRIPT` (instances). */
  readonly deleted?: ScriptCommand;
  /** `notify`: called with `INSTANCE|GROUP name STATE priority` appended. */
  readonly any?: ScriptCommand;
  /** `notify_master_rx_lower_pri` (instances): run, without arguments, when a MASTER hears a lower priority. */
  readonly masterRxLowerPri?: ScriptCommand;
  /** `notify_deleted`: a reload that removes the instance announces DELETED rather than FAULT. */
  readonly notifyDeleted?: boolean;
  /** `notify_priority_changes`: FIFO lines when the effective priority changes. */
  readonly priorityChanges?: boolean;
  /** `smtp_alert`: e-mail on state changes. */
  readonly smtpAlert?: boolean;
}

/** One FIFO line in keepalived's format (a group's priority is always 0). */
export function fifoLine(
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState | NotifyEvent,
  priority: number,
): string {
  return `${kind} "${name}" ${state} ${kind === 'GROUP' ? 0 : priority}\n`;
}

/** The priority-change event keepalived writes: MASTER_PRIORITY in MASTER, BACKUP_PRIORITY in any other state. */
export function priorityEvent(state: VrrpStateName): NotifyEvent {
  return state === 'master' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY';
}

/**
 * What a reload's removal of an instance announces (keepalived's clear_diff_vrrp): DELETED with
 * `notify_deleted`, otherwise FAULT (the old way, kept as keepalived's default), and nothing when
 * the instance was in FAULT already and `notify_deleted` is not set.
 */
export function deletedAs(notifyDeleted: boolean, from: string): 'DELETED' | 'FAULT' | undefined {
  if (notifyDeleted) return 'DELETED';
  return from === 'fault' ? undefined : 'FAULT';
}
