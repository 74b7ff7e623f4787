// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived's `include` variants and `include_check`, and the file-system port the lexer reads
 * through. Pure: files and directories are reached only through the injected `SourceHost`.
 *
 * keepalived (lib/parser.c since 2.2.0, read for facts only) has four checks: read (a match must be a
 * readable, regular, non-executable file), match (a named file or directory must exist), wildcard
 * match (a pattern must match something) and brace match (every `{a,b}` alternative must exist).
 * `includer`, `includem` (r+m), `includew` (r+m+w), `includeb` (r+b) and `includea` (all) add them
 * to the global `include_check` setting; plain `include` adds none and only logs. lvsd is stricter:
 * read and the match of a plain file name always apply, and whatever keepalived would only log is a
 * warning here, so an `include conf.d/*.conf` that matches nothing is never silent.
 */
import type { Severity, SourceLoc } from './model.js';

export const INCLUDE_READ = 1;
export const INCLUDE_MATCH = 2;
export const INCLUDE_WILDCARD = 4;
export const INCLUDE_BRACE = 8;
const allChecks = INCLUDE_READ | INCLUDE_MATCH | INCLUDE_WILDCARD | INCLUDE_BRACE;

/** The include keywords and the checks each adds (keepalived's `check_include`). */
export const includeVariants: Readonly<Record<string, number>> = {
  include: 0,
  includer: INCLUDE_READ,
  includem: INCLUDE_READ | INCLUDE_MATCH,
  includew: INCLUDE_READ | INCLUDE_MATCH | INCLUDE_WILDCARD,
  includeb: INCLUDE_READ | INCLUDE_BRACE,
  includea: allChecks,
};

export type ReadOutcome =
  | {
      ok: true;
      text: string;
      /** identifies the file (device and inode) */
      id: string;
      bytes: number;
      /**
       * The file's state as read, when a later change can be told from it (load-inputs.io.ts
       * `versionOf`): a reading kept while it holds
       */
      version?: string;
    }
  | { ok: false; reason: string; missing?: boolean; /** over the budget: the size seen */ tooLarge?: number };

export interface GlobOutcome {
  /** Matching paths (not directories), sorted. */
  paths: string[];
  /** Directories a wildcard matched (not read), sorted. */
  directories: string[];
  /** What a wildcard needed and did not find, as phrases: `/etc/lvsd/conf.d does not exist`. */
  missing: string[];
  entriesRead: number;
  /** Stopped after `maxEntries` directory entries. */
  truncated: boolean;
}

/** The file-system port of the expander. */
export interface SourceHost {
  /** Read a whole regular file of at most `maxBytes` bytes. */
  readFile(path: string, maxBytes: number): ReadOutcome;
  /** Paths matching an absolute pattern (`*`, `?`, `[...]` per segment; no braces). */
  glob(pattern: string, maxEntries: number): GlobOutcome;
}

const checkWords: Readonly<Record<string, number>> = {
  read: INCLUDE_READ,
  match: INCLUDE_MATCH,
  wildcard_match: INCLUDE_WILDCARD,
  brace_match: INCLUDE_BRACE,
};

export interface WordAt {
  text: string;
  loc: SourceLoc;
}

/**
 * `include_check [[+|-]read|match|wildcard_match|brace_match ...]` applied to `current`, as
 * keepalived's `include_check_set`: no word turns on every check; a bare word sets read plus that
 * check (only first); `+`/`-` add or remove one.
 */
export function applyIncludeCheck(
  current: number,
  words: readonly WordAt[],
): { flags: number; problems: Array<{ loc: SourceLoc; message: string }> } {
  if (words.length === 0) return { flags: allChecks, problems: [] };
  let flags = current;
  const problems: Array<{ loc: SourceLoc; message: string }> = [];
  words.forEach((w, i) => {
    const sign = w.text[0] === '+' || w.text[0] === '-' ? w.text[0] : '';
    const name = sign ? w.text.slice(1) : w.text;
    if (!sign && i > 0) {
      problems.push({
        loc: w.loc,
        message: `\`include_check\`: \`${w.text}\` after the first check needs + or - (keepalived ignores it)`,
      });
      return;
    }
    if (!sign) flags = 0;
    const flag = Object.hasOwn(checkWords, name) ? checkWords[name] : undefined;
    if (flag === undefined) {
      problems.push({
        loc: w.loc,
        message: `\`include_check\`: unknown check \`${name}\` (expected read, match, wildcard_match or brace_match)`,
      });
      return;
    }
    if (!sign) flags = INCLUDE_READ | flag;
    else if (sign === '+') flags |= flag;
    else flags &= ~flag;
  });
  return { flags, problems };
}

export function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

