// SPDX-License-Identifier: Apache-2.0
/**
 * The one notify-FIFO writer (VRRP `vrrp_notify_fifo`, LVS `lvs_notify_fifo`, global `notify_fifo`).
 *
 * - A missing FIFO is created, mode 0600 (less the umask; keepalived 2.2.7 makes it 0644).
 * - Only a FIFO is ever opened, and only one owned by lvsd's user or root: a regular file, a
 *   symlink (even to a FIFO), a device or anything else at the path is refused and left as it is.
 *   The path is checked with lstat before open and the open file with fstat after it, opened
 *   O_NOFOLLOW, so a file swapped in between is refused too (keepalived checks the same after open).
 * - Opened O_RDWR|O_NONBLOCK as keepalived does: with no reader, opening neither blocks nor fails,
 *   and writes go to the pipe buffer; a full FIFO (a reader not keeping up) drops the line, counted.
 * - A FIFO lvsd created is left in place at close (the VRRP and LVS workers may share one, and
 *   each restarts on its own).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, writeSync, type Stats } from 'node:fs';
import type { Logger } from '../core/log.js';
import { makeFifo } from '../net/raw-socket.io.js';

/** Mode of a FIFO lvsd creates. */
export const FIFO_MODE = 0o600;

export type FifoOpen = { ok: true; fd: number; created: boolean } | { ok: false; reason: string };

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a FIFO';
}

function errnoOf(e: unknown): string {
  const err = e as { errno?: unknown; code?: unknown; message?: unknown };
  if (typeof err.errno === 'string') return err.errno; // SocketError from the addon
  return typeof err.code === 'string' ? err.code : String(err.message ?? e);
}

/** Why a FIFO at `st` may not be written, or undefined when it may. */
function refusal(st: Stats): string | undefined {
  if (!st.isFIFO()) return `${kindOf(st)} is at the path, not a FIFO`;
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== me && st.uid !== 0) return `the FIFO is owned by uid ${st.uid}, not by lvsd's user or root`;
  return undefined;
}

/** Create (when missing) and open the notify FIFO at `path`, or say why not. */
export function openNotifyFifo(path: string): FifoOpen {
  let created = false;
  let before: Stats | undefined;
  try {
    before = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, reason: errnoOf(e) };
  }
  if (before) {
    const why = refusal(before);
    if (why !== undefined) return { ok: false, reason: why };
  } else {
    try {
      makeFifo(path, FIFO_MODE);
      created = true;
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') return { ok: false, reason: `cannot create it: ${errnoOf(e)}` };
    }
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
  } catch (e) {
    const code = errnoOf(e);
    return { ok: false, reason: code === 'ELOOP' ? 'a symbolic link is at the path, not a FIFO' : code };
  }
  const why = refusal(fstatSync(fd));
  if (why !== undefined) {
    closeSync(fd);
    return { ok: false, reason: why };
  }
  return { ok: true, fd, created };
}

/** The FIFOs of one worker: every line goes to each of them. */
export class NotifyFifos {
  readonly #fds: { path: string; fd: number; dropping: boolean }[] = [];
  readonly #log: Logger;
  /** Lines written to a FIFO, and lines dropped because a FIFO was full. */
  readonly counters = { written: 0, dropped: 0 };

  /** Open each path (each once); one that is refused is logged and left out. */
  constructor(paths: readonly string[], log: Logger) {
    this.#log = log;
    for (const path of new Set(paths)) {
      const r = openNotifyFifo(path);
      if (r.ok) {
        this.#fds.push({ path, fd: r.fd, dropping: false });
        if (r.created) log.info('notify FIFO created', { path, mode: FIFO_MODE.toString(8) });
      } else log.error('notify FIFO not used', { path, reason: r.reason });
    }
  }

  /** FIFOs open for writing. */
  get open(): number {
    return this.#fds.length;
  }

  /** Write `line` (keepalived's format, newline-terminated) to every FIFO; returns the drops. */
  write(line: string): number {
    if (this.#fds.length === 0) return 0; // every state change of every instance comes here
    const buf = Buffer.from(line, 'utf8');
    let dropped = 0;
    for (const f of this.#fds) {
      let n = 0;
      try {
        n = writeSync(f.fd, buf);
      } catch {
        // EAGAIN: the reader is not keeping up
      }
      if (n === buf.length) {
        this.counters.written++;
        f.dropping = false;
        continue;
      }
      dropped++;
      this.counters.dropped++;
      // one warning per run of drops, not one per line
      if (!f.dropping) this.#log.warn('notify FIFO full, lines dropped', { path: f.path });
      f.dropping = true;
    }
    return dropped;
  }

  close(): void {
    for (const f of this.#fds.splice(0)) {
      try {
        closeSync(f.fd);
      } catch {
        // already closed: nothing to release
      }
    }
  }
}
