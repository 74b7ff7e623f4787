// SPDX-License-Identifier: Apache-2.0
/**
 * A user script's command line, as keepalived reads and starts it. Pure.
 *
 * Splitting (keepalived `alloc_strvec_quoted_escaped`, the second pass over a script's quoted
 * string): blanks separate words; `"..."` and `'...'` group words (the quotes are removed, `""`
 * is an empty word); a backslash escapes in and out of quotes: `\a \b \E \f \n \r \t \v`,
 * `\xHH` (one or two hex digits), `\NNN` (one to three octal digits), `\cC` (control-C), and `\C`
 * for any other character is that character. An unterminated quote or a trailing backslash is an
 * error, as in keepalived; so is `\0`, which keepalived silently cuts the word at.
 *
 * Starting: the program is exec'd directly with the words as argv (keepalived's `SC_EXECABLE`,
 * its default; a file without `#!` is run by /bin/sh through execvp's ENOEXEC fallback, as
 * keepalived does for it through system()). Only a command whose first word is a file test
 * (`</path`, keepalived's `SC_SYSTEM`) goes through `/bin/sh -c`, with every other word in
 * single quotes, as keepalived's `cmd_str` builds it.
 */

/** A script to run: argv[0] is the program; run as `user [group]` when given. */
export interface ScriptCommand {
  readonly argv: readonly string[];
  readonly user?: string;
  readonly group?: string;
}

/** `script_user USER [GROUP]` and the `USER [GROUP]` words after a script. */
export interface ScriptUser {
  readonly user: string;
  readonly group?: string;
}

export type SplitResult = { ok: true; argv: string[] } | { ok: false; reason: string };

/** keepalived's WHITE_SPACE_STR. */
const BLANKS = ' \t\f\n\r\v';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** The character a backslash escape at `at` (just after the backslash) stands for, and where it ends. */
function unescape(line: string, at: number): { ch: string; next: number } {
  const c = line[at] ?? '';
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(line.slice(at, at + 3));
  if (hex?.[1] !== undefined)
    return { ch: String.fromCharCode(parseInt(hex[1], 16)), next: at + 1 + hex[1].length };
  const octal = /^[0-7]{1,3}/.exec(line.slice(at, at + 3));
  if (octal) return { ch: String.fromCharCode(parseInt(octal[0], 8) & 0xff), next: at + octal[0].length };
  const ctl = line[at + 1];
  if (c === 'c' && ctl !== undefined)
    return { ch: String.fromCharCode(ctl.charCodeAt(0) & 0x1f), next: at + 2 };
  return { ch: SIMPLE_ESCAPES[c] ?? c, next: at + 1 };
}

/** Split a script command line into argv with keepalived's quoting and escape rules (see above). */
export function splitCommandLine(line: string): SplitResult {
  const argv: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && BLANKS.includes(line[i] ?? '')) i++;
    if (i >= line.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < line.length;) {
      const c = line[i] ?? '';
      if (c === '\\') {
        if (i + 1 >= line.length) return { ok: false, reason: 'the command line ends in a backslash' };
        const { ch, next } = unescape(line, i + 1);
        if (ch === '\0') return { ok: false, reason: 'a NUL character (\\0) cannot be part of an argument' };
        word += ch;
        i = next;
      } else if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else word += c;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else if (BLANKS.includes(c)) {
        break;
      } else {
        word += c;
        i++;
      }
    }
    if (quote !== undefined) return { ok: false, reason: `missing terminating ${quote}` };
    argv.push(word);
  }
  return { ok: true, argv };
}

/** True for keepalived's file-openable test (`</path`, blanks allowed after `<`): run by /bin/sh. */
export function runsInShell(argv: readonly string[]): boolean {
  return /^<[ \t]*\//.test(argv[0] ?? '');
}

/** The `sh -c` text for argv: a leading redirection as written, every other word single-quoted. */
export function shellCommandLine(argv: readonly string[]): string {
  return argv
    .map((w, i) =>
      i === 0 && (w.startsWith('<') || w.startsWith('>')) ? w : `'${w.replaceAll("'", "'\\''")}'`,
    )
    .join(' ');
}

/** What to exec for argv: the program itself, or /bin/sh for a file test. */
export function execPlan(argv: readonly string[]): { file: string; args: string[] } {
  if (runsInShell(argv)) return { file: '/bin/sh', args: ['-c', shellCommandLine(argv)] };
  const [file = '', ...args] = argv;
  return { file, args };
}

/** The command with `fallback` (`script_user`) as its user when it names none itself. */
export function withDefaultUser(cmd: ScriptCommand, fallback: ScriptUser | undefined): ScriptCommand {
  if (cmd.user !== undefined || fallback === undefined) return cmd;
  return { ...cmd, user: fallback.user, ...(fallback.group !== undefined ? { group: fallback.group } : {}) };
}
