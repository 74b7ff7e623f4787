// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived.conf source expansion and tokens. Pure: files are read through the injected
 * `SourceHost` (source-files.io.ts gives the real one). Per physical line, in keepalived's order:
 * line continuation (`\`), `@ID` / `@^ID` conditionals, `#` / `!` comments, `$NAME=value`
 * parameter definitions (multi-line with `\`), `${NAME}` / `$NAME` / `${_ENV NAME}` substitution
 * (params.ts), `include` and its variants (include.ts: globs and braces, relative to the including
 * file, cycles detected), `include_check`, then words, quoted strings and braces. Every token
 * carries its source location; substituted text is located at its `$`.
 * Bounded (limits.ts): files, bytes, include depth, words and braces, continued lines, directory
 * entries and expanded text; a limit that is reached stops the expansion with one located error.
 * Hand-written: no maintained JavaScript parser of keepalived.conf exists, and the language is
 * line-oriented with preprocessing (conditionals, parameters re-read after expansion) that general
 * grammar tools do not model; keepalived's own C parser is GPL and is read for facts only.
 */
import type { Diagnostics } from './diagnostics.js';
import { type SourceHost, type WordAt, applyIncludeCheck, planInclude } from './include.js';
import { type LoadLimits, defaultLimits, formatBytes, limitVariables } from './limits.js';
import type { Diagnostic, Severity, SourceLoc } from './model.js';
import { type Budget, type ParamState, define, substitute, unusedBudget } from './params.js';
import {
  type LogicalLine,
  type Segment,
  LineReader,
  isSpace,
  locAt,
  resolvePath,
  sliceLine,
  splitLines,
} from './source-text.js';

export type { GlobOutcome, ReadOutcome, SourceHost } from './include.js';

export type TokenKind = 'word' | 'open' | 'close' | 'eol';

export interface Token {
  kind: TokenKind;
  /** The word (quotes removed) or `{` / `}`; empty for eol. */
  text: string;
  quoted: boolean;
  loc: SourceLoc;
}

export interface LexOptions {
  configId: string;
  env: Record<string, string | undefined>;
  /** [defaultLimits] */
  limits?: LoadLimits;
  /** Bytes of the main file's text, counted against `limits.maxBytes` [its length]. */
  mainBytes?: number;
  /**
   * The line number of the text's first line [1]: a part of a file read again alone
   * (config/incremental.ts), its locations those of the whole file.
   */
  firstLine?: number;
}

export interface LexResult {
  tokens: Token[];
  files: string[];
  /** A limit was reached: the tokens are incomplete. */
  stopped: boolean;
}

/** The `@ID` / `@^ID` ids one file names, for the "none of them is in use" warning. */
interface Conditionals {
  ids: Set<string>;
  first: SourceLoc | undefined;
  matched: boolean;
}

interface State extends ParamState {
  host: SourceHost;
  configId: string;
  limits: LoadLimits;
  tokens: Token[];
  files: string[];
  /** Identities of the files being read, outermost first. */
  stack: string[];
  wordCount: number;
  bytes: number;
  filesRead: number;
  dirEntries: number;
  /** keepalived's `include_check` flags in force (include.ts). */
  includeCheck: number;
  conds: Conditionals;
  /** Include findings already given: a file read along many include chains repeats them. */
  reported: Set<string>;
}

/** Report an include finding once for each place and message. */
function reportOnce(
  st: State,
  severity: Severity,
  code: Diagnostic['code'],
  loc: SourceLoc,
  message: string,
  keyword?: string,
): void {
  const key = `${severity}:${loc.file}:${loc.line}:${loc.col}:${message}`;
  if (st.reported.has(key)) return;
  st.reported.add(key);
  st.diags.add(severity, code, loc, message, keyword);
}

/** Expand `mainFile` (already read as `text`; `id` identifies it) into tokens, reading includes through `host`. */
export function lexSource(
  mainFile: string,
  text: string,
  id: string,
  host: SourceHost,
  opts: LexOptions,
  diags: Diagnostics,
): LexResult {
  const limits = opts.limits ?? defaultLimits;
  const st: State = {
    host,
    configId: opts.configId,
    env: opts.env,
    limits,
    diags,
    params: new Map(),
    warned: new Set(),
    expanded: 0,
    maxExpanded: limits.maxBytes,
    stopped: false,
    tokens: [],
    files: [],
    stack: [],
    wordCount: 0,
    bytes: opts.mainBytes ?? text.length,
    filesRead: 1,
    dirEntries: 0,
    includeCheck: 0,
    conds: { ids: new Set(), first: undefined, matched: false },
    reported: new Set(),
  };
  processFile(st, mainFile, text, id, opts.firstLine ?? 1);
  return { tokens: st.tokens, files: st.files, stopped: st.stopped };
}

function processFile(st: State, file: string, text: string, id: string, firstLine = 1): void {
  st.files.push(file);
  st.stack.push(id);
  const outerConds = st.conds;
  st.conds = { ids: new Set(), first: undefined, matched: false };
  const hasNul = text.includes('\0');
  if (hasNul) reportNul(st, file, text);
  const lines = new LineReader(text, firstLine);
  for (let first = lines.next(); first !== undefined && !st.stopped; first = lines.next()) {
    // Blank lines are most of some files: nothing to do for them.
    if (first.length === 0 || (isSpace(first.charCodeAt(0)) && !/\S/.test(first))) continue;
    const lineNo = lines.lineNo;
    // keepalived ignores a line with a NUL in it (with an error, given once per file above).
    if (hasNul && first.includes('\0')) continue;
    // The conditional applies to the first physical line (and so to all its continuations).
    const cond = first.includes('@')
      ? matchConditional(st, first, (col) => ({ file, line: lineNo, col: col + 1 }))
      : 0;
    if (cond === 'skip') {
      for (let cur = first; trailingBackslash(cur) >= 0;) {
        const next = lines.next();
        if (next === undefined) break;
        cur = next;
      }
      continue;
    }
    const body = first.slice(cond);
    const isDef = body.includes('$') && /^\s*\$[A-Za-z_][A-Za-z0-9_]*=/.test(body);
    const logical = joinContinued(st, lines, body, { file, line: lineNo, col: cond + 1 }, isDef);
    if (logical) handleLogicalLine(st, file, logical, isDef);
  }
  warnUnmatchedConditionals(st);
  st.conds = outerConds;
  st.stack.pop();
}

/**
 * The logical line starting with `body`: following physical lines joined while a line ends in
 * `\` (with a space, or a newline inside a parameter definition). Undefined (reported) when it
 * goes on for more than `maxContinuedLines` lines: its segments would grow without bound.
 */
function joinContinued(
  st: State,
  lines: LineReader,
  first: string,
  at: SourceLoc,
  isDef: boolean,
): LogicalLine | undefined {
  const pieces: string[] = [];
  const segs: Segment[] = [];
  let length = 0;
  let tooLong = false;
  let body = first;
  let line = at.line;
  let col = at.col;
  for (;;) {
    const bs = trailingBackslash(body);
    const cont = bs >= 0 && commentStart(body) >= bs;
    if (!tooLong) {
      const piece = cont ? body.slice(0, bs) : body;
      segs.push({ start: length, line, col, fixed: false });
      pieces.push(piece);
      length += piece.length + 1;
    }
    if (!cont) break;
    const next = lines.next();
    if (next === undefined) break;
    if (!tooLong && pieces.length >= st.limits.maxContinuedLines) {
      tooLong = true;
      st.diags.syntax(at, `a line continued with \\ over more than ${st.limits.maxContinuedLines} lines`);
    }
    body = next;
    line = lines.lineNo;
    col = 1;
  }
  if (tooLong) return undefined;
  return { text: pieces.length === 1 ? (pieces[0] as string) : pieces.join(isDef ? '\n' : ' '), segs };
}

function reportNul(st: State, file: string, text: string): void {
  const at = text.indexOf('\0');
  const lineStart = text.lastIndexOf('\n', at) + 1;
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < at; k = text.indexOf('\n', k + 1)) line++;
  st.diags.syntax(
    { file, line, col: at - lineStart + 1 },
    'NUL character: this is not a text file? (lines holding one are ignored, as keepalived does)',
  );
}

/** Where the `\` is that only white space follows, or -1 (a hand-written /\\\s*$/: 30 M lines). */
function trailingBackslash(s: string): number {
  let k = s.length - 1;
  while (k >= 0) {
    const c = s.charCodeAt(k);
    if (isSpace(c) || (c > 127 && /\s/.test(s[k] ?? ''))) k--;
    else break;
  }
  return k >= 0 && s.charCodeAt(k) === 92 ? k : -1;
}

/**
 * 'skip', or the offset where the line's content starts (after a matching `@ID `). The id is noted
 * for the file's conditionals warning; `at` locates a column of the line.
 */
function matchConditional(st: State, line: string, at: (col: number) => SourceLoc): number | 'skip' {
  const m = /^(\s*)@(\^?)([^\s]*)(\s*)/.exec(line);
  if (!m) return 0;
  const negate = m[2] === '^';
  const id = m[3] ?? '';
  const matches = id === st.configId;
  const c = st.conds;
  if (matches) c.matched = true;
  else if (id !== '' && c.ids.size < 20) c.ids.add(id);
  c.first ??= at((m[1] ?? '').length);
  if (matches === negate) return 'skip';
  return m[0].length;
}

/**
 * A file whose conditionals all name other ids is most likely read with the wrong `--config-id`
 * (keepalived's default is the short hostname, which a migrated pair rarely uses): every `@ID`
 * line of it is silently skipped and every `@^ID` line applies.
 */
function warnUnmatchedConditionals(st: State): void {
  const c = st.conds;
  if (c.matched || c.ids.size === 0 || !c.first) return;
  const ids = [...c.ids].map((i) => `\`${i}\``).join(', ');
  reportOnce(
    st,
    'warning',
    'LVSD_E_CONFIG_INVALID',
    c.first,
    `the \`@\` conditionals of this file name ${ids}, none of which is the config id in use, ` +
      `\`${st.configId}\`: its @ID lines are skipped and its @^ID lines apply (--config-id sets the id; ` +
      'the default is the short hostname)',
  );
}

