// SPDX-License-Identifier: Apache-2.0
/**
 * Scripts started without a fork (native/script_spawn.c: posix_spawn, a vfork in glibc), wrapped as
 * the part of a ChildProcess the runner uses: `pid`, `stdout`/`stderr` streams when captured, and
 * the events `error` (not started), `exit` (code, signal name) and `close` (after the pipes ended).
 *
 * Why: Node's child_process forks the daemon, so each script costs the event loop time in
 * proportion to the daemon's memory (1.3 ms at 93 MB on the host, ~16 ms in the emulated test VM;
 * bench/results/check-timing.md): MISC_CHECK every second on many reals held verdicts back. The
 * native start costs the same at any size. It cannot switch user: `spawnFast` returns undefined
 * for a run that must (and when the addon or pidfds are missing), and the runner forks as before;
 * so does a program the native start refuses (not found, not executable, no `#!` line: Node's
 * spawn then reports it, or runs it, exactly as before).
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { native } from '../net/raw-socket.io.js';

let supported: boolean | undefined;

function available(): boolean {
  if (supported === undefined) {
    try {
      supported = native().scriptSpawnSupported();
    } catch {
      supported = false;
    }
  }
  return supported;
}

/** Signal numbers to the names child_process gives them (the first of two names: SIGABRT, not SIGIOT). */
const signalNames = new Map<number, NodeJS.Signals>();
for (const [name, n] of Object.entries(constants.signals))
  if (!signalNames.has(n)) signalNames.set(n, name as NodeJS.Signals);

export interface FastSpawn {
  file: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  capture: boolean;
}

/** A bare program name looked up in the child's PATH, as child_process does; undefined: not found. */
function resolve(file: string, env: Readonly<Record<string, string>>): string | undefined {
  if (file.includes('/')) return file;
  for (const dir of (env['PATH'] ?? '').split(':')) {
    const p = join(dir === '' ? '.' : dir, file);
    try {
      accessSync(p, fsConstants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Start `file` as `child_process.spawn(file, args, { detached: true, env, stdio })` would, without
 * forking; undefined when it cannot (see the header): the caller spawns as before.
 */
export function spawnFast(o: FastSpawn): ChildProcess | undefined {
  if (!available()) return undefined;
  const path = resolve(o.file, o.env);
  if (path === undefined) return undefined;
  const child = new EventEmitter() as EventEmitter & {
    pid?: number;
    stdout: Socket | null;
    stderr: Socket | null;
  };
  child.stdout = null;
  child.stderr = null;
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  let started: { pid: number; stdout: number; stderr: number };
  try {
    started = native().spawnScript(path, [o.file, ...o.args], env, o.capture, (code, sig) => {
      child.emit('exit', code, sig === null ? null : (signalNames.get(sig) ?? null));
      closeWhenDrained();
    });
  } catch (e) {
    // started, but its exit could not be watched (it was killed): a failed start, not one to retry
    if ((e as NodeJS.ErrnoException).code === 'EWATCH') {
      process.nextTick(() => child.emit('error', e));
      return child as unknown as ChildProcess; // the runner's part of ChildProcess (see the header)
    }
    return undefined;
  }
  child.pid = started.pid;
  const open = new Set<Socket>();
  let exited = false;
  const closeWhenDrained = (): void => {
    exited = true;
    if (open.size === 0) child.emit('close');
  };
  for (const [key, fd] of [
    ['stdout', started.stdout],
    ['stderr', started.stderr],
  ] as const) {
    if (fd < 0) continue;
    const s = new Socket({ fd, readable: true, writable: false });
    s.on('error', () => s.destroy()); // a read error ends that output, as a closed pipe would
    open.add(s);
    s.once('close', () => {
      open.delete(s);
      if (exited && open.size === 0) child.emit('close');
    });
    child[key] = s;
  }
  return child as unknown as ChildProcess; // the runner's part of ChildProcess (see the header)
}
