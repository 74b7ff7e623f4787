// SPDX-License-Identifier: Apache-2.0
/**
 * Keyword tables and typed argument readers shared by the section schemas. Pure.
 * A table maps a keyword to a handler, as keepalived's install_keyword does, but handlers get the
 * context and target explicitly (no global cursor). Readers report a located diagnostic that names
 * the keyword and the expected value, and return undefined, so checking always goes on.
 */
import { splitCommandLine } from '../script/command.js';
import ipaddr from 'ipaddr.js';
import { canonicalQuadValue } from '../core/ipv4.js';
import type { IpFamily } from '../core/addr.js';
import { type Diagnostics, didYouMean } from './diagnostics.js';
import type { Token } from './lexer.js';
import type { ScriptSpec } from './model.js';
import type { AstNode } from './parser.js';

export interface Ctx {
  diags: Diagnostics;
  lenient: boolean;
}

export interface KeywordDef<T> {
  /** true: the keyword needs a `{ }` block; otherwise it must not have one. */
  block?: boolean;
  run(ctx: Ctx, node: AstNode, target: T): void;
}

export type KeywordTable<T> = Readonly<Record<string, KeywordDef<T>>>;

/** Run every statement of `nodes` through `table`; unknown and unsupported keywords are reported. */
export function runTable<T>(
  ctx: Ctx,
  nodes: readonly AstNode[],
  table: KeywordTable<T>,
  unsupported: ReadonlySet<string>,
  section: string,
  target: T,
): void {
  for (const node of nodes) {
    const kw = node.keyword;
    const def = Object.hasOwn(table, kw) ? table[kw] : undefined;
    if (!def) {
      reportUnknown(ctx, node, Object.keys(table), unsupported, section);
      continue;
    }
    if (def.block && !node.block) {
      ctx.diags.error(node.loc, `\`${kw}\` needs a block { ... }`, kw);
      continue;
    }
    if (!def.block && node.block) {
      ctx.diags.error(node.blockLoc ?? node.loc, `\`${kw}\` does not take a block`, kw);
      continue;
    }
    def.run(ctx, node, target);
  }
}

export function reportUnknown(
  ctx: Ctx,
  node: AstNode,
  known: readonly string[],
  unsupported: ReadonlySet<string>,
  section: string,
): void {
  const kw = node.keyword;
  if (unsupported.has(kw)) {
    ctx.diags.add(
      ctx.lenient ? 'warning' : 'error',
      'LVSD_E_CONFIG_INVALID',
      node.loc,
      `\`${kw}\` is a keepalived keyword that lvsd does not support${ctx.lenient ? ' (ignored)' : ''}`,
      kw,
    );
    return;
  }
  const hint = didYouMean(kw, known);
  ctx.diags.error(
    node.loc,
    `unknown keyword \`${kw}\` in ${section}${hint ? `; did you mean \`${hint}\`?` : ''}`,
    kw,
  );
}

/** Store a value a reader returned; undefined (the reader reported why) leaves the target as it was. */
export function set<T, K extends keyof T>(obj: T, key: K, v: T[K] | undefined): void {
  if (v !== undefined) obj[key] = v;
}

/** The argument at index i, or a diagnostic naming what was expected. */
export function arg(ctx: Ctx, node: AstNode, i: number, what: string): Token | undefined {
  const t = node.args[i];
  if (!t) ctx.diags.error(node.loc, `\`${node.keyword}\` needs ${what}`, node.keyword);
  return t;
}

/** Report arguments past `max`. */
export function noExtra(ctx: Ctx, node: AstNode, max: number): void {
  const t = node.args[max];
  if (t) ctx.diags.error(t.loc, `unexpected \`${t.text}\` after \`${node.keyword}\``, node.keyword);
}

/** A flag keyword (no value). */
export function flag(ctx: Ctx, node: AstNode): true {
  noExtra(ctx, node, 0);
  return true;
}

