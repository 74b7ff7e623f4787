// SPDX-License-Identifier: Apache-2.0
/**
 * How a script run ended, as data: the one exit-status mapping for every kind of script. Pure.
 * A run that lvsd had to kill (its timeout passed, or its owner stopped or aborted it) is
 * `timeout`/`aborted` whatever the dying process reported: a check that had to be killed did not
 * pass, even if it caught SIGTERM and exited 0.
 */

/** stdout or stderr of a run, when capture was asked for (capture.ts). */
export interface CapturedStream {
  /** The first bytes, decoded as UTF-8. */
  readonly text: string;
  /** Bytes kept in `text` (at most the capture limit). */
  readonly keptBytes: number;
  /** Bytes the script wrote past the limit: counted, not kept. */
  readonly droppedBytes: number;
}

export interface CapturedOutput {
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
}

export type ScriptOutcome = (
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  /**
   * Not started: spawn failed (`ENOENT`, `EACCES`, `EPERM`, ...), the user/group is unknown, or
   * script security refused it (`refused`: an unsafe path for a run as root, or no user to run it
   * as; `error` is keepalived's message). Callers count and log it as any run that did not start.
   */
  | { readonly kind: 'error'; readonly error: string; readonly refused?: true }
) & { readonly output?: CapturedOutput };

/** What the runner saw when a run ended. */
export interface RawEnd {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when lvsd killed the run, and why. */
  readonly killedFor?: 'timeout' | 'abort';
  /** The spawn error code (or message) when it never started. */
  readonly spawnError?: string;
}

export function outcomeOf(end: RawEnd): ScriptOutcome {
  if (end.spawnError !== undefined) return { kind: 'error', error: end.spawnError };
  if (end.killedFor === 'timeout') return { kind: 'timeout' };
  if (end.killedFor === 'abort') return { kind: 'aborted' };
  if (end.code !== null) return { kind: 'exit', code: end.code };
  return { kind: 'signal', signal: end.signal ?? 'unknown signal' };
}

/** Exit status 0. */
export function succeeded(o: ScriptOutcome): boolean {
  return o.kind === 'exit' && o.code === 0;
}

/** A short text for logs and probe reasons: `exit 1`, `killed by SIGSEGV`, `timeout`, `ENOENT`. */
export function describeOutcome(o: ScriptOutcome): string {
  switch (o.kind) {
    case 'exit':
      return `exit ${o.code}`;
    case 'signal':
      return `killed by ${o.signal}`;
    case 'timeout':
      return 'timeout';
    case 'aborted':
      return 'aborted';
    case 'error':
      return o.error;
  }
}
