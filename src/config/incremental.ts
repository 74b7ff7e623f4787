// SPDX-License-Identifier: Apache-2.0
/**
 * A configuration read again after an edit, parsing only the `virtual_server` statements that
 * changed: what the standby validator of a reload does (cli/commands/check-config.ts). It parses the
 * running file while it waits; at the reload it compares the new text with it, and when the edit
 * touched only `virtual_server` statements of a plain file, it lexes and parses those alone, builds
 * them, and gives every other `virtual_server` statement back as built before (schema-lvs.ts
 * `VsStatementBuild`): its virtual server and what it reported. The checks across statements
 * (duplicate virtual servers, `smtp_alert` without mail, BGP announcements) and every other section
 * run again as in a whole parse. At 10,000 virtual servers x 10 reals (a 10.5 MB file) a whole parse
 * is ~1.5 s on a host, most of a reload's time; reading it again after one real's edit ~35–50 ms
 * (bench/results/reload.md).
 *
 * The result is the whole parse's, finding for finding (test/unit/config/incremental.test.ts
 * compares them on random edits). It falls back to a whole parse whenever that could differ:
 * - the file is not plain: a line starting with `include`, a `$`, a line continued with `\`, a NUL
 *   or a byte order mark (each can change how lines far from it are read), or an `@ID` conditional
 *   in the part to read again (whether any matches is a finding about the whole file);
 * - the last parse found anything while reading words and braces, a limit stopped it, or a
 *   top-level statement was without its block or shared a line with another;
 * - the edit touched anything but `virtual_server` statements (`global_defs`, a group, a track
 *   file: what virtual servers are built from), or its text does not read alone as whole
 *   statements without a finding (a brace removed: the whole parse would read on);
 * - the words of the file would pass the limit (the whole parse reports it).
 * When the edit added or removed lines, a statement below it is given back with its locations
 * moved (a copy of its virtual server); one that reported anything, or holds a location from
 * elsewhere, is parsed again with every statement after the edit.
 *
 * Written here: no library splits a keepalived configuration into statements. Pure.
 */
import { type Diagnostics, RecordingDiagnostics } from './diagnostics.js';
import type { LexOptions, LexResult, Token } from './lexer.js';
import type { LoadLimits } from './limits.js';
import type { Diagnostic, Model, SourceLoc } from './model.js';
import type { AstNode } from './parser.js';
import type { TopStatement } from './schema.js';
import type { VsStatementBuild } from './schema-lvs.js';

/** A top-level statement of the text a loader keeps. */
interface Statement {
  /** Offsets in the text: the start of its first line, the end of its last (after the newline). */
  start: number;
  end: number;
  startLine: number;
  endLine: number;
  /** Words and braces (what the token limit counts). */
  words: number;
  /** A `virtual_server` statement's build; any other statement's parse, read again each time. */
  part: VsStatementBuild | AstNode;
}

/** The text last loaded, by statement. */
interface Kept {
  text: string;
  statements: Statement[];
}

/** What a parse hands over to be kept: its tokens and statements, before the tokens are let go. */
export interface ParseCapture {
  /** The builds of its `virtual_server` statements (schema.ts `buildModel`'s `builds`). */
  builds: VsStatementBuild[];
  /** Called once the text is parsed; `clean`: reading words and braces found nothing. */
  parsed(tokens: readonly Token[], ast: readonly AstNode[], clean: boolean): void;
}

/** The pipeline's pieces the loader runs (load.io.ts gives them: this module reads nothing). */
export interface IncrementalPorts {
  limits: LoadLimits;
  /** A whole parse of `text`, what it hands over noted in `capture`. */
  whole(text: string, capture: ParseCapture): LoadResultLike;
  /** Diagnostics as a whole parse starts them (the environment's limit findings first). */
  diagnostics(): Diagnostics;
  lex(text: string, opts: Pick<LexOptions, 'firstLine' | 'mainBytes'>, diags: Diagnostics): LexResult;
  parse(tokens: readonly Token[], diags: Diagnostics): AstNode[];
  build(diags: Diagnostics, statements: readonly TopStatement[], builds: VsStatementBuild[]): Model;
  /** The load result of a build (findings gathered, the model dropped on an error). */
  result(diags: Diagnostics, model: Model): LoadResultLike;
}

