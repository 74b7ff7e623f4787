// SPDX-License-Identifier: Apache-2.0
/**
 * Notify scripts and the notify FIFO for VRRP state changes (keepalived's `notify_master`,
 * `notify_backup`, `notify_fault`, `notify_stop`, `notify`, `vrrp_notify_fifo`).
 * Scripts are spawned (as `script_user` when set), never awaited by the state machine, and killed
 * after a timeout. FIFO lines use keepalived's format: `INSTANCE "VI_1" MASTER 100\n`. The FIFO is
 * opened O_RDWR|O_NONBLOCK as keepalived does, so a missing reader neither blocks nor fails; a
 * full FIFO drops the line (counted).
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import type { Logger } from '../core/log.js';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export interface ScriptCommand {
  readonly argv: readonly string[];
  readonly user?: string;
  readonly group?: string;
}

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

/** uid/gid of a user (and optional group) from /etc/passwd and /etc/group; undefined if unknown. */
export function lookupUser(user: string, group?: string): { uid: number; gid: number } | undefined {
  const field = (file: string, name: string, idx: number): number | undefined => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    for (const line of text.split('\n')) {
      const parts = line.split(':');
      if (parts[0] === name) {
        const v = Number(parts[idx]);
        return Number.isInteger(v) ? v : undefined;
      }
    }
    return undefined;
  };
  const uid = /^\d+$/.test(user) ? Number(user) : field('/etc/passwd', user, 2);
  if (uid === undefined) return undefined;
  let gid: number | undefined;
  if (group !== undefined) gid = /^\d+$/.test(group) ? Number(group) : field('/etc/group', group, 2);
  else gid = field('/etc/passwd', user, 3) ?? uid;
  return gid === undefined ? undefined : { uid, gid };
}

export interface NotifierOptions {
  readonly log: Logger;
  /** `vrrp_notify_fifo` / `notify_fifo` paths. */
  readonly fifos?: readonly string[];
  /** Global `script_user`. */
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  /** Kill a notify script after this long [10 s]. */
  readonly timeoutMs?: number;
}

export class Notifier {
  private readonly log: Logger;
  private readonly fifoFds: number[] = [];
  private readonly timeoutMs: number;
  private readonly scriptUser: NotifierOptions['scriptUser'];
  /** Scripts started, failed to start, killed on timeout; FIFO lines dropped. */
  readonly counters = { started: 0, failed: 0, timedOut: 0, fifoDropped: 0 };
  private readonly running = new Set<ReturnType<typeof spawn>>();

  constructor(o: NotifierOptions) {
    this.log = o.log;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.scriptUser = o.scriptUser;
    for (const path of o.fifos ?? []) {
      try {
        this.fifoFds.push(openSync(path, constants.O_RDWR | constants.O_NONBLOCK));
      } catch (e) {
        this.log.warn('cannot open notify FIFO', { path, error: (e as Error).message });
      }
    }
  }

  /** A state change: FIFO line, the state's own script, then `notify` with arguments. */
  stateChanged(t: NotifyTarget, state: NotifyState, priority: number): void {
    this.writeFifo(fifoLine(t.kind, t.name, state, priority));
    const own = { MASTER: t.master, BACKUP: t.backup, FAULT: t.fault, STOP: t.stop }[state];
    if (own) this.run(own, []);
    if (t.any) this.run(t.any, [t.kind, t.name, state, String(priority)]);
  }

  private writeFifo(line: string): void {
    const buf = Buffer.from(line, 'utf8');
    for (const fd of this.fifoFds) {
      try {
        writeSync(fd, buf);
      } catch {
        this.counters.fifoDropped++; // EAGAIN: the reader is not keeping up
      }
    }
  }

  /** Spawn a script without waiting for it; kill it (and count) after the timeout. */
  run(cmd: ScriptCommand, extraArgs: readonly string[]): void {
    const [file, ...args] = cmd.argv;
    if (!file) return;
    const who = cmd.user !== undefined ? { user: cmd.user, group: cmd.group } : this.scriptUser;
    let ids: { uid: number; gid: number } | undefined;
    if (who && process.getuid?.() === 0) {
      ids = lookupUser(who.user, who.group);
      if (!ids) {
        this.counters.failed++;
        this.log.error('notify script user unknown', { user: who.user, script: file });
        return;
      }
    }
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, [...args, ...extraArgs], {
        stdio: 'ignore',
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      });
    } catch (e) {
      this.counters.failed++;
      this.log.error('notify script failed to start', { script: file, error: (e as Error).message });
      return;
    }
    this.counters.started++;
    this.running.add(child);
    const timer = setTimeout(() => {
      this.counters.timedOut++;
      this.log.warn('notify script timed out; killing it', { script: file, timeoutMs: this.timeoutMs });
      child.kill('SIGKILL');
    }, this.timeoutMs);
    timer.unref();
    child.on('error', (e) => {
      this.counters.failed++;
      this.log.error('notify script failed', { script: file, error: e.message });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      this.running.delete(child);
      if (code !== 0) this.log.debug('notify script exited', { script: file, code, signal });
    });
  }

  /** Scripts still running (for a graceful stop to wait a little). */
  get pending(): number {
    return this.running.size;
  }

  close(): void {
    for (const fd of this.fifoFds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to release
      }
    }
  }
}
