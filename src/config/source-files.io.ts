// SPDX-License-Identifier: Apache-2.0
/**
 * The real file system as the config lexer's `SourceHost`: bounded reads of configuration files and
 * include-pattern expansion. I/O (synchronous: the loader runs at start or in the reload validator's
 * own process, never on a daemon's event loop).
 *
 * Only regular files are read. A path is stat()ed before it is opened, so a device is never opened
 * at all (opening /dev/watchdog arms the hardware watchdog; a tape device rewinds), then opened
 * non-blocking (a FIFO that appeared meanwhile cannot hang the open) and checked again with fstat on
 * the descriptor, which is what is read. Reads stop one byte past the budget, so a file that grows
 * (or lies about its size, as /proc files do) cannot exceed it.
 */
import {
  type Stats,
  closeSync,
  constants,
  fstatSync,
  openSync,
  opendirSync,
  readSync,
  statSync,
} from 'node:fs';
import type { GlobOutcome, ReadOutcome } from './include.js';
import { settledAt, versionOf } from './load-inputs.io.js';

/** The errno of a failed call as the words a diagnostic uses. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  if (err.code === 'ENOTDIR') return 'a component of the path is not a directory';
  if (err.code === 'ELOOP') return 'too many levels of symbolic links';
  return err.code ?? String(e);
}

function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** Why `st` is not a file lvsd reads, or undefined. keepalived refuses the same (check_glob_file). */
function refusal(st: Stats): string | undefined {
  if (st.isDirectory()) return 'is a directory';
  if (!st.isFile()) return `not a regular file (${fileKind(st)})`;
  if (st.mode & 0o111) return 'is executable (keepalived reads no executable configuration file)';
  return undefined;
}

const tooLarge = (size: number): ReadOutcome => ({ ok: false, reason: `${size} bytes`, tooLarge: size });

/** Read a regular file of at most `maxBytes` bytes as UTF-8. Never blocks on a FIFO or device. */
export function readConfigFile(path: string, maxBytes: number): ReadOutcome {
  const readAt = Date.now();
  let fd: number;
  try {
    const refused = refusal(statSync(path));
    if (refused) return { ok: false, reason: refused };
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return { ok: false, reason: errnoText(e), missing: (e as NodeJS.ErrnoException).code === 'ENOENT' };
  }
  try {
    const st = fstatSync(fd);
    const refused = refusal(st);
    if (refused) return { ok: false, reason: refused };
    if (st.size > maxBytes) return tooLarge(st.size);
    // One byte more than allowed tells "exactly at the limit" from "over it".
    const cap = maxBytes + 1;
    let buf = Buffer.allocUnsafe(Math.min(cap, Math.max(st.size + 1, 64 * 1024)));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (buf.length >= cap) break;
        const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > maxBytes) return tooLarge(n);
    const text = buf.toString('utf8', 0, n);
    const v = fstatSync(fd, { bigint: true }); // (after the reading: a change during it moves ctime)
    const version = settledAt(v.ctimeNs, readAt) ? { version: versionOf(v) } : {};
    return { ok: true, text, id: `${st.dev}:${st.ino}`, bytes: n, ...version };
  } catch (e) {
    return { ok: false, reason: errnoText(e) };
  } finally {
    closeSync(fd);
  }
}

/** The identity readConfigFile gives a file (device and inode), or undefined when it has none. */
export function fileIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

function globToRegExp(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let cls = part.slice(i + 1, close);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

const isMagic = (part: string): boolean => /[*?[]/.test(part);

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Expand `*`, `?` and `[...]` per path segment (no `**`), sorted, like glob(3) without GLOB_PERIOD:
 * a leading `.` must be matched explicitly. Matched directories are returned apart; anything else
 * with the files (the reader refuses a FIFO or device with a located error, never skips it unseen). Directories
 * are listed entry by entry, at most `maxEntries` in all. `missing` says what a wildcard needed and
 * did not find (keepalived's "Config files missing").
 */
export function globSync(pattern: string, maxEntries = Infinity): GlobOutcome {
  const out: GlobOutcome = { paths: [], directories: [], missing: [], entriesRead: 0, truncated: false };
  const parts = pattern.split('/');
  let lastMagic = -1;
  parts.forEach((p, i) => {
    if (isMagic(p)) lastMagic = i;
  });
  let bases: string[] = [pattern.startsWith('/') ? '/' : '.'];
  for (let i = 0; i < parts.length && bases.length > 0; i++) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      const join = (name: string): string => (base === '/' ? `/${name}` : `${base}/${name}`);
      if (!isMagic(part)) {
        next.push(join(part));
        continue;
      }
      const re = globToRegExp(part);
      let dir;
      try {
        dir = opendirSync(base);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        out.missing.push(
          code === 'ENOENT' || code === 'ENOTDIR'
            ? `${base} does not exist`
            : `${base} cannot be listed (${errnoText(e)})`,
        );
        continue;
      }
      try {
        for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
          if (++out.entriesRead > maxEntries) {
            out.truncated = true;
            return out;
          }
          if (d.name.startsWith('.') && !part.startsWith('.')) continue;
          if (!re.test(d.name)) continue;
          const path = join(d.name);
          const dirLike = d.isDirectory() || (d.isSymbolicLink() && isDirectory(path));
          if (last && dirLike) out.directories.push(path);
          else if (last || dirLike) next.push(path);
        }
      } finally {
        dir.closeSync();
      }
    }
    bases = next;
  }
  // Names after the last wildcard were joined unseen: keep those that exist.
  if (lastMagic < parts.length - 1) {
    bases = bases.filter((p) => {
      if (exists(p)) return true;
      out.missing.push(`${p} does not exist`);
      return false;
    });
  }
  out.paths = bases.sort();
  out.directories.sort();
  return out;
}