/** config/load.io.ts LoadResult (not imported: that module does I/O). */
export interface LoadResultLike {
  model: Model | undefined;
  diagnostics: Diagnostic[];
  errorCount: number;
  warningCount: number;
}

/** How the last load went: for the daemon's log and the tests. */
export type LoadWay = 'whole' | 'unchanged' | 'statements';

/**
 * Whether nothing in `text` can change how a line far from it is read (else it is parsed whole): a
 * `$` (parameters), a NUL, a byte order mark, a line starting with `include` or ending in `\`
 * (continued). Each pattern is looked for only when its character is there: most files have none,
 * and a search of 10 MB costs ~10 ms. `@ID` conditionals are allowed (a file shared by a pair of
 * directors): each applies to its line alone; only the file's warning when none matches looks
 * further, and the part read again may hold none (`hasConditionals`).
 */
export function isPlain(text: string): boolean {
  if (text.includes('$') || text.includes('\0') || text.includes('\uFEFF')) return false;
  if (text.includes('\\') && /\\[^\S\n]*$/m.test(text)) return false;
  return !(text.includes('include') && /^[^\S\n]*include/m.test(text));
}

/** Whether a line of `text` starts with an `@ID` conditional. */
const hasConditionals = (text: string): boolean => text.includes('@') && /^[^\S\n]*@/m.test(text);

export class IncrementalLoader {
  readonly #ports: IncrementalPorts;
  #kept: Kept | undefined;
  /** How the last `load` went, and how many statements it parsed. */
  last: { way: LoadWay; parsed: number } = { way: 'whole', parsed: 0 };

  constructor(ports: IncrementalPorts) {
    this.#ports = ports;
  }

  /** Parse `text` (the file's whole text), again only where it changed when that gives the same. */
  load(text: string): LoadResultLike {
    const kept = this.#kept;
    this.#kept = undefined; // kept again below only when this load leaves it whole
    if (kept) {
      const r = this.#again(kept, text);
      if (r) return r;
    }
    return this.#whole(text, isPlain(text));
  }

  /** Let go of what is kept (the next load is whole). */
  forget(): void {
    this.#kept = undefined;
  }