/** Offset of the first `#` or `!` that begins a word outside quotes, or the length. */
function commentStart(s: string): number {
  if (!s.includes('#') && !s.includes('!')) return s.length;
  let inQuote = false;
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && (c === '#' || c === '!')) {
      const prev = k === 0 ? ' ' : (s[k - 1] ?? ' ');
      if (/\s/.test(prev) || prev === '{' || prev === '}') return k;
    }
  }
  return s.length;
}

function handleLogicalLine(st: State, file: string, l: LogicalLine, isDef: boolean): void {
  const cut = commentStart(l.text);
  const text = cut === l.text.length ? l.text : l.text.slice(0, cut);
  if (!/\S/.test(text)) return;
  if (isDef && define(st, text)) {
    // A definition is kept until the end: it counts as a word, so millions of them are bounded too.
    countWord(st, { file, line: l.segs[0]?.line ?? 1, col: l.segs[0]?.col ?? 1 });
    return;
  }
  if (st.warned.size > 0) st.warned.clear();
  // No new objects for the common line (no comment, no `$`): 67,000 lines in a 10,000-real config.
  const line = text === l.text ? l : { text, segs: l.segs };
  processExpanded(st, file, line, text.includes('$') ? { left: 10_000, reported: false } : unusedBudget, 0);
}

