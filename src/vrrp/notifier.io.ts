// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP notifier: on a state change, the FIFO line, the state's own script, then `notify`, then
 * an e-mail alert (`smtp_alert`, handed to the mail queue, never waited for); on a MASTER
 * hearing a lower priority, `notify_master_rx_lower_pri` and a FIFO line; on a priority change
 * (`notify_priority_changes`), a FIFO line. Scripts are started through the script runner
 * (src/script: as their user, else `script_user`, with the scripts' environment), never awaited by
 * the state machine, and their process group is killed after a timeout. FIFO lines are written by
 * the one notify-FIFO writer (created 0600 when missing, never anything but a FIFO, a full FIFO
 * drops the line, counted).
 */
import type { Logger } from '../core/log.js';
import { withDefaultUser, type ScriptCommand, type ScriptUser } from '../script/command.js';
import { NotifyFifos } from '../script/fifo.io.js';
import { describeOutcome } from '../script/outcome.js';
import { ScriptRunner } from '../script/runner.io.js';
import type { MailAlerts } from '../mail/alerts.js';
import { fifoLine, priorityEvent, type NotifyState, type NotifyTarget } from './notify.js';
import type { VrrpStateName } from './types.js';

/** How long `close()` lets running notify scripts (notify_stop) finish before killing them. */
export const NOTIFY_CLOSE_WAIT_MS = 1000;

export interface NotifierOptions {
  readonly log: Logger;
  /** `vrrp_notify_fifo` / `notify_fifo` paths. */
  readonly fifos?: readonly string[];
  /** Global `script_user`. */
  readonly scriptUser?: ScriptUser;
  /** Kill a notify script after this long [10 s]. */
  readonly timeoutMs?: number;
  /** The runner to start scripts with [a new ScriptRunner]; tests pass one with a shorter grace. */
  readonly runner?: ScriptRunner;
  /** Told every state change first (the VRRP worker reports instance states to its supervisor). */
  readonly onStateChange?: (t: NotifyTarget, state: NotifyState, priority: number) => void;
  /** Where `smtp_alert` e-mails go (the daemon's mail queue); none = no mail. */
  readonly mail?: MailAlerts;
}

export class Notifier {
  private readonly log: Logger;
  private readonly fifos: NotifyFifos;
  private readonly timeoutMs: number;
  private readonly scriptUser: ScriptUser | undefined;
  private readonly scripts: ScriptRunner;
  private readonly onStateChange: NotifierOptions['onStateChange'];
  private readonly mail: MailAlerts | undefined;
  /** Scripts started, failed to start, killed on timeout; FIFO lines dropped. */
  readonly counters = { started: 0, failed: 0, timedOut: 0, fifoDropped: 0 };

  constructor(o: NotifierOptions) {
    this.log = o.log;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.scriptUser = o.scriptUser;
    this.scripts = o.runner ?? new ScriptRunner();
    this.fifos = new NotifyFifos(o.fifos ?? [], o.log);
    this.onStateChange = o.onStateChange;
    this.mail = o.mail;
  }

  /**
   * A state change: the FIFO line (first: it costs nothing, a script start costs a fork), the
   * state's own script, `notify` with `INSTANCE|GROUP name STATE priority` appended (0 for a group,
   * as keepalived), then the e-mail alert.
   */
  stateChanged(t: NotifyTarget, state: NotifyState, priority: number): void {
    this.onStateChange?.(t, state, priority);
    this.counters.fifoDropped += this.fifos.write(fifoLine(t.kind, t.name, state, priority));
    const own = { MASTER: t.master, BACKUP: t.backup, FAULT: t.fault, STOP: t.stop, DELETED: t.deleted }[
      state
    ];
    if (own) this.run(own, []);
    const prio = t.kind === 'GROUP' ? 0 : priority;
    if (t.any) this.run(t.any, [t.kind, t.name, state, String(prio)]);
    if (!t.smtpAlert || !this.mail) return;
    if (t.kind === 'INSTANCE') this.mail.alert({ kind: 'vrrpInstance', name: t.name, state });
    else if (state !== 'DELETED') this.mail.alert({ kind: 'vrrpGroup', name: t.name, state });
  }

  /** A MASTER received a lower-priority advert: `notify_master_rx_lower_pri` (no arguments) and the FIFO line. */
  masterRxLowerPri(t: NotifyTarget, priority: number): void {
    if (t.masterRxLowerPri) this.run(t.masterRxLowerPri, []);
    this.counters.fifoDropped += this.fifos.write(fifoLine(t.kind, t.name, 'MASTER_RX_LOWER_PRI', priority));
  }

  /** The effective priority changed, with `notify_priority_changes`: the FIFO line only (as keepalived). */
  priorityChanged(t: NotifyTarget, state: VrrpStateName, priority: number): void {
    if (!t.priorityChanges) return;
    this.counters.fifoDropped += this.fifos.write(fifoLine(t.kind, t.name, priorityEvent(state), priority));
  }

  /** Start a script without waiting for it; its process group is killed (and counted) after the timeout. */
  run(cmd: ScriptCommand, extraArgs: readonly string[]): void {
    const script = cmd.argv[0];
    if (script === undefined) return;
    this.counters.started++;
    void this.scripts
      .run(withDefaultUser(cmd, this.scriptUser), { args: extraArgs, timeoutMs: this.timeoutMs })
      .then((o) => {
        if (o.kind === 'error') {
          this.counters.failed++;
          this.log.error('notify script not started', { script, error: o.error });
        } else if (o.kind === 'timeout') {
          this.counters.timedOut++;
          this.log.warn('notify script timed out; its process group was killed', {
            script,
            timeoutMs: this.timeoutMs,
          });
        } else if (o.kind !== 'exit' || o.code !== 0) {
          this.log.debug('notify script ended', { script, outcome: describeOutcome(o) });
        }
      });
  }

  /** Scripts still running (for a graceful stop to wait a little). */
  get pending(): number {
    return this.scripts.running;
  }

  /**
   * Close the FIFOs; scripts still running (notify_stop) get NOTIFY_CLOSE_WAIT_MS to finish, then
   * their process groups are killed. Resolves when none is left.
   */
  async close(): Promise<void> {
    this.fifos.close();
    await this.scripts.stop({ waitMs: NOTIFY_CLOSE_WAIT_MS });
  }
}
