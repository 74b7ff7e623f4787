// SPDX-License-Identifier: Apache-2.0
/**
 * The one runner of user scripts (VRRP notify, vrrp_script, MISC_CHECK, checker notify/quorum).
 *
 * - argv spawn, a shell only for keepalived's `</path` file test (command.ts); stdin, stdout and
 *   stderr on /dev/null unless capture is asked for (then at most N bytes of each are kept).
 * - as `user [group]` (users.ts rules, looked up when the script starts), else as
 *   `keepalived_script` when that user exists, else as lvsd itself (security.ts `runAs`); only
 *   root can switch: otherwise a script meant for another user is not started (`EPERM`), as in
 *   keepalived.
 * - with `enable_script_security`, checked again just before each start (security.ts: a few
 *   lstat calls, no process): a script that would run as root from a path a non-root user could
 *   change, or with no user to run as, is not started; the outcome is an `error` marked
 *   `refused`, with keepalived's message, which the callers count and log. So a script made
 *   unsafe after lvsd started is not run as root. The file exec'd is the one checked.
 * - the environment of env.ts, never the daemon's.
 * - each run leads its own process group (keepalived's setpgid). On timeout, abort, or stop of the
 *   owner the whole group gets SIGTERM, then SIGKILL `termGraceMs` later (keepalived: 2 s); when
 *   the leader dies first, what is left of its group gets SIGKILL at once (keepalived does the
 *   same), so a script's children never outlive a killed script. Node reaps the leader: no zombie.
 * - every end is data (outcome.ts), never an exception.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BoundedCapture } from './capture.js';
import { execPlan, runsInShell, type ScriptCommand } from './command.js';
import { DEFAULT_SCRIPT_PATH, scriptEnvironment } from './env.js';
import { realScriptFiles } from './files.io.js';
import { outcomeOf, type RawEnd, type ScriptOutcome } from './outcome.js';
import { checkScript, runAs, type Ids, type ScriptFiles } from './security.js';
import type { ResolvedIds } from './users.js';
import { lookupIds } from './users.io.js';
import { spawnFast } from './spawn-fast.io.js';

/** SIGTERM to SIGKILL, as keepalived's script timeout handlers wait. */
export const TERM_GRACE_MS = 2000;
/**
 * After the leader exits, how long captured pipes may still drain: a background child may hold
 * them open for ever, but on a loaded machine the reader can lag the writer's exit by more than
 * a few event-loop turns (100 ms lost output under the test suite's load).
 */
const OUTPUT_LINGER_MS = 1000;

export interface RunOptions {
  /** Words appended to the command's argv (`notify`: `INSTANCE name STATE priority`). */
  readonly args?: readonly string[];
  /** Kill the run's process group after this long (outcome `timeout`); `Infinity`: never (a FIFO reader). */
  readonly timeoutMs: number;
  /** Keep at most this many bytes of stdout and of stderr in the outcome [0: no capture]. */
  readonly captureBytes?: number;
  /** Aborting kills the run's process group (outcome `aborted`). */
  readonly signal?: AbortSignal;
}

export interface ScriptRunnerOptions {
  /** SIGTERM → SIGKILL grace [TERM_GRACE_MS]. */
  readonly termGraceMs?: number;
  /** The child's whole environment [scriptEnvironment(lvsd's PATH)]. */
  readonly env?: Readonly<Record<string, string>>;
  /** `user [group]` → ids [lookupIds: /etc/passwd and /etc/group, cached]. */
  readonly lookup?: (user: string, group?: string) => ResolvedIds;
  /** `enable_script_security` [false]; the `scriptSecurity` property changes it (a reload). */
  readonly scriptSecurity?: boolean;
  /** The file system the security check walks [the real one]. */
  readonly files?: ScriptFiles;
  /** lvsd's own uid and gid: who a script with no user runs as, at worst [this process's]. */
  readonly self?: Ids;
}