/**
 * Substitute one level and read the result again, line by line, as keepalived does: expanded
 * text may hold `@ID` conditionals, `$NAME=` definitions (applied in order, so a multi-line
 * value can set a parameter for the lines after it) and further parameters.
 */
function processExpanded(st: State, file: string, l: LogicalLine, budget: Budget, depth: number): void {
  const sub = substitute(st, file, l, budget, depth);
  if (sub === l) {
    emitLine(st, file, l);
    return;
  }
  for (const piece of splitLines(sub)) {
    if (st.stopped) return;
    let p = piece;
    if (/^\s*@/.test(p.text)) {
      const cond = matchConditional(st, p.text, (col) => locAt(file, piece, col));
      if (cond === 'skip') continue;
      p = sliceLine(p, cond);
    }
    if (!/\S/.test(p.text)) continue;
    if (p.text.includes('$') && define(st, p.text)) {
      countWord(st, locAt(file, p, 0));
      continue;
    }
    processExpanded(st, file, p, budget, depth + 1);
  }
}

function emitLine(st: State, file: string, l: LogicalLine): void {
  if (st.stopped) return;
  if (l.text.includes('include')) {
    const m = /^\s*(include[rmwba]?|include_check)(\s|$)/.exec(l.text);
    if (m?.[1] === 'include_check') return includeCheckLine(st, file, l);
    if (m) return handleInclude(st, file, l);
  }
  tokenize(st, file, l);
}

