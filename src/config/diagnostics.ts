// SPDX-License-Identifier: Apache-2.0
/**
 * Config diagnostics as data: a collector, the `file:line:col: error: message` format and the
 * "did you mean" suggestion (Levenshtein distance). Pure.
 */
import type { Diagnostic, Severity, SourceLoc } from './model.js';

type DiagCode = Diagnostic['code'];

/** Collects findings and keeps going; the caller decides validity from the worst severity. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  add(severity: Severity, code: DiagCode, loc: SourceLoc, message: string, keyword?: string): void {
    const d: Diagnostic = { severity, code, message, file: loc.file, line: loc.line, col: loc.col };
    if (keyword !== undefined) d.keyword = keyword;
    this.list.push(d);
  }

  error(loc: SourceLoc, message: string, keyword?: string): void {
    this.add('error', 'LVSD_E_CONFIG_INVALID', loc, message, keyword);
  }

  syntax(loc: SourceLoc, message: string, keyword?: string): void {
    this.add('error', 'LVSD_E_CONFIG_SYNTAX', loc, message, keyword);
  }

  warning(loc: SourceLoc, message: string, keyword?: string): void {
    this.add('warning', 'LVSD_E_CONFIG_INVALID', loc, message, keyword);
  }

  get errorCount(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }
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
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}