export function intValue(
  ctx: Ctx,
  kw: string,
  t: Token,
  min: number,
  max: number,
  what = 'an integer',
): number | undefined {
  if (!/^[+-]?\d+$/.test(t.text)) {
    ctx.diags.error(t.loc, `\`${kw}\` must be ${what} in ${min}..${max} (got ${t.text})`, kw);
    return undefined;
  }
  const n = Number(t.text);
  if (n < min || n > max) {
    ctx.diags.error(t.loc, `\`${kw}\` must be ${what} in ${min}..${max} (got ${t.text})`, kw);
    return undefined;
  }
  return n;
}

/** The single integer argument of a keyword. */
export function intArg(ctx: Ctx, node: AstNode, min: number, max: number): number | undefined {
  const t = arg(ctx, node, 0, `an integer in ${min}..${max}`);
  noExtra(ctx, node, 1);
  return t ? intValue(ctx, node.keyword, t, min, max) : undefined;
}

/** Seconds (decimal allowed) -> milliseconds, rounded to whole ms. */
export function secondsValue(ctx: Ctx, kw: string, t: Token, minS: number, maxS: number): number | undefined {
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t.text)) {
    ctx.diags.error(t.loc, `\`${kw}\` must be a number of seconds in ${minS}..${maxS} (got ${t.text})`, kw);
    return undefined;
  }
  const s = Number(t.text);
  if (s < minS || s > maxS) {
    ctx.diags.error(t.loc, `\`${kw}\` must be a number of seconds in ${minS}..${maxS} (got ${t.text})`, kw);
    return undefined;
  }
  return Math.round(s * 1000);
}

export function secondsArg(ctx: Ctx, node: AstNode, minS: number, maxS: number): number | undefined {
  const t = arg(ctx, node, 0, `a number of seconds in ${minS}..${maxS}`);
  noExtra(ctx, node, 1);
  return t ? secondsValue(ctx, node.keyword, t, minS, maxS) : undefined;
}

/**
 * The single argument of a keyword that takes one word out of `choices` (compared after
 * `normalize`), e.g. `state MASTER|BACKUP`; `what` names the choices in messages.
 */
export function choiceArg<C extends string>(
  ctx: Ctx,
  node: AstNode,
  choices: readonly C[],
  what: string,
  normalize: (word: string) => string = (word) => word,
): C | undefined {
  const t = arg(ctx, node, 0, what);
  noExtra(ctx, node, 1);
  if (!t) return undefined;
  const word = normalize(t.text);
  const choice = choices.find((c) => c === word);
  if (choice === undefined) {
    ctx.diags.error(t.loc, `\`${node.keyword}\` must be ${what} (got ${t.text})`, node.keyword);
  }
  return choice;
}

/** A single word argument. */
export function wordArg(ctx: Ctx, node: AstNode, what: string): string | undefined {
  const t = arg(ctx, node, 0, what);
  noExtra(ctx, node, 1);
  return t?.text;
}

export interface ParsedAddr {
  family: IpFamily;
  address: string;
}

/** `IPv4` or `IPv6`, as messages name a family. */
export function familyName(f: IpFamily): string {
  return f === 'inet' ? 'IPv4' : 'IPv6';
}

/** Strict address parse: IPv4 four-part decimal or IPv6; canonical text out. */
export function parseAddress(text: string): ParsedAddr | undefined {
  // A canonical dotted quad (11,000 of them in a 10,000-real config) is its own canonical text.
  if (canonicalQuadValue(text) !== undefined) return { family: 'inet', address: text };
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: 'inet', address: ipaddr.IPv4.parse(text).toString() };
  }
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const a = ipaddr.IPv6.parse(text);
    if (a.zoneId !== undefined) return undefined;
    return { family: 'inet6', address: a.toString() };
  }
  return undefined;
}

export function addressValue(ctx: Ctx, kw: string, t: Token): ParsedAddr | undefined {
  const a = parseAddress(t.text);
  if (!a) ctx.diags.error(t.loc, `\`${kw}\` needs an IPv4 or IPv6 address (got ${t.text})`, kw);
  return a;
}

export function addressArg(ctx: Ctx, node: AstNode): ParsedAddr | undefined {
  const t = arg(ctx, node, 0, 'an IPv4 or IPv6 address');
  noExtra(ctx, node, 1);
  return t ? addressValue(ctx, node.keyword, t) : undefined;
}