/**
 * `include_check` takes effect while the files are read, as in keepalived (from the line on; an
 * included file's setting ends with that file). Its tokens still reach the parser, where
 * global_defs accepts it.
 */
function includeCheckLine(st: State, file: string, l: LogicalLine): void {
  const before = st.tokens.length;
  tokenize(st, file, l);
  const words: WordAt[] = st.tokens.slice(before + 1).filter((t) => t.kind === 'word');
  const r = applyIncludeCheck(st.includeCheck, words);
  st.includeCheck = r.flags;
  for (const p of r.problems) st.diags.error(p.loc, p.message, 'include_check');
}

function handleInclude(st: State, file: string, l: LogicalLine): void {
  const before = st.tokens.length;
  tokenize(st, file, l, true);
  const toks = st.tokens.splice(before).filter((t) => t.kind === 'word');
  const kw = toks[0];
  if (!kw || st.stopped) return;
  const args = toks.slice(1);
  if (args.length === 0) {
    st.diags.syntax(kw.loc, `\`${kw.text}\` needs a file name or glob pattern`, kw.text);
    return;
  }
  for (const arg of args) {
    const pattern = resolvePath(file, arg.text);
    const plan = planInclude(st.host, pattern, {
      variant: kw.text,
      includeCheck: st.includeCheck,
      maxDirEntries: st.limits.maxDirEntries - st.dirEntries,
      maxPatterns: st.limits.maxFiles,
    });
    st.dirEntries += plan.entriesRead;
    if (plan.truncated || plan.tooManyPatterns) {
      st.diags.limit(
        arg.loc,
        plan.truncated
          ? `include patterns listed more than ${st.limits.maxDirEntries} directory entries in all`
          : `${pattern} expands to more than ${st.limits.maxFiles} patterns`,
        kw.text,
      );
      st.stopped = true;
      return;
    }
    for (const f of plan.findings)
      reportOnce(st, f.severity, 'LVSD_E_CONFIG_IO', arg.loc, f.message, kw.text);
    // keepalived restores include_check after each included file: a file cannot change it for its includer.
    const includeCheck = st.includeCheck;
    for (const p of plan.paths) {
      includeFile(st, p, arg, kw.text);
      st.includeCheck = includeCheck;
      if (st.stopped) return;
    }
  }
}

