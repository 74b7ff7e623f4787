// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP notifier: on a state change, the FIFO line, then the state's own script, then `notify`.
 * Scripts are started through the script runner (src/script: as their user, else `script_user`,
 * with the scripts' environment), never awaited by the state machine, and their process group is
 * killed after a timeout. FIFO lines are written by the one notify-FIFO writer (created 0600 when
 * missing, never anything but a FIFO, a full FIFO drops the line, counted).
 */
import type { Logger } from '../core/log.js';
import { withDefaultUser, type ScriptCommand, type ScriptUser } from '../script/command.js';
import { NotifyFifos } from '../script/fifo.io.js';
import { describeOutcome } from '../script/outcome.js';
import { ScriptRunner } from '../script/runner.io.js';
import { fifoLine, type NotifyState, type NotifyTarget } from './notify.js';

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
}

export class Notifier {
  private readonly log: Logger;
  private readonly fifos: NotifyFifos;
  private readonly timeoutMs: number;
  private readonly scriptUser: ScriptUser | undefined;
  private readonly scripts: ScriptRunner;
  private readonly onStateChange: NotifierOptions['onStateChange'];
  /** Scripts started, failed to start, killed on timeout; FIFO lines dropped. */
  readonly counters = { started: 0, failed: 0, timedOut: 0, fifoDropped: 0 };

  constructor(o: NotifierOptions) {
    this.log = o.log;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.scriptUser = o.scriptUser;
    this.scripts = o.runner ?? new ScriptRunner();
    this.fifos = new NotifyFifos(o.fifos ?? [], o.log);
    this.onStateChange = o.onStateChange;
  }

  /** A state change: FIFO line, the state's own script, then `notify` with arguments. */
  stateChanged(t: NotifyTarget, state: NotifyState, priority: number): void {
    this.onStateChange?.(t, state, priority);
    this.counters.fifoDropped += this.fifos.write(fifoLine(t.kind, t.name, state, priority));
    const own = { MASTER: t.master, BACKUP: t.backup, FAULT: t.fault, STOP: t.stop }[state];
    if (own) this.run(own, []);
    if (t.any) this.run(t.any, [t.kind, t.name, state, String(priority)]);
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
