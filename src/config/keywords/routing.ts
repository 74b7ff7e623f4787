// SPDX-License-Identifier: Apache-2.0
/**
 * The lines of `virtual_routes` / `static_routes` and `virtual_rules` / `static_rules`: the words of
 * keepalived 2.2.7's route and rule parsers (alloc_route in vrrp_iproute.c, alloc_rule in
 * vrrp_iprule.c) that lvsd carries out, keepalived's defaults (table main, scope global, protocol
 * keepalived, rule priorities from 16384 down), and a located error naming every other option.
 * Names resolve from iproute2's built-in tables only (lvsd does not read /etc/iproute2; numbers
 * always work). Pure.
 */
import type { IpFamily } from '../../core/addr.js';
import type { Token } from '../lexer.js';
import type { IpNexthop, IpPrefix, IpRoute, IpRule, RouteType, RuleAction } from '../model.js';
import type { AstNode } from '../parser.js';
import { type Ctx, blockLines, familyName, noNestedBlock, parseAddress } from '../values.js';

/** RTPROT_KEEPALIVED: what keepalived sets on every route and rule it tracks (all, by default). */
export const PROTO_KEEPALIVED = 18;
/** Where keepalived starts numbering rules written without a priority (down, per family). */
export const RULE_START_PRIORITY = 16384;

const TABLES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
const SCOPES: Readonly<Record<string, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };
/** iproute2's built-in protocol names plus Debian's /etc/iproute2/rt_protos (keepalived reads it). */
const PROTOCOLS: Readonly<Record<string, number>> = {
  none: 0,
  unspec: 0,
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  gated: 8,
  ra: 9,
  mrt: 10,
  zebra: 11,
  bird: 12,
  dnrouted: 13,
  xorp: 14,
  ntk: 15,
  dhcp: 16,
  keepalived: 18,
  babel: 42,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
};
const ROUTE_TYPES: Readonly<Record<string, RouteType>> = {
  unicast: 'unicast',
  local: 'local',
  broadcast: 'broadcast',
  brd: 'broadcast',
  anycast: 'anycast',
  multicast: 'multicast',
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
  throw: 'throw',
};
/** keepalived route words lvsd does not carry out (an error, never silently dropped). */
const ROUTE_UNSUPPORTED = new Set([
  'encap',
  'expires',
  'mtu',
  'hoplimit',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'ssthresh',
  'realms',
  'rto_min',
  'initcwnd',
  'initrwnd',
  'features',
  'quickack',
  'congctl',
  'pref',
  'ttl-propagate',
  'fastopen_no_cookie',
  'add',
  'prepend',
  'append',
  'as',
  'track_group',
  'vrf',
  'nat',
  'xresolve',
]);
/** keepalived rule words lvsd does not carry out. */
const RULE_UNSUPPORTED = new Set([
  'realms',
  'suppress_prefixlength',
  'sup_pl',
  'suppress_ifgroup',
  'sup_group',
  'tunnel-id',
  'uidrange',
  'l3mdev',
  'ipproto',
  'sport',
  'dport',
  'track_group',
]);
const RULE_ACTIONS: Readonly<Record<string, RuleAction>> = {
  nop: 'nop',
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
};

/** A rule as written: its priority is filled in once every rule of the file is known. */
export type RuleDraft = Omit<IpRule, 'priority'> & { priority?: number };

/** An unsigned integer up to `max` as C's strtoul base 0 reads it (keepalived does): 0x hex, 0 octal, decimal. */
function unsignedOf(text: string, max: number): number | undefined {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) n = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) n = Number(text);
  else return undefined;
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

/** A number, or a name from `names`; undefined when it is neither. */
function named(text: string, names: Readonly<Record<string, number>>, max: number): number | undefined {
  return Object.hasOwn(names, text) ? names[text] : unsignedOf(text, max);
}

/** `ADDR[/LEN]`, or `default`/`any`/`all` (prefix 0, family decided by the rest of the line). */
function prefixOf(text: string): (IpPrefix & { family?: IpFamily }) | 'bad' {
  if (text === 'default' || text === 'any' || text === 'all') return { address: '', prefix: 0 };
  const [addrText = '', lenText, ...rest] = text.split('/');
  const a = parseAddress(addrText);
  if (!a || rest.length > 0) return 'bad';
  const max = a.family === 'inet' ? 32 : 128;
  if (lenText === undefined) return { family: a.family, address: a.address, prefix: max };
  if (!/^\d+$/.test(lenText) || Number(lenText) > max) return 'bad';
  return { family: a.family, address: a.address, prefix: Number(lenText) };
}

