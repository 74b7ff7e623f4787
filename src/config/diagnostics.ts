// SPDX-License-Identifier: Apache-2.0
/**
 * Config diagnostics as data: a bounded collector, the `file:line:col: error: message` format and
 * the "did you mean" suggestion (Levenshtein distance). Pure.
 */
import type { Diagnostic, Severity, SourceLoc } from './model.js';

type DiagCode = Diagnostic['code'];

/** A message, or a function that makes it (called only for a finding that is kept). */
export type MessageText = string | (() => string);

interface Kept {
  d: Diagnostic;
  message: MessageText;
  seq: number;
}

/** Longer messages are cut here: a finding quoting a 10 MB word must not print 10 MB. */
const maxMessageLength = 2000;

/** File, line, column, then the order found: the order findings are printed in. */
function before(a: Kept, b: Kept): boolean {
  if (a.d.file !== b.d.file) return a.d.file < b.d.file;
  if (a.d.line !== b.d.line) return a.d.line < b.d.line;
  if (a.d.col !== b.d.col) return a.d.col < b.d.col;
  return a.seq < b.seq;
}

/**
 * Collects findings and keeps going; the caller decides validity from the worst severity.
 * At most `cap` findings are kept, the first in file order (as `sortDiagnostics` orders them); the
 * rest are only counted, so a hostile file with millions of errors costs no memory for them, and a
 * message given as a function is never built for a finding that is not kept. Findings added with
 * `pinned` (a limit that stopped loading) are always kept.
 */
export class Diagnostics {
  private readonly kept: Kept[] = [];
  private readonly pins: Kept[] = [];
  private seq = 0;
  private errors = 0;
  private warnings = 0;
  private omittedErrors = 0;
  private omittedWarnings = 0;

  constructor(private readonly cap = Infinity) {}

  add(
    severity: Severity,
    code: DiagCode,
    loc: SourceLoc,
    message: MessageText,
    keyword?: string,
    pinned = false,
  ): void {
    const d: Diagnostic = { severity, code, message: '', file: loc.file, line: loc.line, col: loc.col };
    if (keyword !== undefined) d.keyword = keyword;
    if (severity === 'error') this.errors++;
    else this.warnings++;
    const k: Kept = { d, message, seq: this.seq++ };
    if (pinned) {
      this.pins.push(k);
      return;
    }
    const list = this.kept;
    const last = list[list.length - 1];
    if (list.length >= this.cap && (last === undefined || !before(k, last))) {
      this.omit(severity);
      return;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(list[mid] as Kept, k)) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, k);
    if (list.length > this.cap) this.omit((list.pop() as Kept).d.severity);
  }

  private omit(severity: Severity): void {
    if (severity === 'error') this.omittedErrors++;
    else this.omittedWarnings++;
  }

  error(loc: SourceLoc, message: MessageText, keyword?: string): void {
    this.add('error', 'LVSD_E_CONFIG_INVALID', loc, message, keyword);
  }

  syntax(loc: SourceLoc, message: MessageText, keyword?: string): void {
    this.add('error', 'LVSD_E_CONFIG_SYNTAX', loc, message, keyword);
  }

  warning(loc: SourceLoc, message: MessageText, keyword?: string): void {
    this.add('warning', 'LVSD_E_CONFIG_INVALID', loc, message, keyword);
  }

  /** A limit stopped loading: always shown, whatever else was found. */
  limit(loc: SourceLoc, message: string, keyword?: string): void {
    this.add('error', 'LVSD_E_CONFIG_LIMIT', loc, message, keyword, true);
  }

  /** The kept findings in file order, messages built. */
  get list(): Diagnostic[] {
    const all = this.pins.length
      ? [...this.kept, ...this.pins].sort((a, b) => (before(a, b) ? -1 : 1))
      : this.kept;
    return all.map((k) => {
      let m = typeof k.message === 'string' ? k.message : k.message();
      if (m.length > maxMessageLength) m = `${m.slice(0, maxMessageLength)}... (message cut)`;
      return { ...k.d, message: m };
    });
  }

  /** Every error found, kept or not. */
  get errorCount(): number {
    return this.errors;
  }

  /** Every warning found, kept or not. */
  get warningCount(): number {
    return this.warnings;
  }

  /** Findings counted but not kept. */
  get omitted(): { errors: number; warnings: number } {
    return { errors: this.omittedErrors, warnings: this.omittedWarnings };
  }
}

/** A finding as `Diagnostics.add` takes it, kept to be given again (config/incremental.ts). */
export type Finding = Parameters<Diagnostics['add']>;

/** Findings passed on to `target` as they come, each also noted in `findings`. */
export class RecordingDiagnostics extends Diagnostics {
  constructor(
    private readonly target: Diagnostics,
    readonly findings: Finding[] = [],
  ) {
    super();
  }

  override add(...f: Finding): void {
    this.findings.push(f);
    this.target.add(...f);
  }
}

/** Give `findings` again to `diags`, in their order. */
export function replayFindings(diags: Diagnostics, findings: readonly Finding[]): void {
  for (const f of findings) diags.add(...f);
}

/**
 * The line that stands for findings not kept ("N more"): about the file as a whole (line 0), an
 * error when any of them is one. Undefined when nothing was left out.
 */
export function omittedSummary(
  file: string,
  omitted: { errors: number; warnings: number },
): Diagnostic | undefined {
  const n = omitted.errors + omitted.warnings;
  if (n === 0) return undefined;
  const parts = [
    omitted.errors ? `${omitted.errors} error${omitted.errors === 1 ? '' : 's'}` : '',
    omitted.warnings ? `${omitted.warnings} warning${omitted.warnings === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return {
    severity: omitted.errors ? 'error' : 'warning',
    code: 'LVSD_E_CONFIG_LIMIT',
    message: `${n} more not shown (${parts.join(', ')})`,
    file,
    line: 0,
    col: 0,
  };
}

/** `file:line:col: error: message` (or `warning:`); `file: error: message` for a whole file (line 0). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === 0 ? d.file : `${d.file}:${d.line}:${d.col}`;
  return `${where}: ${d.severity}: ${d.message}`;
}

/**
 * A file that could not be read at all (the configuration, or the Model a worker is given): it has
 * no position (line and column 0), and `lvsd check-config` exits 2 on it rather than 1.
 */
export function unreadableFile(file: string, what: string, reason: string): Diagnostic {
  return {
    severity: 'error',
    code: 'LVSD_E_CONFIG_IO',
    message: `cannot read ${what}: ${reason}`,
    file,
    line: 0,
    col: 0,
  };
}

export function isUnreadableFile(d: Diagnostic): boolean {
  return d.code === 'LVSD_E_CONFIG_IO' && d.line === 0;
}

/** Diagnostics in file order (stable for equal positions). */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (a.d.file < b.d.file ? -1 : a.d.file > b.d.file ? 1 : 0) ||
        a.d.line - b.d.line ||
        a.d.col - b.d.col ||
        a.i - b.i,
    )
    .map((x) => x.d);
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a distance that scales with the word's length, if any. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  // No keyword is this long: a huge word (a binary file read as text) must not cost seconds.
  if (word.length > 64) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    // The distance is at least the difference in length.
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}
