// SPDX-License-Identifier: Apache-2.0
/**
 * MISC_CHECK: run a program (misc_path, split like a shell command line without a shell) with
 * misc_timeout; exit 0 = up, 1 = down; with misc_dynamic, exit 2..255 = up with weight exit-2,
 * otherwise any non-zero exit = down. A timed-out script's whole process group is killed.
 * With `user USER [GROUP]` (or global `script_user`) the script runs with that uid/gid, resolved
 * from /etc/passwd and /etc/group when the probe is made (not root: spawning fails with EPERM).
 * Also the notify-script runner used by the manager.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolveIds, type ResolvedIds } from '../config/users.js';
import type { Probe } from './probe.js';
import { fail } from './probe.js';
import type { ProbeResult } from './result.js';
import type { ScriptCommandSpec } from './types.js';

/** Split a command line: whitespace separates, single/double quotes group, backslash escapes. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

export interface ScriptOutcome {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  error?: string;
}

/** The uid/gid a script runs as. */
export interface RunAs {
  uid: number;
  gid: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const lookups = new Map<string, { at: number; ids: ResolvedIds }>();

/**
 * `user [group]` to ids from this machine's /etc/passwd and /etc/group. Answers are reused for a
 * few seconds: thousands of checkers made at start-up share one read of the files.
 */
export function lookupScriptUser(user: string, group?: string): ResolvedIds {
  const key = `${user}:${group ?? ''}`;
  const now = Date.now();
  const hit = lookups.get(key);
  if (hit && now - hit.at < 5000) return hit.ids;
  const ids = resolveIds(readText('/etc/passwd'), readText('/etc/group'), user, group);
  lookups.set(key, { at: now, ids });
  return ids;
}

/** Run a program (argv[0]) with a timeout; kills its process group on timeout or abort. */
export function runScript(
  argv: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
  runAs?: RunAs,
): Promise<ScriptOutcome> {
  const [cmd, ...args] = argv;
  if (cmd === undefined)
    return Promise.resolve({ code: null, signal: null, timedOut: false, error: 'empty command' });
  return new Promise((resolve) => {
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, { stdio: 'ignore', detached: true, ...(runAs ?? {}) });
    } catch (e) {
      resolve({
        code: null,
        signal: null,
        timedOut: false,
        error: (e as NodeJS.ErrnoException).code ?? String(e),
      });
      return;
    }
    const kill = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = (): void => kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (o: ScriptOutcome): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(o);
    };
    child.once('error', (e) =>
      done({ code: null, signal: null, timedOut, error: (e as NodeJS.ErrnoException).code ?? e.message }),
    );
    child.once('exit', (code, sig) => done({ code, signal: sig, timedOut }));
  });
}

/** Run a notify script as its user (see ScriptCommandSpec); an unknown user is an error outcome. */
export function runCommand(script: ScriptCommandSpec, timeoutMs: number): Promise<ScriptOutcome> {
  const ids = script.user !== undefined ? lookupScriptUser(script.user, script.group) : undefined;
  if (ids && !ids.ok)
    return Promise.resolve({ code: null, signal: null, timedOut: false, error: ids.reason });
  return runScript(script.argv, timeoutMs, undefined, ids ? { uid: ids.uid, gid: ids.gid } : undefined);
}

export function miscResult(o: ScriptOutcome, dynamic: boolean): ProbeResult {
  if (o.timedOut) return fail('timeout');
  if (o.error !== undefined) return fail(o.error);
  if (o.code === null) return fail(`killed by ${o.signal ?? 'signal'}`);
  if (o.code === 0) return { ok: true };
  if (o.code === 1 || !dynamic) return fail(`exit ${o.code}`);
  return { ok: true, weight: o.code - 2 };
}

export function miscProbe(
  argv: readonly string[],
  timeoutMs: number,
  dynamic: boolean,
  user?: { user: string; group?: string | undefined },
): Probe {
  return async (signal) => {
    // Looked up per run (cached a few seconds): a user created later is picked up.
    const ids = user ? lookupScriptUser(user.user, user.group) : undefined;
    if (ids && !ids.ok) return fail(ids.reason);
    const runAs = ids ? { uid: ids.uid, gid: ids.gid } : undefined;
    return miscResult(await runScript(argv, timeoutMs, signal, runAs), dynamic);
  };
}