/** Whether an IPv4 prefix has bits set past its length (the kernel refuses such a route). */
function hostBitsSet(p: IpPrefix): boolean {
  if (p.prefix >= 32 || p.address === '') return false;
  const n = p.address.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = p.prefix === 0 ? 0 : (~0 << (32 - p.prefix)) >>> 0;
  return (n & ~mask) >>> 0 !== 0;
}

/** A zero address for `default` once the family is known. */
function settle(p: IpPrefix, family: IpFamily): IpPrefix {
  return p.address === '' ? { address: family === 'inet' ? '0.0.0.0' : '::', prefix: 0 } : p;
}

/** Reads the words of one line in order, with the family every address must agree on. */
class LineReader {
  i = 0;
  family: IpFamily | undefined;
  ok = true;

  constructor(
    readonly ctx: Ctx,
    readonly kw: string,
    readonly words: readonly Token[],
  ) {}

  get word(): Token | undefined {
    return this.words[this.i];
  }

  fail(t: Token, message: string): undefined {
    this.ctx.diags.error(t.loc, `\`${this.kw}\`: ${message}`, this.kw);
    this.ok = false;
    return undefined;
  }

  /** The value word after the current option word. */
  value(): Token | undefined {
    const opt = this.words[this.i];
    const v = this.words[this.i + 1];
    if (!opt) return undefined;
    if (!v) return this.fail(opt, `\`${opt.text}\` needs a value`);
    this.i++;
    return v;
  }

  setFamily(f: IpFamily | undefined, t: Token): boolean {
    if (f === undefined) return true;
    if (this.family === undefined) this.family = f;
    else if (this.family !== f) {
      this.fail(t, `${t.text} is ${familyName(f)} but the line is ${familyName(this.family)}`);
      return false;
    }
    return true;
  }

  address(t: Token | undefined): string | undefined {
    if (!t) return undefined;
    const a = parseAddress(t.text);
    if (!a) return this.fail(t, `expected an IPv4 or IPv6 address (got ${t.text})`);
    return this.setFamily(a.family, t) ? a.address : undefined;
  }

  prefix(t: Token | undefined): IpPrefix | undefined {
    if (!t) return undefined;
    const p = prefixOf(t.text);
    if (p === 'bad') return this.fail(t, `expected ADDRESS[/LENGTH] or default (got ${t.text})`);
    return this.setFamily(p.family, t) ? { address: p.address, prefix: p.prefix } : undefined;
  }

  number(t: Token | undefined, what: string, max: number, names: Readonly<Record<string, number>> = {}) {
    if (!t) return undefined;
    const n = named(t.text, names, max);
    if (n === undefined) {
      const known = Object.keys(names);
      const alt = known.length > 0 ? ` or one of ${known.join(', ')}` : '';
      return this.fail(t, `${what} must be a number in 0..${max}${alt} (got ${t.text})`);
    }
    return n;
  }

  unsupported(t: Token): void {
    const lenient = this.ctx.lenient;
    this.ctx.diags.add(
      lenient ? 'warning' : 'error',
      'LVSD_E_CONFIG_INVALID',
      t.loc,
      `\`${this.kw}\` option \`${t.text}\` is a keepalived option that lvsd does not support${lenient ? ' (the line is ignored)' : ''}`,
      this.kw,
    );
    this.ok = false;
  }
}

/** The protocol keepalived sets: its own unless `no_track` keeps the one written (with a warning otherwise). */
function trackedProtocol(r: LineReader, written: { n: number; t: Token } | undefined, noTrack: boolean) {
  if (written && !noTrack && written.n !== PROTO_KEEPALIVED) {
    r.ctx.diags.warning(
      written.t.loc,
      `\`${r.kw}\`: \`protocol ${written.t.text}\` is replaced by ${PROTO_KEEPALIVED} (keepalived), as keepalived does for a tracked entry; add \`no_track\` to keep it`,
      r.kw,
    );
  }
  return noTrack ? written?.n : PROTO_KEEPALIVED;
}

/** Optional fields a reader may leave undefined (it reported why). */
type Loose<T> = { [K in keyof T]?: T[K] | undefined };

type RouteFields = Loose<
  Pick<IpRoute, 'src' | 'from' | 'via' | 'dev' | 'metric' | 'scope' | 'tos' | 'to' | 'nexthops'>
> &
  Pick<IpRoute, 'type' | 'table' | 'onlink'> & {
    protocol?: { n: number; t: Token };
    noTrack: boolean;
  };