/** The first `{` with a matching `}` and the top-level alternatives between them; none: undefined. */
function firstBrace(s: string): { open: number; close: number; alts: string[] } | undefined {
  for (let open = s.indexOf('{'); open >= 0; open = s.indexOf('{', open + 1)) {
    if (open > 0 && s[open - 1] === '\\') continue;
    let depth = 0;
    let from = open + 1;
    const alts: string[] = [];
    for (let k = open + 1; k < s.length; k++) {
      const c = s[k];
      if (c === '\\') k++;
      else if (c === '{') depth++;
      else if (c === ',' && depth === 0) {
        alts.push(s.slice(from, k));
        from = k + 1;
      } else if (c === '}') {
        if (depth === 0) {
          alts.push(s.slice(from, k));
          return { open, close: k, alts };
        }
        depth--;
      }
    }
    // glibc: a `{` without its `}` makes the whole pattern one without braces.
    return undefined;
  }
  return undefined;
}

/**
 * csh-style brace expansion as glibc's GLOB_BRACE does it: `a{b,c{d,e}}f` -> abf, acdf, acef, in
 * that order. Undefined when it would give more than `max` patterns.
 */
export function expandBraces(pattern: string, max: number): string[] | undefined {
  const out: string[] = [];
  const stack = [pattern];
  while (stack.length > 0) {
    const s = stack.pop() as string;
    const b = firstBrace(s);
    if (!b) {
      out.push(s);
      continue;
    }
    const head = s.slice(0, b.open);
    const tail = s.slice(b.close + 1);
    for (let i = b.alts.length - 1; i >= 0; i--) stack.push(head + (b.alts[i] ?? '') + tail);
    if (out.length + stack.length > max) return undefined;
  }
  return out;
}

export interface IncludeFinding {
  severity: Severity;
  message: string;
}

export interface IncludePlan {
  /** Files to read, in order. */
  paths: string[];
  /** The pattern is a plain file name (no wildcard, no braces): a missing file is an error. */
  named: boolean;
  findings: IncludeFinding[];
  entriesRead: number;
  /** The directory-entry budget ran out. */
  truncated: boolean;
  /** Brace expansion gave more than `maxPatterns` patterns. */
  tooManyPatterns: boolean;
}

export interface PlanOptions {
  /** The include keyword (`include`, `includew`, ...). */
  variant: string;
  /** The `include_check` setting in force. */
  includeCheck: number;
  maxDirEntries: number;
  maxPatterns: number;
}

/** Which files an include pattern (already absolute) names, and what lvsd says about it. */
export function planInclude(host: SourceHost, pattern: string, o: PlanOptions): IncludePlan {
  const plan: IncludePlan = {
    paths: [],
    named: false,
    findings: [],
    entriesRead: 0,
    truncated: false,
    tooManyPatterns: false,
  };
  const braced = firstBrace(pattern) !== undefined;
  if (!braced && !hasWildcard(pattern)) {
    plan.paths.push(pattern);
    plan.named = true;
    return plan;
  }
  const alternatives = braced ? expandBraces(pattern, o.maxPatterns) : [pattern];
  if (!alternatives) {
    plan.tooManyPatterns = true;
    return plan;
  }
  const missing: string[] = [];
  const directories: string[] = [];
  for (const alt of alternatives) {
    const g = host.glob(alt, o.maxDirEntries - plan.entriesRead);
    plan.entriesRead += g.entriesRead;
    if (g.truncated) {
      plan.truncated = true;
      return plan;
    }
    plan.paths.push(...g.paths);
    directories.push(...g.directories);
    missing.push(...g.missing);
  }
  const variantFlags = includeVariants[o.variant] ?? 0;
  const flags = variantFlags | o.includeCheck;
  const by = (flag: number): string =>
    variantFlags & flag ? `\`${o.variant}\`` : '`include_check` in global_defs';
  const absent = missing.length
    ? `${missing[0]}${missing.length > 1 ? ` (and ${missing.length - 1} more missing)` : ''}`
    : '';
  const matchFlag = braced ? INCLUDE_BRACE : INCLUDE_MATCH;
  // keepalived skips a matched directory; with the read check that is an error.
  for (const d of directories) {
    plan.findings.push(
      flags & INCLUDE_READ
        ? { severity: 'error', message: `${d} is a directory (${by(INCLUDE_READ)} requires files)` }
        : { severity: 'warning', message: `${d} is a directory: skipped` },
    );
  }
  if (plan.paths.length === 0) {
    let severity: Severity = 'warning';
    let why = '';
    if (flags & INCLUDE_WILDCARD) [severity, why] = ['error', ` (${by(INCLUDE_WILDCARD)} requires a match)`];
    else if (missing.length && flags & matchFlag)
      [severity, why] = ['error', ` (${by(matchFlag)} requires it)`];
    plan.findings.push({
      severity,
      message: `no file matches ${pattern}${absent ? `: ${absent}` : ''}; nothing is included${why}`,
    });
  } else if (missing.length) {
    if (flags & INCLUDE_BRACE) {
      plan.paths = [];
      plan.findings.push({
        severity: 'error',
        message: `${pattern}: ${absent}; nothing is included (${by(INCLUDE_BRACE)} requires every file)`,
      });
    } else plan.findings.push({ severity: 'warning', message: `${pattern}: ${absent}` });
  }
  return plan;
}