/** Where a run starts, or the outcome that says why it does not. */
type Prepared =
  | { ok: true; file: string; args: string[]; ids: { uid: number; gid: number } | undefined }
  | { ok: false; outcome: ScriptOutcome };

interface Launch {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly ids: { uid: number; gid: number } | undefined;
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly captureBytes: number;
}

interface Running {
  readonly done: Promise<ScriptOutcome>;
  /** Kill the run's process group (no-op once it has ended). */
  abort(): void;
}

function errorCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message ?? String(e);
}

/** Start one run in its own process group and watch it to its end. */
function launch(l: Launch): Running {
  const capture = l.captureBytes > 0;
  let child: ChildProcess;
  try {
    // without a user to switch to, started without forking the daemon (spawn-fast.io.ts)
    child =
      (l.ids === undefined ? spawnFast({ file: l.file, args: l.args, env: l.env, capture }) : undefined) ??
      spawn(l.file, l.args, {
        stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'ignore',
        detached: true, // setsid(): the run leads a new process group
        env: { ...l.env },
        ...(l.ids ?? {}),
      });
  } catch (e) {
    // EPERM (switching user without root), invalid arguments: thrown synchronously by spawn
    return {
      done: Promise.resolve(outcomeOf({ code: null, signal: null, spawnError: errorCode(e) })),
      abort() {},
    };
  }
  const out = capture
    ? { stdout: new BoundedCapture(l.captureBytes), stderr: new BoundedCapture(l.captureBytes) }
    : undefined;
  child.stdout?.on('data', (c: Buffer) => out?.stdout.push(c));
  child.stderr?.on('data', (c: Buffer) => out?.stderr.push(c));
  let exited = false;
  let killedFor: 'timeout' | 'abort' | undefined;
  let grace: NodeJS.Timeout | undefined;
  const signalGroup = (sig: NodeJS.Signals): void => {
    // a native start (spawn-fast.io.ts) has its pid once it has started: the signal waits for it
    const pgid = child.pid;
    if (pgid === undefined) {
      if (!exited) child.once('spawn', () => signalGroup(sig));
      return;
    }
    try {
      process.kill(-pgid, sig);
    } catch {
      // ESRCH: the whole group is gone already
    }
  };
  const terminate = (why: 'timeout' | 'abort'): void => {
    if (exited || killedFor !== undefined) return;
    killedFor = why;
    signalGroup('SIGTERM');
    grace = setTimeout(() => signalGroup('SIGKILL'), l.graceMs);
  };
  // (a timer over 2^31 - 1 ms would fire at once: no timer at all stands for `Infinity`)
  const timer = Number.isFinite(l.timeoutMs)
    ? setTimeout(() => terminate('timeout'), l.timeoutMs)
    : undefined;
  const done = new Promise<ScriptOutcome>((resolve) => {
    let end: RawEnd | undefined;
    let linger: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (!end) return;
      clearTimeout(linger);
      const outcome = outcomeOf(end);
      end = undefined;
      resolve(
        out ? { ...outcome, output: { stdout: out.stdout.result(), stderr: out.stderr.result() } } : outcome,
      );
    };
    child.once('error', (e) => {
      if (child.pid !== undefined || exited) return; // only a failed spawn ends a run here
      exited = true;
      clearTimeout(timer);
      end = { code: null, signal: null, spawnError: errorCode(e) };
      finish();
    });
    child.once('exit', (code, sig) => {
      exited = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // The leader is gone: what is left of a group we were killing goes now.
      if (killedFor !== undefined) signalGroup('SIGKILL');
      end = { code, signal: sig, ...(killedFor !== undefined ? { killedFor } : {}) };
      if (!capture) return finish();
      linger = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, OUTPUT_LINGER_MS);
    });
    child.once('close', finish); // after 'exit', once the pipes are drained
  });
  return { done, abort: () => terminate('abort') };
}

/**
 * Runs scripts for one owner (the notifier, the trackers, the checkers) and stops them with it:
 * `stop()` kills every run still going, and later runs are not started.
 */
