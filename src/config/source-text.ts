// SPDX-License-Identifier: Apache-2.0
/**
 * Logical lines of keepalived.conf source and where each of their characters came from, plus the
 * path arithmetic of includes. Pure. A logical line is one or more physical lines joined by `\`
 * continuations, or the text a parameter expanded to; its segments map every offset back to a
 * file, line and column (substituted text reports the position of its `$`).
 */
import type { SourceLoc } from './model.js';

/** A run of characters of a logical line and where it came from. */
export interface Segment {
  start: number;
  line: number;
  col: number;
  /** Substituted text: every character reports the `$` position. */
  fixed: boolean;
}

export interface LogicalLine {
  text: string;
  segs: Segment[];
}

/** The segment holding `offset` (binary search: a long continued line has many segments). */
export function segmentAt(l: LogicalLine, offset: number): Segment | undefined {
  let lo = 0;
  let hi = l.segs.length - 1;
  let found = l.segs[0];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const seg = l.segs[mid] as Segment;
    if (seg.start <= offset) {
      found = seg;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function locAt(file: string, l: LogicalLine, offset: number): SourceLoc {
  const seg = segmentAt(l, offset);
  if (!seg) return { file, line: 1, col: 1 };
  return { file, line: seg.line, col: seg.fixed ? seg.col : seg.col + (offset - seg.start) };
}

/** The line from offset `from` on. */
export function sliceLine(l: LogicalLine, from: number): LogicalLine {
  const segs: Segment[] = [];
  for (let i = 0; i < l.segs.length; i++) {
    const seg = l.segs[i] as Segment;
    const next = l.segs[i + 1]?.start ?? Infinity;
    if (next <= from) continue;
    const f = Math.max(seg.start, from);
    segs.push({ ...seg, start: f - from, col: seg.fixed ? seg.col : seg.col + (f - seg.start) });
  }
  return { text: l.text.slice(from), segs };
}

/** Split at `\n` (a multi-line parameter value), each piece keeping its locations. */
export function splitLines(l: LogicalLine): LogicalLine[] {
  if (!l.text.includes('\n')) return [l];
  const out: LogicalLine[] = [];
  let start = 0;
  for (;;) {
    const nl = l.text.indexOf('\n', start);
    const end = nl < 0 ? l.text.length : nl;
    const segs: Segment[] = [];
    for (let si = 0; si < l.segs.length; si++) {
      const s = l.segs[si] as Segment;
      const sEnd = l.segs[si + 1]?.start ?? l.text.length + 1;
      if (sEnd <= start || s.start >= end) continue;
      const from = Math.max(s.start, start);
      segs.push({ ...s, start: from - start, col: s.fixed ? s.col : s.col + (from - s.start) });
    }
    out.push({ text: l.text.slice(start, end), segs });
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/** Physical lines of a file's text, one at a time (no array of millions of lines). */
export class LineReader {
  private pos: number;
  /** The 1-based number of the line `next()` returned last. */
  lineNo: number;

  /** `firstLine`: the number of the text's first line [1]. */
  constructor(
    private readonly text: string,
    firstLine = 1,
  ) {
    this.lineNo = firstLine - 1;
    // A UTF-8 byte order mark (editors on other systems add one) is not part of the first keyword.
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /** The next line without its `\n` (or `\r\n`); undefined after the last. */
  next(): string | undefined {
    const t = this.text;
    if (this.pos > t.length) return undefined;
    const nl = t.indexOf('\n', this.pos);
    const end = nl < 0 ? t.length : nl;
    const cut = nl > 0 && t.charCodeAt(nl - 1) === 13 && nl - 1 >= this.pos ? end - 1 : end;
    const line = t.slice(this.pos, cut);
    this.pos = end + 1;
    this.lineNo++;
    return line;
  }
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

/** `rel` against the directory of `base`, `.` and `..` resolved by name. */
export function resolvePath(base: string, rel: string): string {
  const joined = rel.startsWith('/') ? rel : `${dirOf(base)}/${rel}`;
  const out: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return (joined.startsWith('/') ? '/' : '') + out.join('/');
}

/** Space, tab, CR, LF, VT, FF. */
export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
