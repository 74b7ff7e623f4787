// SPDX-License-Identifier: Apache-2.0
/**
 * Files the daemon writes, written safely: its run and state directories made 0700 and refused
 * when another user could change them (sshd's StrictModes: the directory and each parent up to a
 * root-owned one that others cannot write, or a root-owned sticky one such as /tmp, must be owned
 * by root or by us and not writable by group or others), and files replaced atomically through a
 * fresh temporary file opened without following symlinks (a link planted at the path is replaced,
 * never written through), with the mode given (0600 for anything holding a secret). And the first
 * line of a large one read alone.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LvsdError } from '../core/errors.js';

const STICKY = 0o1000;

/** Why `dir` (and its parents) could be changed by another user, or undefined when it cannot. */
export function unsafeDirectoryReason(
  dir: string,
  euid: number = process.geteuid?.() ?? 0,
): string | undefined {
  for (let p = resolve(dir); ; p = dirname(p)) {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return `${p} is a symbolic link`;
    if (!st.isDirectory()) return `${p} is not a directory`;
    if (st.uid !== 0 && st.uid !== euid) return `${p} is owned by uid ${st.uid}`;
    const othersWrite = (st.mode & 0o022) !== 0;
    if (othersWrite && !(st.uid === 0 && (st.mode & STICKY) !== 0))
      return `${p} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
    if (st.uid === 0 || p === dirname(p)) return undefined; // trusted from here up
  }
}

/** Create `dir` 0700 when missing; throw `LVSD_E_UNSAFE_PATH` when another user could change it. */
export function secureDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const why = unsafeDirectoryReason(dir);
  if (why !== undefined)
    throw new LvsdError(
      'LVSD_E_UNSAFE_PATH',
      `refusing ${dir}: ${why} (another user could change lvsd's files)`,
    );
}

/** The temporary file a `writeFileAtomic` of `path` by process `pid` writes before its rename. */
export const atomicTempPath = (path: string, pid: number = process.pid): string => `${path}.${pid}.tmp`;

/**
 * Replace `path` with `data` atomically: a new temporary file beside it (O_EXCL, O_NOFOLLOW, mode
 * `mode`), synced, then renamed over `path`. Readers never see half a file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  writeChunksAtomic(path, [data], mode);
}

/**
 * `writeFileAtomic` of the concatenation of `chunks`, written as they come: a 60 MB model file made
 * of lines is never one string or buffer in memory.
 */
export function writeChunksAtomic(path: string, chunks: Iterable<string | Uint8Array>, mode = 0o600): void {
  const tmp = atomicTempPath(path);
  rmSync(tmp, { force: true }); // unlink does not follow a link planted there
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    fchmodSync(fd, mode); // whatever the umask
    for (const data of chunks) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      // a write may be short (a signal, a full disk's last blocks): the rest, or the error
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true }); // a full disk: no half file left behind
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** `read` of the file at `path` opened for reading, closed after; `missing` when it cannot be opened. */
function readingFile<T>(path: string, missing: T, read: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch {
    return missing;
  }
  try {
    return read(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The first line of the file at `path` (without its newline), read in pieces until it ends: a 60 MB
 * model file's header without the rest. Undefined when the file is missing or has no newline
 * within `max` bytes.
 */
export function readFirstLine(path: string, max = 64 << 20): string | undefined {
  return readingFile(path, undefined, (fd) => {
    const pieces: Buffer[] = [];
    for (let total = 0; total < max;) {
      const piece = Buffer.allocUnsafe(Math.min(1 << 20, max - total));
      const n = readSync(fd, piece, 0, piece.length, total);
      if (n === 0) return undefined;
      const nl = piece.subarray(0, n).indexOf(0x0a);
      pieces.push(piece.subarray(0, nl < 0 ? n : nl));
      if (nl >= 0) return Buffer.concat(pieces).toString('utf8');
      total += n;
    }
    return undefined;
  });
}

/** The first `length` bytes of the file at `path` (fewer when it is shorter; none when it is missing). */
export function readFileStart(path: string, length: number): Buffer {
  return readingFile(path, Buffer.alloc(0), (fd) => {
    const out = Buffer.alloc(length);
    return out.subarray(0, readSync(fd, out, 0, length, 0));
  });
}
