// SPDX-License-Identifier: Apache-2.0
/**
 * popt's option syntax as ipvsadm sees it: argv -> options in order plus leftover arguments.
 * Bundled short flags (`-Ln`), `-wN`, `--opt=value`, and an optional argument (`-p`) taken only
 * when the next word does not start with `-`. Pure.
 */
import type { OptSpec } from './ipvsadm-options.js';
import { UsageFail, optSpecs } from './ipvsadm-options.js';

export interface Token {
  /** Long name of the option. */
  name: string;
  /** As written, for messages. */
  text: string;
  value: string | undefined;
}

/** Yields options in order and collects leftover arguments. */
export function tokenize(argv: readonly string[]): { opts: Token[]; rest: string[] } {
  const opts: Token[] = [];
  try {
    return tokenizeInto(argv, opts);
  } catch (e) {
    // popt fails on the first option: ipvsadm then only says "Try ... -h"
    if (e instanceof UsageFail && opts.length === 0) throw new UsageFail('', true);
    throw e;
  }
}

/** The value of an option that takes one and has none attached: the next word, when it may be taken. */
function nextValue(spec: OptSpec, next: string | undefined, text: string): string | undefined {
  if (spec.arg === 'required') {
    if (next === undefined) throw new UsageFail(`${text}: missing argument`);
    return next;
  }
  return next !== undefined && !next.startsWith('-') ? next : undefined;
}

/** `--name`, `--name=value`, `--name value`; returns how many extra words it used. */
function longOption(a: string, next: string | undefined, opts: Token[]): number {
  const eq = a.indexOf('=');
  const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
  const spec = optSpecs.find((s) => s.long === name);
  if (!spec) throw new UsageFail(`${eq >= 0 ? a.slice(0, eq) : a}: unknown option`);
  let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
  if (spec.arg === 'none' && value !== undefined)
    throw new UsageFail(`${a}: option does not take an argument`);
  let used = 0;
  if (spec.arg !== 'none' && value === undefined) {
    value = nextValue(spec, next, `--${name}`);
    if (value !== undefined) used = 1;
  }
  opts.push({ name: spec.long, text: `--${name}`, value });
  return used;
}

/** `-abc`, `-wN`, `-w N`; returns how many extra words it used. */
function shortOptions(a: string, next: string | undefined, opts: Token[]): number {
  for (let j = 1; j < a.length; j++) {
    const ch = a[j]!;
    const spec = optSpecs.find((s) => s.short === ch);
    if (!spec) throw new UsageFail(`-${ch}: unknown option`);
    if (spec.arg === 'none') {
      opts.push({ name: spec.long, text: `-${ch}`, value: undefined });
      continue;
    }
    let value: string | undefined = a.slice(j + 1) || undefined;
    let used = 0;
    if (value === undefined) {
      value = nextValue(spec, next, `-${ch}`);
      if (value !== undefined) used = 1;
    }
    opts.push({ name: spec.long, text: `-${ch}`, value });
    return used;
  }
  return 0;
}

function tokenizeInto(argv: readonly string[], opts: Token[]): { opts: Token[]; rest: string[] } {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) i += longOption(a, argv[i + 1], opts);
    else if (a.startsWith('-') && a.length > 1) i += shortOptions(a, argv[i + 1], opts);
    else rest.push(a);
  }
  return { opts, rest };
}
