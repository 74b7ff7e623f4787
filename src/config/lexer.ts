// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived.conf source expansion and tokens. Pure: files are read through the injected
 * `SourceHost` (load.ts gives the real one). Per physical line, in keepalived's order: line
 * continuation (`\`), `@ID` / `@^ID` conditionals, `#` / `!` comments, `$NAME=value` parameter
 * definitions (multi-line with `\`), `${NAME}` / `$NAME` / `${_ENV NAME}` substitution, `include`
 * (globs, relative to the including file, cycles detected), then words, quoted strings and braces.
 * Every token carries its source location; substituted text is located at its `$`.
 * Hand-written: no maintained JavaScript parser of keepalived.conf exists, and the language is
 * line-oriented with preprocessing (conditionals, parameters re-read after expansion) that general
 * grammar tools do not model; keepalived's own C parser is GPL and is read for facts only.
 */
import type { Diagnostics } from './diagnostics.js';
import type { SourceLoc } from './model.js';

export type TokenKind = 'word' | 'open' | 'close' | 'eol';

export interface Token {
  kind: TokenKind;
  /** The word (quotes removed) or `{` / `}`; empty for eol. */
  text: string;
  quoted: boolean;
  loc: SourceLoc;
}

/** The file-system port of the expander. */
export interface SourceHost {
  /** Read a whole file; `realPath` identifies it for cycle detection. */
  readFile(path: string): { ok: true; text: string; realPath: string } | { ok: false; reason: string };
  /** Absolute paths matching an absolute glob pattern (`*`, `?`, `[...]`), sorted; [] when none. */
  glob(pattern: string): string[];
}

export interface LexOptions {
  configId: string;
  env: Record<string, string | undefined>;
  /** Maximum include depth [32]. */
  maxIncludeDepth?: number;
}

export interface LexResult {
  tokens: Token[];
  files: string[];
}

/** A logical line: text plus where each run of characters came from. */
interface Segment {
  start: number;
  line: number;
  col: number;
  /** Substituted text: every character reports the `$` position. */
  fixed: boolean;
}

interface LogicalLine {
  text: string;
  segs: Segment[];
}

interface State {
  host: SourceHost;
  opts: LexOptions;
  diags: Diagnostics;
  params: Map<string, string>;
  tokens: Token[];
  files: string[];
  stack: string[];
  /** Undefined-parameter warnings already given (text is read again after each expansion). */
  warned: Set<string>;
}

const paramName = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The segment holding `offset` (binary search: a long continued line has many segments). */
function segmentAt(l: LogicalLine, offset: number): Segment | undefined {
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

function locAt(file: string, l: LogicalLine, offset: number): SourceLoc {
  const seg = segmentAt(l, offset);
  if (!seg) return { file, line: 1, col: 1 };
  return { file, line: seg.line, col: seg.fixed ? seg.col : seg.col + (offset - seg.start) };
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

function resolvePath(base: string, rel: string): string {
  const joined = rel.startsWith('/') ? rel : `${dirOf(base)}/${rel}`;
  const out: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return (joined.startsWith('/') ? '/' : '') + out.join('/');
}

/** Expand `mainFile` (already read as `text`) into tokens, reading includes through `host`. */
export function lexSource(
  mainFile: string,
  text: string,
  realPath: string,
  host: SourceHost,
  opts: LexOptions,
  diags: Diagnostics,
): LexResult {
  const st: State = {
    host,
    opts,
    diags,
    params: new Map(),
    tokens: [],
    files: [],
    stack: [],
    warned: new Set(),
  };
  processFile(st, mainFile, text, realPath);
  return { tokens: st.tokens, files: st.files };
}

function processFile(st: State, file: string, text: string, realPath: string): void {
  st.files.push(file);
  st.stack.push(realPath);
  // A UTF-8 byte order mark (editors on other systems add one) is not part of the first keyword.
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    const first = lines[i] ?? '';
    const lineNo = i + 1;
    i++;
    // The conditional applies to the first physical line (and so to all its continuations).
    const cond = first.includes('@') ? matchConditional(first, st.opts.configId) : 0;
    if (cond === 'skip') {
      while (endsWithBackslash(lines[i - 1] ?? '') && i < lines.length) i++;
      continue;
    }
    const startCol = cond + 1;
    let body = first.slice(cond);
    const isDef = body.includes('$') && /^\s*\$[A-Za-z_][A-Za-z0-9_]*=/.test(body);
    const logical: LogicalLine = { text: '', segs: [] };
    let physLine = lineNo;
    let col = startCol;
    for (;;) {
      const cont = body.includes('\\') && endsWithBackslash(body) && !isCommentedBackslash(body);
      const piece = cont ? body.replace(/\\\s*$/, '') : body;
      logical.segs.push({ start: logical.text.length, line: physLine, col, fixed: false });
      logical.text += piece;
      if (!cont || i >= lines.length) break;
      logical.text += isDef ? '\n' : ' ';
      body = lines[i] ?? '';
      physLine = i + 1;
      col = 1;
      i++;
    }
    handleLogicalLine(st, file, logical, isDef);
  }
  st.stack.pop();
}

function endsWithBackslash(s: string): boolean {
  return /\\\s*$/.test(s);
}

function isCommentedBackslash(s: string): boolean {
  return commentStart(s) < s.search(/\\\s*$/);
}

/** 'skip', or the offset where the line's content starts (after a matching `@ID `). */
function matchConditional(line: string, configId: string): number | 'skip' {
  const m = /^(\s*)@(\^?)([^\s]*)(\s*)/.exec(line);
  if (!m) return 0;
  const negate = m[2] === '^';
  const id = m[3] ?? '';
  const matches = id === configId;
  if (matches === negate) return 'skip';
  return m[0].length;
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
  if (isDef && define(st, text)) return;
  // No new objects for the common line (no comment, no `$`): 67,000 lines in a 10,000-real config.
  const line = text === l.text ? l : { text, segs: l.segs };
  processExpanded(st, file, line, text.includes('$') ? { left: 10_000, reported: false } : unusedBudget, 0);
}

/** `$NAME=value` (no space before `=`): record the definition (expanded at use) and say so. */
function define(st: State, text: string): boolean {
  const m = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  if (m?.[1] === undefined) return false;
  st.params.set(m[1], (m[2] ?? '').trim());
  return true;
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
    let p = piece;
    if (/^\s*@/.test(p.text)) {
      const cond = matchConditional(p.text, st.opts.configId);
      if (cond === 'skip') continue;
      p = sliceLine(p, cond);
    }
    if (!/\S/.test(p.text)) continue;
    if (p.text.includes('$') && define(st, p.text)) continue;
    processExpanded(st, file, p, budget, depth + 1);
  }
}

function emitLine(st: State, file: string, l: LogicalLine): void {
  if (l.text.includes('include') && /^\s*include(\s|$)/.test(l.text)) handleInclude(st, file, l);
  else tokenize(st, file, l);
}

function sliceLine(l: LogicalLine, from: number): LogicalLine {
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

function splitLines(l: LogicalLine): LogicalLine[] {
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

/** Substitutions allowed for one logical line; bounds recursive and exponential definitions. */
interface Budget {
  left: number;
  reported: boolean;
}

/** The budget of a line without `$`: substitute() returns before it would touch it. */
const unusedBudget: Budget = Object.freeze({ left: 0, reported: true });

/**
 * Replace `${NAME}`, `${_ENV NAME}` and `$NAME` followed by whitespace or the end (when defined),
 * one level: the caller reads the result again. Bounded by depth, count and size.
 */
function substitute(st: State, file: string, l: LogicalLine, budget: Budget, depth = 0): LogicalLine {
  if (!l.text.includes('$')) return l;
  const out: LogicalLine = { text: '', segs: [] };
  let k = 0;
  let changed = false;
  const emit = (from: number, to: number): void => {
    if (to <= from) return;
    const loc = locAt(file, l, from);
    const segFixed = isFixedAt(l, from);
    out.segs.push({ start: out.text.length, line: loc.line, col: loc.col, fixed: segFixed });
    out.text += l.text.slice(from, to);
  };
  let plainFrom = 0;
  while (k < l.text.length) {
    const dollar = l.text.indexOf('$', k);
    if (dollar < 0) break;
    let name: string | undefined;
    let end = dollar + 1;
    let value: string | undefined;
    if (l.text[dollar + 1] === '{') {
      const close = l.text.indexOf('}', dollar + 2);
      if (close < 0) {
        k = dollar + 1;
        continue;
      }
      const inner = l.text.slice(dollar + 2, close).trim();
      end = close + 1;
      const envM = /^_ENV\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
      if (envM?.[1] !== undefined) {
        value = st.opts.env[envM[1]] ?? '';
      } else if (inner === '_HASH') value = '#';
      else if (inner === '_BANG') value = '!';
      else if (inner === '_PWD') value = dirOf(file);
      else if (paramName.test(inner) && paramName.exec(inner)?.[0] === inner) {
        name = inner;
        value = st.params.get(inner);
        if (value === undefined) {
          const loc = locAt(file, l, dollar);
          const key = `${loc.file}:${loc.line}:${loc.col}:${inner}`;
          if (!st.warned.has(key)) {
            st.warned.add(key);
            if (inner.startsWith('_')) {
              st.diags.syntax(loc, `built-in parameter \${${inner}} is not supported by lvsd`);
            } else {
              // keepalived leaves it in place too (it may be meant for a script's shell).
              st.diags.add(
                'warning',
                'LVSD_E_CONFIG_SYNTAX',
                loc,
                `undefined parameter \${${inner}} is left as written`,
              );
            }
          }
          // Left as written, so the keyword's own check names what it got.
          k = end;
          continue;
        }
      } else {
        st.diags.syntax(locAt(file, l, dollar), `malformed parameter reference \${${inner}}`);
        value = '';
      }
    } else {
      const m = paramName.exec(l.text.slice(dollar + 1));
      const after = m ? l.text.charCodeAt(dollar + 1 + m[0].length) : NaN;
      if (m && st.params.has(m[0]) && (Number.isNaN(after) || isSpace(after))) {
        name = m[0];
        value = st.params.get(m[0]);
        end = dollar + 1 + m[0].length;
      }
    }
    if (value === undefined) {
      k = dollar + 1;
      continue;
    }
    budget.left--;
    if (depth > 16 || budget.left < 0 || out.text.length + value.length > 1_000_000) {
      if (!budget.reported) {
        st.diags.syntax(
          locAt(file, l, dollar),
          `parameter $${name ?? ''} expands recursively or too much (more than 16 levels or 10000 substitutions)`,
        );
        budget.reported = true;
      }
      value = '';
    }
    changed = true;
    emit(plainFrom, dollar);
    const loc = locAt(file, l, dollar);
    out.segs.push({ start: out.text.length, line: loc.line, col: loc.col, fixed: true });
    out.text += value;
    plainFrom = end;
    k = end;
  }
  if (!changed) return l;
  emit(plainFrom, l.text.length);
  return out;
}

function isFixedAt(l: LogicalLine, offset: number): boolean {
  return segmentAt(l, offset)?.fixed ?? false;
}

function handleInclude(st: State, file: string, l: LogicalLine): void {
  const before = st.tokens.length;
  tokenize(st, file, l);
  const toks = st.tokens.splice(before).filter((t) => t.kind === 'word');
  const kw = toks[0];
  if (!kw) return;
  const args = toks.slice(1);
  const max = st.opts.maxIncludeDepth ?? 32;
  if (args.length === 0) {
    st.diags.syntax(kw.loc, '`include` needs a file name or glob pattern', 'include');
    return;
  }
  for (const arg of args) {
    const pattern = resolvePath(file, arg.text);
    const isGlob = /[*?[]/.test(pattern);
    const paths = isGlob ? st.host.glob(pattern) : [pattern];
    if (paths.length === 0) {
      // A glob that matches nothing is accepted, as keepalived does (a plain name is read below).
      continue;
    }
    for (const p of paths) {
      const r = st.host.readFile(p);
      if (!r.ok) {
        st.diags.add(
          'error',
          'LVSD_E_CONFIG_IO',
          arg.loc,
          `cannot read included file ${p}: ${r.reason}`,
          'include',
        );
        continue;
      }
      if (st.stack.includes(r.realPath)) {
        st.diags.syntax(arg.loc, `include cycle: ${p} is already being read`, 'include');
        continue;
      }
      if (st.stack.length >= max) {
        st.diags.syntax(arg.loc, `includes nested more than ${max} deep`, 'include');
        continue;
      }
      processFile(st, p, r.text, r.realPath);
    }
  }
}

/** Space, tab, CR, LF, VT, FF. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Whitespace, `{`, `}` or `"`. */
function isWordEnd(c: number): boolean {
  return isSpace(c) || c === 123 || c === 125 || c === 34;
}

function tokenize(st: State, file: string, l: LogicalLine): void {
  const s = l.text;
  let k = 0;
  let any = false;
  let lastLoc: SourceLoc | undefined;
  while (k < s.length) {
    const cc = s.charCodeAt(k);
    if (isSpace(cc)) {
      k++;
      continue;
    }
    const c = s[k] ?? '';
    const loc = locAt(file, l, k);
    lastLoc = loc;
    if (c === '{' || c === '}') {
      st.tokens.push({ kind: c === '{' ? 'open' : 'close', text: c, quoted: false, loc });
      any = true;
      k++;
      continue;
    }
    if (c === '"') {
      const close = s.indexOf('"', k + 1);
      if (close < 0) {
        st.diags.syntax(loc, 'unterminated quoted string');
        st.tokens.push({ kind: 'word', text: s.slice(k + 1), quoted: true, loc });
        any = true;
        break;
      }
      st.tokens.push({ kind: 'word', text: s.slice(k + 1, close), quoted: true, loc });
      any = true;
      k = close + 1;
      continue;
    }
    let e = k;
    while (e < s.length && !isWordEnd(s.charCodeAt(e))) {
      // An unexpanded `${...}` stays one word.
      if (s[e] === '$' && s[e + 1] === '{') {
        const close = s.indexOf('}', e + 2);
        if (close > 0) {
          e = close + 1;
          continue;
        }
      }
      e++;
    }
    st.tokens.push({ kind: 'word', text: s.slice(k, e), quoted: false, loc });
    any = true;
    k = e;
  }
  if (any && lastLoc) st.tokens.push({ kind: 'eol', text: '', quoted: false, loc: lastLoc });
}