  #whole(text: string, plain: boolean): LoadResultLike {
    let statements: Statement[] | undefined;
    let parsed = 0;
    const builds: VsStatementBuild[] = [];
    const r = this.#ports.whole(text, {
      builds,
      parsed: (tokens, ast, clean) => {
        parsed = ast.length; // (those of included files among them)
        if (plain && clean) statements = split(tokens, ast, text, 0, 1);
      },
    });
    this.last = { way: 'whole', parsed };
    if (statements && attachBuilds(statements, builds)) this.#kept = { text, statements };
    return r;
  }

  /** The load of `text` from `kept`, or undefined when only a whole parse can say. */
  #again(kept: Kept, text: string): LoadResultLike | undefined {
    const old = kept.text;
    const st = kept.statements;
    const p = commonPrefix(old, text);
    const s = commonSuffix(old, text, Math.min(old.length, text.length) - p);
    // the text kept was plain: the new one is when the lines the edit touched are (each feature
    // that makes a text not plain is within one line), not searched again in 10 MB
    const lineFrom = text.lastIndexOf('\n', p - 1) + 1;
    const lineTo = text.indexOf('\n', text.length - s);
    if (!isPlain(text.slice(lineFrom, lineTo < 0 ? text.length : lineTo))) return undefined;
    const shift = text.length - old.length;
    const movedLines = countLines(text, p, text.length - s) - countLines(old, p, old.length - s);
    // before: statements wholly in the common start; after: wholly in the common end (its first
    // line's newline before it included), at the same lines
    let i0 = 0;
    while (i0 < st.length && (st[i0] as Statement).end <= p) i0++;
    let j0 = st.length;
    while (j0 > i0 && (st[j0 - 1] as Statement).start > old.length - s) j0--;
    // (as they were when the edit kept the length: ~5,000 copies for nothing at 10,000 x 10)
    let after =
      shift === 0
        ? st.slice(j0)
        : st.slice(j0).map((x) => ({ ...x, start: x.start + shift, end: x.end + shift }));
    if (movedLines !== 0) {
      // below an edit that added or removed lines: the same statements, their locations moved
      const moved = after.map((x) => movedStatement(x, movedLines));
      if (moved.every((x) => x !== undefined)) after = moved;
      else [j0, after] = [st.length, []];
    }
    for (let k = i0; k < j0; k++) if (!isVs((st[k] as Statement).part)) return undefined;
    const from = i0 > 0 ? (st[i0 - 1] as Statement).end : 0;
    const firstLine = i0 > 0 ? (st[i0 - 1] as Statement).endLine + 1 : 1;
    const to = j0 < st.length ? (st[j0] as Statement).start + shift : text.length;
    // the conditionals outside the part read again are those of the file as it was (whose
    // warning, when none matched, would have kept it from being kept)
    const changed = text.slice(from, to);
    if (hasConditionals(changed) || hasConditionals(old.slice(from, to - shift))) return undefined;
    const keptWords = sumWords(st, 0, i0) + sumWords(st, j0, st.length);
    const region = this.#readAlone(changed, firstLine, keptWords);
    if (!region) return undefined;
    const fresh = split(region.tokens, region.ast, changed, from, firstLine);
    if (!fresh || fresh.some((f) => !isVsNode(f.part))) return undefined;
    const statements = [...st.slice(0, i0), ...fresh, ...after];
    const diags = this.#ports.diagnostics();
    const builds: VsStatementBuild[] = [];
    const model = this.#ports.build(
      diags,
      statements.map((x) => x.part),
      builds,
    );
    if (!attachBuilds(statements, builds)) return undefined;
    this.#kept = { text, statements };
    this.last = {
      way: fresh.length === 0 && p === old.length && old.length === text.length ? 'unchanged' : 'statements',
      parsed: fresh.length,
    };
    return this.#ports.result(diags, model);
  }

  /**
   * The statements of a part of the text read alone: undefined when reading it found anything (a
   * brace too many or too few: the whole text would read differently) or the words of the file
   * would pass the limit.
   */
  #readAlone(
    part: string,
    firstLine: number,
    keptWords: number,
  ): { tokens: readonly Token[]; ast: AstNode[] } | undefined {
    const probe = new RecordingDiagnostics(this.#ports.diagnostics());
    const lexed = this.#ports.lex(part, { firstLine, mainBytes: part.length }, probe);
    if (lexed.stopped || probe.findings.length > 0) return undefined;
    const ast = this.#ports.parse(lexed.tokens, probe);
    if (probe.findings.length > 0) return undefined;
    const words = lexed.tokens.reduce((n, t) => (t.kind === 'eol' ? n : n + 1), 0);
    if (keptWords + words > this.#ports.limits.maxTokens) return undefined;
    return { tokens: lexed.tokens, ast };
  }
}

/**
 * A `virtual_server` statement `delta` lines further down, built as before: a copy of its virtual
 * server with every location moved. Undefined (parse it again) when it reported anything (a message
 * may name a line) or holds a location outside its own lines (from elsewhere in the file: it may not
 * have moved).
 */
function movedStatement(x: Statement, delta: number): Statement | undefined {
  const b = x.part;
  if (!('built' in b) || !b.final?.vs || b.findings.length > 0 || b.final.findings.length > 0)
    return undefined;
  const m: Move = { delta, file: b.final.vs.loc.file, first: x.startLine, last: x.endLine, ok: true };
  const vs = moved(b.final.vs, m) as typeof b.final.vs;
  const alerts = {
    vs: b.alerts.vs.map((l) => moved(l, m) as SourceLoc),
    reals: b.alerts.reals.map((l) => moved(l, m) as SourceLoc),
  };
  if (!m.ok) return undefined;
  const part: VsStatementBuild = {
    built: 'virtual_server',
    draft: undefined,
    findings: [],
    alerts,
    final: { vs, findings: [] },
  };
  return { ...x, startLine: x.startLine + delta, endLine: x.endLine + delta, part };
}

/** How `moved` moves locations: `ok` false once one was not in the statement's lines. */
interface Move {
  delta: number;
  file: string;
  first: number;
  last: number;
  ok: boolean;
}

const isLoc = (o: Record<string, unknown>): o is Record<string, unknown> & SourceLoc =>
  typeof o['file'] === 'string' &&
  typeof o['line'] === 'number' &&
  typeof o['col'] === 'number' &&
  Object.keys(o).length === 3;

/** A copy of a built value (plain objects and arrays, as model.json holds them), its locations moved. */
function moved(value: unknown, m: Move): unknown {
  if (Array.isArray(value)) return value.map((v) => moved(v, m));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (isLoc(o)) {
    if (o.file !== m.file || o.line < m.first || o.line > m.last) m.ok = false;
    return { ...o, line: o.line + m.delta };
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = moved(o[k], m);
  return out;
}

const isVs = (part: Statement['part']): boolean => 'built' in part;
const isVsNode = (part: Statement['part']): boolean =>
  !('built' in part) && part.keyword === 'virtual_server';

function sumWords(st: readonly Statement[], from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) n += (st[k] as Statement).words;
  return n;
}

/**
 * The top-level statements of `ast` located in `text` (whose first line is `firstLine`, at offset
 * `base` of the whole), `part` their parse; undefined when one has no block or shares a line with
 * the next (then only a whole parse knows where one ends).
 */
function split(
  tokens: readonly Token[],
  ast: readonly AstNode[],
  text: string,
  base: number,
  firstLine: number,
): Statement[] | undefined {
  const spans: { startLine: number; endLine: number; words: number }[] = [];
  let k = 0;
  for (const node of ast) {
    if (!node.block) return undefined;
    while (tokens[k]?.kind === 'eol') k++;
    const first = tokens[k];
    if (first?.kind !== 'word' || first.loc !== node.loc) return undefined;
    let depth = 0;
    let words = 0;
    let last: Token | undefined;
    for (; k < tokens.length; k++) {
      const t = tokens[k] as Token;
      if (t.kind === 'eol') continue;
      words++;
      if (t.kind === 'open') depth++;
      else if (t.kind === 'close' && --depth === 0) {
        last = t;
        k++;
        break;
      }
    }
    if (!last) return undefined;
    const prev = spans[spans.length - 1];
    if (prev && prev.endLine >= first.loc.line) return undefined;
    spans.push({ startLine: first.loc.line, endLine: last.loc.line, words });
  }
  while (tokens[k]?.kind === 'eol') k++;
  if (k < tokens.length) return undefined;
  const wanted = spans.flatMap((x) => [x.startLine, x.endLine + 1]);
  const at = lineStarts(text, firstLine, wanted);
  return spans.map((x, i) => ({
    ...x,
    start: base + (at[2 * i] as number),
    end: base + (at[2 * i + 1] as number),
    part: ast[i] as AstNode,
  }));
}

/** Builds given to their statements, in order; false when they do not pair up. */
function attachBuilds(statements: Statement[], builds: readonly VsStatementBuild[]): boolean {
  let b = 0;
  for (const x of statements) {
    if (!isVs(x.part) && !isVsNode(x.part)) continue;
    const build = builds[b++];
    if (!build) return false;
    if (x.part !== build) x.part = build; // a kept statement's build is its part already
  }
  return b === builds.length;
}

/**
 * Offsets in `text` (first line numbered `firstLine`) where the lines `wanted` (ascending) start;
 * a line past the last is the text's length.
 */
function lineStarts(text: string, firstLine: number, wanted: readonly number[]): number[] {
  const out: number[] = [];
  let line = firstLine;
  let at = 0;
  for (const w of wanted) {
    while (line < w && at < text.length) {
      const nl = text.indexOf('\n', at);
      at = nl < 0 ? text.length : nl + 1;
      line++;
    }
    out.push(line < w ? text.length : at);
  }
  return out;
}

/** Newlines in text[from, to). */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let k = text.indexOf('\n', from); k >= 0 && k < to; k = text.indexOf('\n', k + 1)) n++;
  return n;
}

/** Length of the common start of `a` and `b` (compared in halving pieces: string equality is native). */
export function commonPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let p = 0;
  for (let step = 1 << 16; step >= 1; step >>= 1) {
    while (p + step <= max && a.slice(p, p + step) === b.slice(p, p + step)) p += step;
  }
  return p;
}

/** Length of the common end of `a` and `b`, at most `max`. */
export function commonSuffix(a: string, b: string, max: number): number {
  let s = 0;
  for (let step = 1 << 16; step >= 1; step >>= 1) {
    while (
      s + step <= max &&
      a.slice(a.length - s - step, a.length - s) === b.slice(b.length - s - step, b.length - s)
    )
      s += step;
  }
  return s;
}
