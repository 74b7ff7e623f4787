// SPDX-License-Identifier: Apache-2.0
/**
 * Decoder of the records native/proc_events.c produces from the kernel's proc connector and from
 * its scan of /proc. Pure. Layout (little-endian, each record padded to 4 bytes): u8 kind, u8
 * flags (1: comm and command line were read), u16 command-line length, i32 pid, i32 parent pid
 * (fork) or error (ack), char comm[16] (NUL padded), then the command line (NUL-separated words,
 * as /proc/PID/cmdline has them, possibly cut at the length the reader asked for).
 */
import type { Buffer } from 'node:buffer';

export const PROC_RECORD_HEADER = 28;

/** What the kernel (or the scan) said about one process. */
export type ProcRecord =
  /** A running process found by the scan of /proc (zombies left out). */
  | { readonly kind: 'scan'; readonly pid: number; readonly comm: string; readonly cmdline: Buffer }
  /** A process (not a thread) was forked. */
  | { readonly kind: 'fork'; readonly pid: number; readonly parent: number }
  /** A process exec'd; comm and command line as read just after, absent when it was already gone. */
  | {
      readonly kind: 'exec';
      readonly pid: number;
      readonly info?: { readonly comm: string; readonly cmdline: Buffer };
    }
  /** A process changed its name (prctl PR_SET_NAME, or a write to /proc/PID/comm). */
  | { readonly kind: 'comm'; readonly pid: number; readonly comm: string }
  | { readonly kind: 'exit'; readonly pid: number }
  /** The socket's buffer overflowed: events were lost (a rescan is due). */
  | { readonly kind: 'overflow' }
  /** The kernel's answer to the listen request (error 0: events will come). */
  | { readonly kind: 'ack'; readonly error: number };

const KINDS = [undefined, 'scan', 'fork', 'exec', 'comm', 'exit', 'overflow', 'ack'] as const;

function commOf(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 || end > at + 16 ? at + 16 : end);
}

/** Decode a batch; a truncated or unknown record ends the batch (the addon never writes one). */
export function decodeProcRecords(b: Buffer): ProcRecord[] {
  const out: ProcRecord[] = [];
  let o = 0;
  while (o + PROC_RECORD_HEADER <= b.length) {
    const kind = KINDS[b[o] ?? 0];
    const flags = b[o + 1] ?? 0;
    const clen = b.readUInt16LE(o + 2);
    const pid = b.readInt32LE(o + 4);
    const other = b.readInt32LE(o + 8);
    const size = (PROC_RECORD_HEADER + clen + 3) & ~3;
    if (kind === undefined || o + PROC_RECORD_HEADER + clen > b.length) break;
    const comm = commOf(b, o + 12);
    const cmdline = b.subarray(o + PROC_RECORD_HEADER, o + PROC_RECORD_HEADER + clen);
    switch (kind) {
      case 'scan':
        out.push({ kind, pid, comm, cmdline });
        break;
      case 'fork':
        out.push({ kind, pid, parent: other });
        break;
      case 'exec':
        out.push(flags & 1 ? { kind, pid, info: { comm, cmdline } } : { kind, pid });
        break;
      case 'comm':
        out.push({ kind, pid, comm });
        break;
      case 'exit':
        out.push({ kind, pid });
        break;
      case 'overflow':
        out.push({ kind });
        break;
      case 'ack':
        out.push({ kind, error: other });
        break;
    }
    o += size;
  }
  return out;
}

/**
 * /proc/PID/cmdline bytes → argv. Words end with a NUL; a command line a process rewrote (e.g.
 * "nginx: worker process") may have none, and is then one word.
 */
export function argvOf(cmdline: Buffer): string[] {
  if (cmdline.length === 0) return [];
  const words = cmdline.toString('utf8').split('\0');
  if (words.at(-1) === '') words.pop();
  return words;
}
