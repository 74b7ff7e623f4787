// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived's parameters: `$NAME=value` definitions and one level of `${NAME}` / `$NAME` /
 * `${_ENV NAME}` substitution in a logical line (the lexer reads the result again, line by line).
 * Pure. Bounded three ways: per line (16 levels, 10,000 substitutions, 1,000,000 characters), and
 * over the whole load (the text substitutions produce counts against the byte limit, so a few
 * definitions cannot make millions of lines expand to a megabyte each).
 */
import type { Diagnostics } from './diagnostics.js';
import { formatBytes, limitVariables } from './limits.js';
import { type LogicalLine, dirOf, isSpace, locAt, segmentAt } from './source-text.js';

const paramName = /^[A-Za-z_][A-Za-z0-9_]*/;
const builtins: ReadonlySet<string> = new Set(['_HASH', '_BANG', '_PWD']);

/** What substitution reads and updates; the lexer's state. */
export interface ParamState {
  diags: Diagnostics;
  env: Record<string, string | undefined>;
  params: Map<string, string>;
  /** Warnings about text that substitution brought in, already given for this logical line. */
  warned: Set<string>;
  /** Characters produced by substitution so far, and the most allowed. */
  expanded: number;
  maxExpanded: number;
  /** Set when a limit stopped loading. */
  stopped: boolean;
}

/** Substitutions allowed for one logical line; bounds recursive and exponential definitions. */
export interface Budget {
  left: number;
  reported: boolean;
}

/** The budget of a line without `$`: substitute() returns before it would touch it. */
export const unusedBudget: Budget = Object.freeze({ left: 0, reported: true });

/** `$NAME=value` (no space before `=`): record the definition (expanded at use) and say so. */
export function define(st: ParamState, text: string): boolean {
  const m = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  if (m?.[1] === undefined) return false;
  st.params.set(m[1], (m[2] ?? '').trim());
  return true;
}

/** `${NAME}` with no definition: a warning (an error for an unsupported built-in), said once. */
function undefinedReference(
  st: ParamState,
  file: string,
  l: LogicalLine,
  dollar: number,
  inner: string,
  depth: number,
): void {
  // Source text was scanned at depth 0; later passes only meet it again. Text a substitution
  // brought in can be met at several depths, and is reported once per logical line.
  const seg = segmentAt(l, dollar);
  if (depth > 0 && !seg?.fixed) return;
  const loc = locAt(file, l, dollar);
  if (seg?.fixed) {
    const key = `${loc.file}:${loc.line}:${loc.col}:${inner}`;
    if (st.warned.has(key)) return;
    st.warned.add(key);
  }
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

/** The value of `${inner}`: undefined when it stays as written, '' when malformed (reported). */
function braced(
  st: ParamState,
  file: string,
  l: LogicalLine,
  dollar: number,
  inner: string,
  depth: number,
): string | undefined {
  const envM = /^_ENV\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
  if (envM?.[1] !== undefined) return st.env[envM[1]] ?? '';
  if (inner === '_HASH') return '#';
  if (inner === '_BANG') return '!';
  if (inner === '_PWD') return dirOf(file);
  if (paramName.exec(inner)?.[0] === inner) {
    const value = st.params.get(inner);
    if (value === undefined) undefinedReference(st, file, l, dollar, inner, depth);
    return value;
  }
  st.diags.syntax(locAt(file, l, dollar), `malformed parameter reference \${${inner}}`);
  return '';
}

/**
 * Replace `${NAME}`, `${_ENV NAME}` and `$NAME` followed by whitespace or the end (when defined),
 * one level: the caller reads the result again. Bounded by depth, count and size.
 */
export function substitute(
  st: ParamState,
  file: string,
  l: LogicalLine,
  budget: Budget,
  depth = 0,
): LogicalLine {
  if (!l.text.includes('$')) return l;
  const out: LogicalLine = { text: '', segs: [] };
  let k = 0;
  let changed = false;
  const emit = (from: number, to: number): void => {
    if (to <= from) return;
    const loc = locAt(file, l, from);
    out.segs.push({
      start: out.text.length,
      line: loc.line,
      col: loc.col,
      fixed: segmentAt(l, from)?.fixed ?? false,
    });
    out.text += l.text.slice(from, to);
  };
  let plainFrom = 0;
  // The next `}`, searched once per run: a line of `${${${...` must not cost a scan per `$`.
  let closeAt = -2;
  const nextClose = (from: number): number => {
    if (closeAt === -1 || closeAt >= from) return closeAt;
    closeAt = l.text.indexOf('}', from);
    return closeAt;
  };
  while (k < l.text.length && !st.stopped) {
    const dollar = l.text.indexOf('$', k);
    if (dollar < 0) break;
    let name: string | undefined;
    let end = dollar + 1;
    let value: string | undefined;
    if (l.text[dollar + 1] === '{') {
      const close = nextClose(dollar + 2);
      if (close < 0) {
        k = dollar + 1;
        continue;
      }
      const inner = l.text.slice(dollar + 2, close).trim();
      end = close + 1;
      value = braced(st, file, l, dollar, inner, depth);
      if (value === undefined) {
        // Left as written, so the keyword's own check names what it got.
        k = end;
        continue;
      }
      if (paramName.exec(inner)?.[0] === inner && !builtins.has(inner)) name = inner;
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
    st.expanded += value.length;
    if (st.expanded > st.maxExpanded) {
      st.diags.limit(
        locAt(file, l, dollar),
        `parameter expansion produced more than ${formatBytes(st.maxExpanded)} of text in all ` +
          `(the limit; ${limitVariables.maxBytes} raises it)`,
      );
      st.stopped = true;
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
