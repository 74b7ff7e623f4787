// SPDX-License-Identifier: Apache-2.0
/**
 * HTTP_GET/SSL_GET `regex`: keepalived matches response bodies with PCRE2; lvsd uses JavaScript
 * RegExp. This module maps `regex_options` onto RegExp flags and translates a PCRE2 pattern into
 * an equivalent RegExp source, rejecting what has no faithful JavaScript equivalent (with the
 * offset of the construct in the pattern, so the caller can point at it). Pure.
 * Hand-written: no maintained library translates PCRE2 syntax to JavaScript RegExp; the subset here
 * is the one whose meaning is the same in both once `.`, `$` and `\s` are spelled out.
 *
 * Subjects are bodies decoded as latin1 (one character per byte) unless `utf` is set (UTF-8).
 */

export interface CompiledBodyRegex {
  /** RegExp source, equivalent to the PCRE2 pattern on the subject. */
  source: string;
  /** RegExp flags (without `g`, which the matcher adds). */
  flags: string;
}

export type PcreResult =
  { ok: true; regex: CompiledBodyRegex } | { ok: false; message: string; index: number };

/** PCRE2 options that are RegExp flags. */
const flagOptions: Readonly<Record<string, string>> = {
  caseless: 'i',
  multiline: 'm',
  dotall: 's',
  utf: 'u',
};

/**
 * PCRE2 options whose effect JavaScript already has, or that only tune PCRE2's optimiser:
 * `dollar_endonly` (a JS `$` never matches before a final newline), `dupnames` (duplicate names
 * still fail to compile in JS), `allow_empty_class` (`[]` is JS's empty class), `never_utf`,
 * `never_ucp`, `never_backslash_c` (`\C` is rejected anyway), `no_auto_possess`,
 * `no_dotstar_anchor`, `no_start_optimize`, `use_offset_limit` (regex_max_offset is always honoured).
 */
const sameInJs = new Set([
  'dollar_endonly',
  'dupnames',
  'allow_empty_class',
  'never_utf',
  'never_ucp',
  'never_backslash_c',
  'no_auto_possess',
  'no_dotstar_anchor',
  'no_start_optimize',
  'use_offset_limit',
]);

/** PCRE2 options keepalived accepts that change matching in ways RegExp cannot express. */
const noJsEquivalent = new Set([
  'alt_bsux',
  'alt_circumflex',
  'alt_verbnames',
  'auto_callout',
  'extended',
  'firstline',
  'match_unset_backref',
  'no_auto_capture',
  'ucp',
  'ungreedy',
]);

/** Why an option cannot be used, or undefined when it can. */
export function regexOptionProblem(name: string): string | undefined {
  if (name in flagOptions || sameInJs.has(name)) return undefined;
  if (noJsEquivalent.has(name)) return `regex option ${name} has no JavaScript RegExp equivalent`;
  return `unknown regex option ${name}`;
}

/** Escapes after `\` that mean the same in PCRE2 and RegExp (besides punctuation and digits). */
const sameEscapes = new Set(['d', 'D', 'w', 'W', 'b', 'B', 'n', 'r', 't', 'f', 'v', 'c', 'x']);

const pcreSpace = '\\t\\n\\v\\f\\r ';

/**
 * Translate `pattern` (PCRE2 syntax, as written in keepalived.conf) with `options` (PCRE2 option
 * names, already checked with regexOptionProblem) into a RegExp; compile it to prove it is valid.
 */
export function compilePcre(pattern: string, options: readonly string[]): PcreResult {
  const opts = new Set(options);
  if (opts.has('utf') && opts.has('never_utf'))
    return { ok: false, message: 'regex options utf and never_utf conflict', index: 0 };
  const flags = [...new Set(options.map((o) => flagOptions[o]).filter((f): f is string => f !== undefined))]
    .sort()
    .join('');
  const dotall = opts.has('dotall');
  const multiline = opts.has('multiline');
  const utf = opts.has('utf');
  const bad = (index: number, message: string): PcreResult => ({ ok: false, message, index });
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) return bad(i, 'pattern ends with a lone backslash');
      if (/[A-Za-z]/.test(e)) {
        if (e === 's' && !inClass) out += `[${pcreSpace}]`;
        else if (e === 'S' && !inClass) out += `[^${pcreSpace}]`;
        else if (e === 's') out += pcreSpace;
        else if (e === 'S') return bad(i, '\\S inside a character class has no JavaScript equivalent');
        else if ((e === 'p' || e === 'P') && utf) out += `\\${e}`;
        else if (e === 'p' || e === 'P') return bad(i, `\\${e} needs regex_options utf`);
        else if (e === 'k' && pattern[i + 2] === '<' && !inClass) out += '\\k';
        else if (e === 'x' && !/^[0-9a-fA-F]{2}/.test(pattern.slice(i + 2)))
          return bad(i, '\\x needs exactly two hex digits here (\\x{...} has no JavaScript equivalent)');
        else if (e === 'c' && !/^[A-Za-z]/.test(pattern.slice(i + 2)))
          return bad(i, '\\c needs a letter here');
        else if (sameEscapes.has(e) && !(inClass && e === 'B')) out += `\\${e}`;
        else return bad(i, `\\${e} has no JavaScript RegExp equivalent`);
      } else out += `\\${e}`;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === '[' && pattern[i + 1] === ':')
        return bad(i, 'POSIX classes such as [:alpha:] are not supported');
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']' && !opts.has('allow_empty_class'))
        return bad(
          i,
          'a `]` first in a class needs escaping as `\\]` (or regex_options allow_empty_class for [])',
        );
      inClass = true;
      out += ch;
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (!/^(?::|=|!|<=|<!|<[A-Za-z_])/.test(rest))
        return bad(i, `group syntax (?${rest.slice(0, 1)} has no JavaScript RegExp equivalent`);
      out += ch;
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '*') return bad(i, 'PCRE2 verbs such as (*UTF) are not supported');
    if (ch === '.' && !dotall) out += '[^\\n]';
    // PCRE2's `$` also matches before a newline that ends the subject.
    else if (ch === '$' && !multiline && !opts.has('dollar_endonly')) out += '(?=\\n?$)';
    else out += ch;
  }
  if (inClass) return bad(pattern.length, 'missing `]` at the end of a character class');
  try {
    new RegExp(out, flags);
  } catch (e) {
    return bad(0, (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''));
  }
  return { ok: true, regex: { source: out, flags } };
}
