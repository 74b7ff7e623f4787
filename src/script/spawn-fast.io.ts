// SPDX-License-Identifier: Apache-2.0
/**
 * Scripts started without a fork (native/script_spawn.c: posix_spawn, a vfork in glibc, on a libuv
 * pool thread), wrapped as the part of a ChildProcess the runner uses: `pid` (set once started),
 * `stdout`/`stderr` streams when captured, and the events `spawn` (started), `error` (not started),
 * `exit` (code, signal name) and `close` (after the pipes ended).
 *
 * Why: Node's child_process forks the daemon, so each script costs the event loop time in
 * proportion to the daemon's memory (1.3 ms at 93 MB on the host, ~16 ms in the emulated test VM;
 * bench/results/check-timing.md): MISC_CHECK every second on many reals held verdicts back. The
 * native start costs the same at any size, and off the event loop's thread (the wait for the exec
 * of a vfork: ~0.2 ms on a quiet host, ~1 ms with both cores busy, ~16 ms under emulation), where
 * the program is also found as child_process finds it (a bare name in the child's PATH, a file
 * without `#!` run by /bin/sh) and a program that cannot start is reported as child_process
 * reports it (`error`, its errno's name: ENOENT, EACCES). It cannot switch user: `spawnFast`
 * returns undefined for a run that must (and when the addon or pidfds are missing), and the runner
 * forks as before.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
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

const notStarted = (errno: number): NodeJS.ErrnoException =>
  errno < 0
    ? Object.assign(new Error("cannot watch the script's exit: killed"), { code: 'EWATCH' })
    : Object.assign(new Error(`spawn ${getSystemErrorName(-errno)}`), {
        code: getSystemErrorName(-errno),
        errno: -errno,
      });

/**
 * Start `file` as `child_process.spawn(file, args, { detached: true, env, stdio })` would, without
 * forking; undefined when it cannot (see the header): the caller spawns as before.
 */
export function spawnFast(o: FastSpawn): ChildProcess | undefined {
  if (!available()) return undefined;
  const child = new EventEmitter() as EventEmitter & {
    pid?: number;
    stdout: Socket | null;
    stderr: Socket | null;
  };
  child.stdout = null;
  child.stderr = null;
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  let started: { stdout: number; stderr: number };
  try {
    started = native().spawnScript(
      o.file,
      [o.file, ...o.args],
      env,
      o.capture,
      (errno, pid) => {
        if (errno !== 0) return void child.emit('error', notStarted(errno));
        child.pid = pid;
        child.emit('spawn');
      },
      (code, sig) => {
        child.emit('exit', code, sig === null ? null : (signalNames.get(sig) ?? null));
        closeWhenDrained();
      },
    );
  } catch {
    return undefined; // arguments the addon refuses, or no pipes to be had: child_process reports why
  }
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