/** One route word (and its value) into `f`; false when the word is not a route option. */
function routeOption(r: LineReader, t: Token, f: RouteFields): boolean {
  switch (t.text) {
    case 'inet':
    case 'inet6':
      r.setFamily(t.text, t);
      return true;
    case 'src':
      f.src = r.address(r.value());
      return true;
    case 'via':
    case 'gw': {
      let v = r.value();
      if (v && (v.text === 'inet' || v.text === 'inet6')) {
        r.setFamily(v.text, v);
        v = r.value();
      }
      f.via = r.address(v);
      return true;
    }
    case 'from':
      f.from = r.prefix(r.value());
      if (f.from && r.family !== 'inet6') r.fail(t, '`from` is for IPv6 routes only (as in keepalived)');
      return true;
    case 'tos':
    case 'dsfield':
      f.tos = r.number(r.value(), '`tos`', 255);
      return true;
    case 'table': {
      const v = r.value();
      f.table = r.number(v, '`table`', 0xffffffff, TABLES) ?? f.table;
      if (f.table === 0 && v) r.fail(v, 'table 0 is not a routing table');
      return true;
    }
    case 'protocol': {
      const v = r.value();
      const n = r.number(v, '`protocol`', 255, PROTOCOLS);
      if (v && n !== undefined) f.protocol = { n, t: v };
      return true;
    }
    case 'scope':
      f.scope = r.number(r.value(), '`scope`', 255, SCOPES);
      return true;
    case 'metric':
    case 'priority':
    case 'preference':
      f.metric = r.number(r.value(), `\`${t.text}\``, 0xffffffff);
      return true;
    case 'dev':
    case 'oif':
      f.dev = r.value()?.text;
      return true;
    case 'onlink':
      f.onlink = true;
      return true;
    case 'no_track':
      f.noTrack = true;
      return true;
  }
  return false;
}

/** keepalived's deprecated `via A or B`: two paths, the `via` moving to the first. */
function orRoute(r: LineReader, t: Token, f: RouteFields): void {
  const v = r.value();
  if (!v) return;
  if (f.nexthops) r.fail(t, '`or` cannot be combined with `nexthop` or a second `or`');
  else if (f.via === undefined) r.fail(t, '`or` needs a `via` before it');
  else {
    const other = r.address(v);
    if (other !== undefined)
      f.nexthops = [
        { via: f.via, onlink: false },
        { via: other, onlink: false },
      ];
    f.via = undefined;
  }
}

/** `nexthop [via [inet|inet6] A] [dev IF] [weight N] [onlink] ...` to the end of the line. */
function nexthops(r: LineReader, f: RouteFields): void {
  const at = r.word;
  if (!at) return;
  if (f.nexthops) {
    r.fail(at, '`nexthop` cannot be combined with `or`');
    return;
  }
  const list: IpNexthop[] = [];
  for (; r.ok && r.word?.text === 'nexthop';) {
    const nh: IpNexthop = { onlink: false };
    list.push(nh);
    for (r.i++; r.ok && r.word && r.word.text !== 'nexthop'; r.i++) {
      const t = r.word;
      if (t.text === 'via') {
        let v = r.value();
        if (v && (v.text === 'inet' || v.text === 'inet6')) {
          r.setFamily(v.text, v);
          v = r.value();
        }
        const a = r.address(v);
        if (a !== undefined) nh.via = a;
      } else if (t.text === 'dev') {
        const v = r.value();
        if (v) nh.dev = v.text;
      } else if (t.text === 'weight') {
        const v = r.value();
        const n = v ? unsignedOf(v.text, 256) : undefined;
        if (v && (n === undefined || n === 0)) r.fail(v, `\`weight\` must be 1..256 (got ${v.text})`);
        else if (n !== undefined) nh.weight = n;
      } else if (t.text === 'onlink') nh.onlink = true;
      else if (t.text === 'encap' || t.text === 'realms' || t.text === 'as') r.unsupported(t);
      else
        r.fail(
          t,
          `unknown nexthop option \`${t.text}\` (after the nexthops only further nexthops may follow)`,
        );
    }
  }
  f.nexthops = list;
}

/** The destination at the reader's word: `[to] [TYPE] PREFIX`. */
function routeDestination(r: LineReader, f: RouteFields): void {
  if (r.word?.text === 'to') r.i++;
  const typeWord = r.word;
  if (typeWord && Object.hasOwn(ROUTE_TYPES, typeWord.text)) {
    f.type = ROUTE_TYPES[typeWord.text] ?? 'unicast';
    r.i++;
  }
  const dest = r.word;
  if (!dest) {
    if (typeWord) r.fail(typeWord, `\`${typeWord.text}\` needs a destination`);
    return;
  }
  if (prefixOf(dest.text) === 'bad') {
    r.fail(dest, `unknown route option \`${dest.text}\``);
    return;
  }
  if (f.to) r.fail(dest, `a second destination (${dest.text})`);
  else f.to = r.prefix(dest);
}