/** `ADDR[/LEN]` with the prefix length checked against the family. */
export function prefixValue(
  ctx: Ctx,
  kw: string,
  t: Token,
): (ParsedAddr & { prefix: number; hadPrefix: boolean }) | undefined {
  const [addrText = '', lenText, ...rest] = t.text.split('/');
  const a = parseAddress(addrText);
  if (!a || rest.length > 0) {
    ctx.diags.error(t.loc, `\`${kw}\` needs an address as IP[/PREFIX] (got ${t.text})`, kw);
    return undefined;
  }
  const maxLen = a.family === 'inet' ? 32 : 128;
  if (lenText === undefined) return { ...a, prefix: maxLen, hadPrefix: false };
  if (!/^\d+$/.test(lenText) || Number(lenText) > maxLen) {
    ctx.diags.error(
      t.loc,
      `\`${kw}\`: prefix length must be 0..${maxLen} for ${a.address} (got /${lenText})`,
      kw,
    );
    return undefined;
  }
  return { ...a, prefix: Number(lenText), hadPrefix: true };
}

export function portValue(ctx: Ctx, kw: string, t: Token, min = 0): number | undefined {
  return intValue(ctx, kw, t, min, 65535, 'a port');
}

/**
 * A script command line: one (usually quoted) argument, optionally followed by `USER [GROUP]`.
 * Split into argv the way keepalived does (src/script/command.ts): whitespace-separated, with
 * quotes and escapes honoured; an unterminated quote is an error.
 */
export function scriptArgs(ctx: Ctx, node: AstNode, start = 0): ScriptSpec | undefined {
  const t = arg(ctx, node, start, 'a script path');
  if (!t) return undefined;
  const split = splitCommandLine(t.text);
  if (!split.ok) {
    ctx.diags.error(
      t.loc,
      `\`${node.keyword}\`: cannot split the command line: ${split.reason}`,
      node.keyword,
    );
    return undefined;
  }
  const argv = split.argv;
  if (argv.length === 0 || argv[0] === '') {
    ctx.diags.error(t.loc, `\`${node.keyword}\` needs a script path (got an empty string)`, node.keyword);
    return undefined;
  }
  const spec: ScriptSpec = { command: t.text, argv, loc: t.loc };
  const user = node.args[start + 1];
  const group = node.args[start + 2];
  if (user) spec.user = user.text;
  if (group) spec.group = group.text;
  noExtra(ctx, node, start + 3);
  return spec;
}

/** A user to run scripts as, from `user USER [GROUP]` or `script_user USER [GROUP]`. */
export interface RunAs {
  user: string;
  group?: string;
}

/** The words of `user USER [GROUP]` / `script_user USER [GROUP]`. */
export function runAsArgs(ctx: Ctx, node: AstNode): RunAs | undefined {
  const u = arg(ctx, node, 0, 'a user name');
  noExtra(ctx, node, 2);
  if (!u) return undefined;
  return node.args[1] ? { user: u.text, group: node.args[1].text } : { user: u.text };
}

/** A copy of `spec` that runs as `runAs` (a `user` keyword) unless its own line names a user. */
export function withUser(spec: ScriptSpec, runAs: RunAs | undefined): ScriptSpec {
  const out = { ...spec };
  if (runAs && out.user === undefined) {
    out.user = runAs.user;
    if (runAs.group !== undefined) out.group = runAs.group;
  }
  return out;
}

/** The words of a block's statements, flattened per line: `{ a b \n c }` -> [[a, b], [c]]. */
export function blockLines(node: AstNode): Array<{ words: Token[]; node: AstNode }> {
  const out: Array<{ words: Token[]; node: AstNode }> = [];
  for (const child of node.block ?? []) {
    out.push({
      words: [{ kind: 'word', text: child.keyword, quoted: false, loc: child.loc }, ...child.args],
      node: child,
    });
  }
  return out;
}

/** Report nested blocks inside a list block (e.g. `virtual_ipaddress`). */
export function noNestedBlock(ctx: Ctx, child: AstNode, parent: string): boolean {
  if (child.block) {
    ctx.diags.error(child.blockLoc ?? child.loc, `unexpected block inside \`${parent}\``, parent);
    return false;
  }
  return true;
}
