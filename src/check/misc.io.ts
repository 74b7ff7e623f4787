// SPDX-License-Identifier: Apache-2.0
/**
 * MISC_CHECK through the script runner (src/script): the program of `misc_path` (split as
 * keepalived does when the config is read) runs with `misc_timeout`; exit 0 = up, 1 = down; with
 * `misc_dynamic`, exit 2..255 = up with weight exit-2, otherwise any non-zero exit = down. A
 * timed-out script's whole process group is killed. With `user USER [GROUP]` (or global
 * `script_user`) the script runs with that uid/gid, looked up when the probe runs (a user created
 * later is picked up; not root: the probe fails with EPERM).
 * Also the runner of the checkers' notify_up/notify_down/quorum_up/quorum_down scripts.
 */
import type { Logger } from '../core/log.js';
import { describeOutcome, type ScriptOutcome } from '../script/outcome.js';
import type { ScriptRunner } from '../script/runner.io.js';
import type { Probe } from './probe.js';
import { fail } from './probe.js';
import type { ProbeResult } from './result.js';
import type { CheckerSpec, ScriptCommandSpec } from './types.js';

export type MiscCheckSpec = Pick<Extract<CheckerSpec, { kind: 'misc' }>, 'argv' | 'timeoutMs' | 'dynamic'> & {
  readonly user?: string | undefined;
  readonly group?: string | undefined;
};

/** A checker notify script is killed after this long (keepalived waits for none). */
export const CHECKER_NOTIFY_TIMEOUT_MS = 60_000;

export function miscResult(o: ScriptOutcome, dynamic: boolean): ProbeResult {
  if (o.kind !== 'exit') return fail(describeOutcome(o));
  if (o.code === 0) return { ok: true };
  if (o.code === 1 || !dynamic) return fail(`exit ${o.code}`);
  return { ok: true, weight: o.code - 2 };
}

export function miscProbe(c: MiscCheckSpec, scripts: ScriptRunner): Probe {
  const cmd: ScriptCommandSpec = {
    argv: c.argv,
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.group !== undefined ? { group: c.group } : {}),
  };
  return async (signal) =>
    miscResult(await scripts.run(cmd, { timeoutMs: c.timeoutMs, ...(signal ? { signal } : {}) }), c.dynamic);
}

/**
 * The manager's `runScript` port: start a notify_up/notify_down/quorum_up/quorum_down script as its
 * user (already defaulted to `script_user`), without waiting; a failure or timeout is logged.
 */
export function checkerNotifyScripts(
  scripts: ScriptRunner,
  log: Logger,
  timeoutMs: number = CHECKER_NOTIFY_TIMEOUT_MS,
): (script: ScriptCommandSpec) => void {
  return (script) => {
    void scripts.run(script, { timeoutMs }).then((o) => {
      if (o.kind === 'error' || o.kind === 'timeout')
        log.warn('notify script failed', { script: script.argv.join(' '), error: describeOutcome(o) });
    });
  };
}