/** One line of `virtual_routes` / `static_routes`; undefined (reported) when it cannot be carried out. */
export function routeLine(ctx: Ctx, kw: string, words: readonly Token[]): IpRoute | undefined {
  const first = words[0];
  if (!first) return undefined;
  const r = new LineReader(ctx, kw, words);
  const f: RouteFields = { type: 'unicast', table: TABLES.main ?? 254, onlink: false, noTrack: false };
  for (; r.ok && r.i < words.length; r.i++) {
    const t = words[r.i];
    if (!t) break;
    if (ROUTE_UNSUPPORTED.has(t.text)) r.unsupported(t);
    else if (t.text === 'nexthop') {
      nexthops(r, f);
      break;
    } else if (t.text === 'or') orRoute(r, t, f);
    else if (!routeOption(r, t, f)) routeDestination(r, f);
  }
  if (!r.ok) return undefined;
  if (!f.to) return r.fail(first, 'a route needs a destination');
  const family = r.family ?? 'inet';
  const to = settle(f.to, family);
  if (family === 'inet' && hostBitsSet(to))
    return r.fail(first, `${to.address}/${to.prefix} has host bits set (the kernel refuses it)`);
  const out: IpRoute = {
    family,
    to,
    type: f.type,
    table: f.table,
    protocol: trackedProtocol(r, f.protocol, f.noTrack) ?? PROTO_KEEPALIVED,
    onlink: f.onlink,
    loc: first.loc,
  };
  if (f.src !== undefined) out.src = f.src;
  if (f.from !== undefined) out.from = f.from;
  if (f.via !== undefined) out.via = f.via;
  if (f.dev !== undefined) out.dev = f.dev;
  if (f.metric !== undefined) out.metric = f.metric;
  if (f.scope !== undefined) out.scope = f.scope;
  if (f.tos !== undefined) out.tos = f.tos;
  if (f.nexthops !== undefined) out.nexthops = f.nexthops;
  return out;
}

type RuleFields = Loose<
  Pick<RuleDraft, 'from' | 'to' | 'priority' | 'table' | 'goto' | 'fwmark' | 'fwmask' | 'iif' | 'oif' | 'tos'>
> & {
  action?: { a: RuleAction; t: Token };
  protocol?: { n: number; t: Token };
  invert: boolean;
  noTrack: boolean;
  priorityToken?: Token;
};

function setAction(r: LineReader, t: Token, f: RuleFields, a: RuleAction): void {
  if (f.action)
    r.fail(t, `only one of table, goto, nop, blackhole, unreachable, prohibit (${f.action.t.text} is set)`);
  else f.action = { a, t };
}

/** One rule word (and its value) into `f`; false when the word is not a rule option. */
function ruleOption(r: LineReader, t: Token, f: RuleFields): boolean {
  switch (t.text) {
    case 'inet':
    case 'inet6':
      r.setFamily(t.text, t);
      return true;
    case 'from':
      f.from = r.prefix(r.value());
      return true;
    case 'to':
      f.to = r.prefix(r.value());
      return true;
    case 'table':
    case 'lookup': {
      const v = r.value();
      const n = r.number(v, `\`${t.text}\``, 0xffffffff, TABLES);
      if (v && n === 0) r.fail(v, 'table 0 is not a routing table');
      else if (n !== undefined) {
        f.table = n;
        setAction(r, t, f, 'table');
      }
      return true;
    }
    case 'not':
      f.invert = true;
      return true;
    case 'preference':
    case 'order':
    case 'priority': {
      const v = r.value();
      const n = r.number(v, `\`${t.text}\``, 0xffffffff);
      if (n !== undefined) f.priority = n;
      if (v) f.priorityToken = v;
      return true;
    }
    case 'tos':
    case 'dsfield':
      f.tos = r.number(r.value(), '`tos`', 255);
      return true;
    case 'fwmark': {
      const v = r.value();
      if (!v) return true;
      const [mark = '', mask, ...rest] = v.text.split('/');
      const m = unsignedOf(mark, 0xffffffff);
      const k = mask === undefined ? undefined : unsignedOf(mask, 0xffffffff);
      if (m === undefined || rest.length > 0 || (mask !== undefined && k === undefined))
        r.fail(v, `\`fwmark\` must be N or N/MASK, 32-bit numbers (got ${v.text})`);
      else {
        f.fwmark = m;
        if (k !== undefined) f.fwmask = k;
      }
      return true;
    }
    case 'dev':
    case 'iif':
      f.iif = r.value()?.text;
      return true;
    case 'oif':
      f.oif = r.value()?.text;
      return true;
    case 'protocol': {
      const v = r.value();
      const n = r.number(v, '`protocol`', 255);
      if (v && n !== undefined) f.protocol = { n, t: v };
      return true;
    }
    case 'no_track':
      f.noTrack = true;
      return true;
  }
  return false;
}