export class ScriptRunner {
  readonly #running = new Set<Running>();
  readonly #graceMs: number;
  readonly #env: Readonly<Record<string, string>>;
  readonly #lookup: (user: string, group?: string) => ResolvedIds;
  readonly #files: ScriptFiles;
  readonly #self: Ids;
  #stopped = false;
  /** `enable_script_security`, read at each start. */
  scriptSecurity: boolean;

  constructor(o: ScriptRunnerOptions = {}) {
    this.#graceMs = o.termGraceMs ?? TERM_GRACE_MS;
    this.#env = o.env ?? scriptEnvironment(process.env['PATH']);
    this.#lookup = o.lookup ?? lookupIds;
    this.#files = o.files ?? realScriptFiles;
    this.#self = o.self ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    this.scriptSecurity = o.scriptSecurity ?? false;
  }

  /** Runs still going. */
  get running(): number {
    return this.#running.size;
  }

  /** Start `cmd` now (synchronously) and resolve with how it ended. Never rejects. */
  run(cmd: ScriptCommand, o: RunOptions): Promise<ScriptOutcome> {
    if (this.#stopped || o.signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    const p = this.#prepare(cmd, [...cmd.argv, ...(o.args ?? [])]);
    if (!p.ok) return Promise.resolve(p.outcome);
    const r = launch({
      file: p.file,
      args: p.args,
      env: this.#env,
      ids: p.ids,
      timeoutMs: o.timeoutMs,
      graceMs: this.#graceMs,
      captureBytes: o.captureBytes ?? 0,
    });
    this.#running.add(r);
    const onAbort = (): void => r.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    return r.done.then((outcome) => {
      this.#running.delete(r);
      o.signal?.removeEventListener('abort', onAbort);
      return outcome;
    });
  }

  /** Who runs `argv` and what is exec'd, after the script-security check when it is on. */
  #prepare(cmd: ScriptCommand, argv: string[]): Prepared {
    const program = argv[0];
    if (program === undefined || program === '')
      return { ok: false, outcome: { kind: 'error', error: 'empty command' } };
    const secure = this.scriptSecurity;
    const who = runAs(program, cmd, { secure, lookup: this.#lookup, self: this.#self });
    if (!who.ok) {
      const refused = who.refused ? { refused: true as const } : {};
      return { ok: false, outcome: { kind: 'error', error: who.reason, ...refused } };
    }
    const me = { uid: process.getuid?.(), gid: process.getgid?.() };
    // Already that user: nothing to switch (and no EPERM for a non-root lvsd running as itself).
    const ids = who.uid !== me.uid || who.gid !== me.gid ? { uid: who.uid, gid: who.gid } : undefined;
    const plan = execPlan(argv);
    // keepalived's `</path` file test runs no program of the user's: nothing to check
    if (!secure || runsInShell(argv)) return { ok: true, ...plan, ids };
    const v = checkScript(
      {
        program,
        ids: who,
        secure,
        path: this.#env['PATH'] ?? DEFAULT_SCRIPT_PATH,
        cwd: process.cwd(),
      },
      this.#files,
    );
    if (!v.ok) {
      const refused = v.why === 'insecure' ? { refused: true as const } : {};
      return { ok: false, outcome: { kind: 'error', error: v.message, ...refused } };
    }
    return { ok: true, file: v.file, args: plan.args, ids };
  }

  /**
   * Stop: no new runs; the runs going get `waitMs` to end by themselves [0], then their process
   * groups are killed (SIGTERM, SIGKILL after the grace). Resolves when every run has ended.
   */
  async stop(o: { waitMs?: number } = {}): Promise<void> {
    this.#stopped = true;
    const ends = (): Promise<unknown> => Promise.all([...this.#running].map((r) => r.done));
    if (o.waitMs !== undefined && o.waitMs > 0 && this.#running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ends(), new Promise((resolve) => (timer = setTimeout(resolve, o.waitMs)))]);
      clearTimeout(timer);
    }
    for (const r of this.#running) r.abort();
    await ends();
  }
}
