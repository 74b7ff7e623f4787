// SPDX-License-Identifier: Apache-2.0
/**
 * What a VRRP state change announces (keepalived's `notify_master`, `notify_backup`,
 * `notify_fault`, `notify_stop`, `notify`, `vrrp_notify_fifo`): the targets and the FIFO line in
 * keepalived's format (`INSTANCE "VI_1" MASTER 100\n`). Pure; notifier.io.ts runs the scripts and
 * writes the FIFOs.
 */
import type { ScriptCommand } from '../script/command.js';

export type { ScriptCommand } from '../script/command.js';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export interface NotifyTarget {
  readonly kind: 'INSTANCE' | 'GROUP';
  readonly name: string;
  readonly master?: ScriptCommand;
  readonly backup?: ScriptCommand;
  readonly fault?: ScriptCommand;
  readonly stop?: ScriptCommand;
  /** `notify`: called with `INSTANCE|GROUP name STATE priority` appended. */
  readonly any?: ScriptCommand;
}

/** One FIFO line in keepalived's format. */
export function fifoLine(
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState,
  priority: number,
): string {
  return kind === 'GROUP' ? `GROUP "${name}" ${state}\n` : `INSTANCE "${name}" ${state} ${priority}\n`;
}