/** `[type] goto N | nop | blackhole | unreachable | prohibit` at the reader's word. */
function ruleActionWord(r: LineReader, t: Token, f: RuleFields): void {
  let w: Token | undefined = t;
  if (t.text === 'type') w = r.value();
  if (!w) return;
  if (w.text === 'goto') {
    const n = r.number(r.value(), '`goto`', 0xffffffff);
    if (n !== undefined) {
      f.goto = n;
      setAction(r, w, f, 'goto');
    }
  } else if (Object.hasOwn(RULE_ACTIONS, w.text)) setAction(r, w, f, RULE_ACTIONS[w.text] ?? 'nop');
  else r.fail(w, `unknown rule option \`${w.text}\``);
}

/** One line of `virtual_rules` / `static_rules`, its priority still to be assigned when not written. */
export function ruleLine(ctx: Ctx, kw: string, words: readonly Token[]): RuleDraft | undefined {
  const first = words[0];
  if (!first) return undefined;
  const r = new LineReader(ctx, kw, words);
  const f: RuleFields = { invert: false, noTrack: false };
  for (; r.ok && r.i < words.length; r.i++) {
    const t = words[r.i];
    if (!t) break;
    if (RULE_UNSUPPORTED.has(t.text)) r.unsupported(t);
    else if (!ruleOption(r, t, f)) ruleActionWord(r, t, f);
  }
  if (!r.ok) return undefined;
  if (!f.action)
    return r.fail(first, 'a rule needs an action (table N, goto N, nop, blackhole, unreachable or prohibit)');
  if (f.action.a === 'goto' && (f.priority === undefined || f.goto === undefined || f.priority >= f.goto))
    return r.fail(f.action.t, '`goto` needs a `priority` lower than its target');
  const family = r.family ?? 'inet';
  const out: RuleDraft = { family, invert: f.invert, action: f.action.a, loc: first.loc };
  if (f.from) out.from = settle(f.from, family);
  if (f.to) out.to = settle(f.to, family);
  const protocol = trackedProtocol(r, f.protocol, f.noTrack);
  if (protocol !== undefined) out.protocol = protocol;
  for (const k of ['priority', 'table', 'goto', 'fwmark', 'fwmask', 'iif', 'oif', 'tos'] as const) {
    if (f[k] !== undefined) (out as Record<string, unknown>)[k] = f[k];
  }
  return out;
}

/** The lines of a `*_routes` block. */
export function routeList(ctx: Ctx, node: AstNode): IpRoute[] {
  const out: IpRoute[] = [];
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    const route = routeLine(ctx, node.keyword, words);
    if (route) out.push(route);
  }
  return out;
}

/** The lines of a `*_rules` block. */
export function ruleList(ctx: Ctx, node: AstNode): RuleDraft[] {
  const out: RuleDraft[] = [];
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    const rule = ruleLine(ctx, node.keyword, words);
    if (rule) out.push(rule);
  }
  return out;
}

/**
 * keepalived's priority for rules written without one: 16384 for the first IPv4 rule of the file
 * (static or virtual, in file order), one less for each next one; IPv6 counts on its own. A warning
 * each, as keepalived logs one ("probably not what you want"). `inOrder` is every rule in file order.
 */
export function assignRulePriorities(ctx: Ctx, inOrder: readonly RuleDraft[]): void {
  const next = { inet: RULE_START_PRIORITY, inet6: RULE_START_PRIORITY };
  for (const r of inOrder) {
    if (r.priority !== undefined) continue;
    r.priority = next[r.family]--;
    ctx.diags.warning(
      r.loc,
      `rule without \`priority\`: ${r.priority} is used, as keepalived does (write one: rules are ordered by it)`,
      'priority',
    );
  }
}

/** A rule whose priority has been assigned. */
export function finalRule(r: RuleDraft): IpRule {
  return { ...r, priority: r.priority ?? RULE_START_PRIORITY };
}