/** Read and expand one included file, within the limits. */
function includeFile(st: State, path: string, arg: Token, keyword: string): void {
  const { limits } = st;
  if (st.filesRead >= limits.maxFiles) {
    st.diags.limit(
      arg.loc,
      `more than ${limits.maxFiles} configuration files to read (the limit; ${limitVariables.maxFiles} raises it)`,
      keyword,
    );
    st.stopped = true;
    return;
  }
  const r = st.host.readFile(path, limits.maxBytes - st.bytes);
  if (!r.ok) {
    if (r.tooLarge !== undefined) {
      st.diags.limit(
        arg.loc,
        `${path} takes the configuration past ${formatBytes(limits.maxBytes)} in all ` +
          `(the limit; ${limitVariables.maxBytes} raises it)`,
        keyword,
      );
      st.stopped = true;
      return;
    }
    reportOnce(
      st,
      'error',
      'LVSD_E_CONFIG_IO',
      arg.loc,
      `cannot read included file ${path}: ${r.reason}`,
      keyword,
    );
    return;
  }
  if (st.stack.includes(r.id)) {
    reportOnce(
      st,
      'error',
      'LVSD_E_CONFIG_SYNTAX',
      arg.loc,
      `include cycle: ${path} is already being read`,
      keyword,
    );
    return;
  }
  if (st.stack.length >= limits.maxIncludeDepth) {
    const deep = `includes nested more than ${limits.maxIncludeDepth} deep`;
    reportOnce(st, 'error', 'LVSD_E_CONFIG_SYNTAX', arg.loc, deep, keyword);
    return;
  }
  st.filesRead++;
  st.bytes += r.bytes;
  processFile(st, path, r.text, r.id);
}

/** Whitespace, `{`, `}` or `"`. */
function isWordEnd(c: number): boolean {
  return isSpace(c) || c === 123 || c === 125 || c === 34;
}

/** Count a word, brace or parameter definition; false (reported, loading stopped) past the limit. */
function countWord(st: State, loc: SourceLoc): boolean {
  if (++st.wordCount <= st.limits.maxTokens) return true;
  st.diags.limit(
    loc,
    `more than ${st.limits.maxTokens} words, braces and parameter definitions in the configuration ` +
      `(the limit; ${limitVariables.maxTokens} raises it)`,
  );
  st.stopped = true;
  return false;
}

/** Add a token; false (reported, loading stopped) past the word limit. */
function push(st: State, t: Token): boolean {
  if (t.kind !== 'eol' && !countWord(st, t.loc)) return false;
  st.tokens.push(t);
  return true;
}

/**
 * Words, quoted strings and braces of a logical line. With `bracesInWords` (the arguments of an
 * include, whose `{a,b}` are glob braces) a brace is part of the word it touches.
 */
function tokenize(st: State, file: string, l: LogicalLine, bracesInWords = false): void {
  const s = l.text;
  let k = 0;
  let lastLoc: SourceLoc | undefined;
  const endsWord = bracesInWords ? (c: number) => isSpace(c) || c === 34 : isWordEnd;
  // The next `}`, searched once per run: a line of `${${${...` must not cost a scan per `$`.
  let closeAt = -2;
  while (k < s.length) {
    const cc = s.charCodeAt(k);
    if (isSpace(cc)) {
      k++;
      continue;
    }
    const loc = locAt(file, l, k);
    lastLoc = loc;
    if ((cc === 123 || cc === 125) && !bracesInWords) {
      const open = cc === 123;
      if (!push(st, { kind: open ? 'open' : 'close', text: open ? '{' : '}', quoted: false, loc })) return;
      k++;
      continue;
    }
    if (cc === 34) {
      const close = s.indexOf('"', k + 1);
      if (close < 0) {
        st.diags.syntax(loc, 'unterminated quoted string');
        if (!push(st, { kind: 'word', text: s.slice(k + 1), quoted: true, loc })) return;
        break;
      }
      if (!push(st, { kind: 'word', text: s.slice(k + 1, close), quoted: true, loc })) return;
      k = close + 1;
      continue;
    }
    let e = k;
    while (e < s.length && !endsWord(s.charCodeAt(e))) {
      // An unexpanded `${...}` stays one word.
      if (s.charCodeAt(e) === 36 && s.charCodeAt(e + 1) === 123) {
        if (closeAt !== -1 && closeAt < e + 2) closeAt = s.indexOf('}', e + 2);
        if (closeAt > 0) {
          e = closeAt + 1;
          continue;
        }
      }
      e++;
    }
    if (!push(st, { kind: 'word', text: s.slice(k, e), quoted: false, loc })) return;
    k = e;
  }
  if (lastLoc) st.tokens.push({ kind: 'eol', text: '', quoted: false, loc: lastLoc });
}
