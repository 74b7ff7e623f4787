// SPDX-License-Identifier: Apache-2.0
/**
 * The daemon's process-level safety: one lvsd per run directory (an flock held for the process's
 * lifetime, the holder's pid written in the lock file for the message a second one prints), a
 * worker that dies with its supervisor (PR_SET_PDEATHSIG, with the race of a parent that died
 * before the call handled), and files removed only by the process that made them.
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { LvsdError } from '../core/errors.js';
import { native } from '../net/raw-socket.io.js';

/** A held lock; released when the process exits (the kernel drops it with the descriptor). */
export interface InstanceLock {
  readonly path: string;
  release(): void;
}

/** The pid written in a lock file, if any. */
function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take `<runDir>/<name>.lock` for this process, or throw `LVSD_E_RUNNING` ("another lvsd is running
 * (pid N)"). The file is opened without following a symlink and created 0600.
 */
export function takeInstanceLock(runDir: string, name: string, what = 'lvsd'): InstanceLock {
  const path = join(runDir, `${name}.lock`);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let locked = false;
  try {
    locked = native().flockExclusive(fd);
  } finally {
    if (!locked) closeSync(fd);
  }
  if (!locked) {
    const pid = holderOf(path);
    throw new LvsdError(
      'LVSD_E_RUNNING',
      `another ${what} is running${pid ? ` (pid ${pid})` : ''}: ${path} is locked`,
    );
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  return {
    path,
    release: () => {
      removeOwnFile(path, fstatSync(fd).ino);
      closeSync(fd);
    },
  };
}

/** Whether `<runDir>/<name>.lock` is held by a live process now (without keeping it). */
export function lockHolder(runDir: string, name: string): number | 'unknown' | undefined {
  const path = join(runDir, `${name}.lock`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
  } catch {
    return undefined; // no lock file: nobody holds it
  }
  try {
    if (native().flockExclusive(fd)) return undefined; // closing the descriptor drops it again
    return holderOf(path) ?? 'unknown';
  } finally {
    closeSync(fd);
  }
}

/** Remove `path` only if it is still the file this process made (same inode): never another's. */
export function removeOwnFile(path: string, ino: number): void {
  try {
    if (statSync(path).ino === ino) rmSync(path, { force: true });
  } catch {
    // gone already
  }
}

/**
 * Ask the kernel for SIGTERM when the parent (the supervisor) dies, so a worker never outlives it:
 * the VRRP worker then releases gracefully and the peer takes over in skew time. If the parent
 * died before the call, the signal never comes: then the parent is already not `expectedParent`
 * and the process signals itself.
 */
export function dieWithParent(expectedParent: number): void {
  const sigterm = osConstants.signals.SIGTERM;
  const parent = native().setParentDeathSignal(sigterm);
  if (parent !== expectedParent) process.kill(process.pid, 'SIGTERM');
}
