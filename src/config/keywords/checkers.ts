// SPDX-License-Identifier: Apache-2.0
/**
 * Keyword tables of the health checkers (`TCP_CHECK`, `HTTP_GET`, `SSL_GET`, `MISC_CHECK`,
 * `DNS_CHECK`, `UDP_CHECK`, `FILE_CHECK`, `PING_CHECK`, `SMTP_CHECK`) and the checker draft they
 * fill. Pure.
 * Inherited values (delay_loop, retry, ...) are resolved in schema-checkers.ts.
 */
import type { CheckerType, HttpUrl, ScriptSpec, SourceLoc } from '../model.js';
import type { AstNode } from '../parser.js';
import { compilePcre, regexOptionProblem } from '../pcre.js';
import {
  type Ctx,
  type KeywordTable,
  type RunAs,
  addressArg,
  arg,
  choiceArg,
  flag,
  intArg,
  intValue,
  noExtra,
  runAsArgs,
  runTable,
  scriptArgs,
  secondsArg,
  set,
  wordArg,
} from '../values.js';

/** Timing a checker inherits from its real server, and that from its virtual server. */
export interface InheritedTiming {
  delayLoopMs?: number;
  alpha?: boolean;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  connectTimeoutMs?: number;
}

/** The keywords of `InheritedTiming`, alike in checkers, real servers and virtual servers. */
export function inheritedTimingKeywords<T extends InheritedTiming>(): KeywordTable<T> {
  return {
    delay_loop: { run: (c, n, d) => set(d, 'delayLoopMs', secondsArg(c, n, 0.001, 86400)) },
    alpha: { run: (c, n, d) => (d.alpha = flag(c, n)) },
    retry: { run: (c, n, d) => set(d, 'retry', intArg(c, n, 0, 1_000_000)) },
    delay_before_retry: { run: (c, n, d) => set(d, 'delayBeforeRetryMs', secondsArg(c, n, 0, 86400)) },
    warmup: { run: (c, n, d) => set(d, 'warmupMs', secondsArg(c, n, 0, 86400)) },
    connect_timeout: { run: (c, n, d) => set(d, 'connectTimeoutMs', secondsArg(c, n, 0.001, 3600)) },
  };
}

export interface CheckerDraft extends InheritedTiming {
  type: CheckerType;
  loc: SourceLoc;
  present: ReadonlySet<string>;
  connectIp?: string;
  connectIpFamily?: 'inet' | 'inet6';
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  fwmark?: number;
  /** Where `bind_if` and `fwmark` were written (their messages point there, not at the checker). */
  bindIfLoc?: SourceLoc;
  fwmarkLoc?: SourceLoc;
  logAllFailures: boolean;
  // HTTP_GET / SSL_GET
  urls: HttpUrl[];
  virtualhost?: string;
  httpProtocol?: '1.0' | '1.0C' | '1.1';
  enableSni: boolean;
  sniName?: string;
  fastRecovery: boolean;
  // MISC_CHECK
  miscPath?: ScriptSpec;
  miscTimeoutMs?: number;
  miscDynamic: boolean;
  user?: RunAs;
  // DNS_CHECK
  queryType?: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  name?: string;
  // UDP_CHECK
  payload?: string;
  requireReply?: string;
  minReplyLength?: number;
  maxReplyLength?: number;
  // FILE_CHECK
  trackFile?: string;
  trackFileLoc?: SourceLoc;
  dynamic: boolean;
  weight?: number;
  weightReverse: boolean;
  // SMTP_CHECK
  heloName?: string;
  /** Deprecated `host { }` blocks: each becomes a checker of its own (`expandSmtpHosts`). */
  smtpHosts: SmtpHostDraft[];
}

/** The connection options of one deprecated SMTP_CHECK `host { }` block. */
export type SmtpHostDraft = Pick<
  CheckerDraft,
  | 'connectIp'
  | 'connectIpFamily'
  | 'connectPort'
  | 'bindTo'
  | 'bindPort'
  | 'bindIf'
  | 'fwmark'
  | 'bindIfLoc'
  | 'fwmarkLoc'
  | 'connectTimeoutMs'
> & { loc: SourceLoc; present: ReadonlySet<string> };

export function newCheckerDraft(
  type: CheckerType,
  loc: SourceLoc,
  present: ReadonlySet<string>,
): CheckerDraft {
  return {
    type,
    loc,
    present,
    logAllFailures: false,
    urls: [],
    enableSni: false,
    fastRecovery: false,
    miscDynamic: false,
    dynamic: false,
    weightReverse: false,
    smtpHosts: [],
  };
}

const common: KeywordTable<CheckerDraft> = {
  connect_ip: {
    run: (c, n, d) => {
      const a = addressArg(c, n);
      if (a) {
        d.connectIp = a.address;
        d.connectIpFamily = a.family;
      }
    },
  },
  connect_port: { run: (c, n, d) => set(d, 'connectPort', intArg(c, n, 1, 65535)) },
  bindto: {
    run: (c, n, d) => {
      const a = addressArg(c, n);
      if (a) d.bindTo = a.address;
    },
  },
  bind_port: { run: (c, n, d) => set(d, 'bindPort', intArg(c, n, 1, 65535)) },
  bind_if: {
    run: (c, n, d) => {
      set(d, 'bindIf', wordArg(c, n, 'an interface name'));
      d.bindIfLoc = n.loc;
    },
  },
  fwmark: {
    run: (c, n, d) => {
      set(d, 'fwmark', intArg(c, n, 1, 4294967295));
      d.fwmarkLoc = n.loc;
    },
  },
  ...inheritedTimingKeywords<CheckerDraft>(),
  nb_get_retry: { run: (c, n, d) => set(d, 'retry', intArg(c, n, 0, 1_000_000)) },
  log_all_failures: { run: (c, n, d) => (d.logAllFailures = flag(c, n)) },
};

function statusCodes(ctx: Ctx, node: AstNode): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (node.args.length === 0)
    ctx.diags.error(node.loc, '`status_code` needs a code or range such as 200-299', 'status_code');
  for (const t of node.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(t.text);
    const lo = Number(m?.[1]);
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      ctx.diags.error(
        t.loc,
        `\`status_code\` must be a code or range within 100-599 (got ${t.text})`,
        'status_code',
      );
      continue;
    }
    out.push([lo, hi]);
  }
  return out;
}

interface UrlDraft {
  url: Partial<HttpUrl>;
  /** `regex` and its companions, resolved when the url block ends. */
  regex?: { pattern: string; loc: SourceLoc; quoted: boolean };
  regexOptions: string[];
  regexNoMatch: boolean;
  minOffset?: number;
  maxOffset?: number;
  /** Companion keywords seen, for "needs `regex`" errors. */
  companions: AstNode[];
}

export const urlKeywords: KeywordTable<UrlDraft> = {
  path: { run: (c, n, u) => set(u.url, 'path', wordArg(c, n, 'a URL path')) },
  status_code: { run: (c, n, u) => u.url.statusCodes?.push(...statusCodes(c, n)) },
  digest: {
    run: (c, n, u) => {
      const t = arg(c, n, 0, 'an MD5 digest (32 hex digits)');
      noExtra(c, n, 1);
      if (!t) return;
      if (!/^[0-9a-fA-F]{32}$/.test(t.text)) {
        c.diags.error(t.loc, `\`digest\` must be an MD5 digest of 32 hex digits (got ${t.text})`, 'digest');
      } else u.url.digest = t.text.toLowerCase();
    },
  },
  virtualhost: { run: (c, n, u) => set(u.url, 'virtualhost', wordArg(c, n, 'a host name')) },
  regex: {
    run: (c, n, u) => {
      const t = arg(c, n, 0, 'a regular expression (quote it when it has spaces)');
      noExtra(c, n, 1);
      if (t) u.regex = { pattern: t.text, loc: t.loc, quoted: t.quoted };
    },
  },
  regex_no_match: {
    run: (c, n, u) => {
      u.regexNoMatch = flag(c, n);
      u.companions.push(n);
    },
  },
  regex_options: {
    run: (c, n, u) => {
      u.companions.push(n);
      if (n.args.length === 0) c.diags.error(n.loc, '`regex_options` needs option names', 'regex_options');
      for (const t of n.args) {
        const problem = regexOptionProblem(t.text);
        if (problem !== undefined) c.diags.error(t.loc, `\`regex_options\`: ${problem}`, 'regex_options');
        else u.regexOptions.push(t.text);
      }
    },
  },
  regex_min_offset: {
    run: (c, n, u) => {
      u.companions.push(n);
      set(u, 'minOffset', intArg(c, n, 0, 2 ** 31 - 1));
    },
  },
  regex_max_offset: {
    run: (c, n, u) => {
      u.companions.push(n);
      set(u, 'maxOffset', intArg(c, n, 0, 2 ** 31 - 1));
    },
  },
  // A PCRE2 JIT stack size: RegExp has none to size, so the values are checked and ignored.
  regex_stack: {
    run: (c, n, u) => {
      u.companions.push(n);
      const start = arg(c, n, 0, 'a start and a maximum stack size in bytes');
      const max = arg(c, n, 1, 'a maximum stack size in bytes');
      noExtra(c, n, 2);
      if (start) intValue(c, 'regex_stack', start, 0, 2 ** 31 - 1);
      if (max) intValue(c, 'regex_stack', max, 0, 2 ** 31 - 1);
    },
  },
};

/** The url's regex from its draft (errors located at the keyword or in the pattern). */
function urlRegex(c: Ctx, u: UrlDraft): HttpUrl['regex'] {
  if (!u.regex) {
    for (const n of u.companions)
      c.diags.error(n.loc, `\`${n.keyword}\` needs \`regex\` in the same url block`, n.keyword);
    return undefined;
  }
  const r = compilePcre(u.regex.pattern, u.regexOptions);
  if (!r.ok) {
    const { loc, quoted } = u.regex;
    // Point at the construct: the pattern starts one column later when quoted.
    c.diags.error({ ...loc, col: loc.col + (quoted ? 1 : 0) + r.index }, `\`regex\`: ${r.message}`, 'regex');
    return undefined;
  }
  const minOffset = u.minOffset ?? 0;
  if (u.maxOffset !== undefined && u.maxOffset < minOffset) {
    const n = u.companions.find((x) => x.keyword === 'regex_max_offset');
    c.diags.error(
      n?.loc ?? u.regex.loc,
      `\`regex_max_offset\` (${u.maxOffset}) is below \`regex_min_offset\` (${minOffset})`,
      'regex_max_offset',
    );
    return undefined;
  }
  const out: NonNullable<HttpUrl['regex']> = {
    pattern: u.regex.pattern,
    source: r.regex.source,
    flags: r.regex.flags,
    noMatch: u.regexNoMatch,
    minOffset,
  };
  if (u.maxOffset !== undefined) out.maxOffset = u.maxOffset;
  return out;
}

/** The regex keywords written at checker level rather than in their url block. */
const urlOnly: KeywordTable<CheckerDraft> = Object.fromEntries(
  ['regex', 'regex_no_match', 'regex_options', 'regex_min_offset', 'regex_max_offset', 'regex_stack'].map(
    (kw) => [
      kw,
      {
        run: (c: Ctx, n: AstNode) => c.diags.error(n.loc, `\`${kw}\` belongs inside a \`url { }\` block`, kw),
      },
    ],
  ),
);

const http: KeywordTable<CheckerDraft> = {
  ...common,
  url: {
    block: true,
    run: (c, n, d) => {
      const u: UrlDraft = {
        url: { statusCodes: [], loc: n.loc },
        regexOptions: [],
        regexNoMatch: false,
        companions: [],
      };
      runTable(c, n.block ?? [], urlKeywords, new Set(), 'url', u);
      const regex = urlRegex(c, u);
      if (u.url.path === undefined) {
        c.diags.error(n.loc, '`url` needs a `path`', 'url');
        return;
      }
      const url: HttpUrl = {
        path: u.url.path,
        statusCodes: u.url.statusCodes?.length ? u.url.statusCodes : [[200, 299]],
        loc: n.loc,
      };
      if (u.url.digest !== undefined) url.digest = u.url.digest;
      if (u.url.virtualhost !== undefined) url.virtualhost = u.url.virtualhost;
      if (regex) url.regex = regex;
      d.urls.push(url);
    },
  },
  virtualhost: { run: (c, n, d) => set(d, 'virtualhost', wordArg(c, n, 'a host name')) },
  http_protocol: {
    run: (c, n, d) => {
      const versions = ['1.0', '1.0C', '1.1'] as const;
      set(
        d,
        'httpProtocol',
        choiceArg(c, n, versions, '1.0, 1.0C or 1.1', (w) => (w === '1.0c' ? '1.0C' : w)),
      );
    },
  },
  enable_sni: { run: (c, n, d) => (d.enableSni = flag(c, n)) },
  sni_name: { run: (c, n, d) => set(d, 'sniName', wordArg(c, n, 'a host name')) },
  fast_recovery: { run: (c, n, d) => (d.fastRecovery = flag(c, n)) },
  ...urlOnly,
};

const misc: KeywordTable<CheckerDraft> = {
  ...common,
  misc_path: { run: (c, n, d) => set(d, 'miscPath', scriptArgs(c, n)) },
  misc_timeout: { run: (c, n, d) => set(d, 'miscTimeoutMs', secondsArg(c, n, 0.001, 86400)) },
  misc_dynamic: { run: (c, n, d) => (d.miscDynamic = flag(c, n)) },
  user: { run: (c, n, d) => set(d, 'user', runAsArgs(c, n)) },
};

const dnsTypes = new Set(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA']);

const dns: KeywordTable<CheckerDraft> = {
  ...common,
  type: {
    run: (c, n, d) => {
      const t = arg(c, n, 0, 'a query type');
      noExtra(c, n, 1);
      if (!t) return;
      const v = t.text.toUpperCase();
      if (dnsTypes.has(v)) d.queryType = v as NonNullable<CheckerDraft['queryType']>;
      else
        c.diags.error(
          t.loc,
          `\`type\` must be one of A, NS, CNAME, SOA, MX, TXT, AAAA (got ${t.text})`,
          'type',
        );
    },
  },
  name: { run: (c, n, d) => set(d, 'name', wordArg(c, n, 'a domain name')) },
};

function hexArg(ctx: Ctx, node: AstNode, wildcard: boolean): string | undefined {
  const t = arg(ctx, node, 0, 'a hex string');
  noExtra(ctx, node, 1);
  if (!t) return undefined;
  const re = wildcard ? /^([0-9a-fA-FxX]{2})+$/ : /^([0-9a-fA-F]{2})+$/;
  if (!re.test(t.text)) {
    ctx.diags.error(
      t.loc,
      `\`${node.keyword}\` must be an even number of hex digits${wildcard ? ' (X for any)' : ''} (got ${t.text})`,
      node.keyword,
    );
    return undefined;
  }
  return t.text.toLowerCase();
}

const udp: KeywordTable<CheckerDraft> = {
  ...common,
  payload: { run: (c, n, d) => set(d, 'payload', hexArg(c, n, false)) },
  require_reply: { run: (c, n, d) => set(d, 'requireReply', hexArg(c, n, true)) },
  min_reply_length: { run: (c, n, d) => set(d, 'minReplyLength', intArg(c, n, 0, 65507)) },
  max_reply_length: { run: (c, n, d) => set(d, 'maxReplyLength', intArg(c, n, 0, 65507)) },
};

const file: KeywordTable<CheckerDraft> = {
  ...common,
  track_file: {
    run: (c, n, d) => {
      const v = wordArg(c, n, 'the name of a vrrp_track_file');
      if (v !== undefined) {
        d.trackFile = v;
        d.trackFileLoc = n.args[0]?.loc ?? n.loc;
      }
    },
  },
  dynamic: { run: (c, n, d) => (d.dynamic = flag(c, n)) },
  weight: {
    run: (c, n, d) => {
      const t = arg(c, n, 0, 'a weight');
      if (!t) return;
      const rev = n.args[1]?.text === 'reverse';
      noExtra(c, n, rev ? 2 : 1);
      set(d, 'weight', intValue(c, 'weight', t, -253, 253, 'a weight'));
      d.weightReverse = rev;
    },
  },
};

/** The connection keywords: what a deprecated SMTP_CHECK `host { }` block may set. */
const connectionKeywords = [
  'connect_ip',
  'connect_port',
  'bindto',
  'bind_port',
  'bind_if',
  'fwmark',
  'connect_timeout',
] as const;

/** The draft fields those keywords fill. */
const connectionFields = [
  'connectIp',
  'connectIpFamily',
  'connectPort',
  'bindTo',
  'bindPort',
  'bindIf',
  'fwmark',
  'bindIfLoc',
  'fwmarkLoc',
  'connectTimeoutMs',
] as const;

export const smtpHostKeywords: KeywordTable<CheckerDraft> = Object.fromEntries(
  connectionKeywords.map((k) => [
    k,
    k === 'connect_timeout' ? inheritedTimingKeywords<CheckerDraft>()[k] : common[k],
  ]),
) as KeywordTable<CheckerDraft>;

const smtp: KeywordTable<CheckerDraft> = {
  ...common,
  helo_name: { run: (c, n, d) => set(d, 'heloName', wordArg(c, n, 'a host name')) },
  host: {
    block: true,
    run: (c, n, d) => {
      c.diags.warning(
        n.loc,
        'the SMTP_CHECK `host` block is deprecated (as in keepalived): write one SMTP_CHECK per host',
        'host',
      );
      const h = newCheckerDraft('SMTP_CHECK', n.loc, new Set((n.block ?? []).map((x) => x.keyword)));
      runTable(c, n.block ?? [], smtpHostKeywords, new Set(), 'host', h);
      const host: SmtpHostDraft = { loc: n.loc, present: h.present };
      for (const k of connectionFields) if (h[k] !== undefined) Object.assign(host, { [k]: h[k] });
      d.smtpHosts.push(host);
    },
  },
};

/**
 * An SMTP_CHECK with deprecated `host` blocks as the checkers keepalived makes of it: when the
 * checker sets a connection option itself (or has no host), it checks with its own options and
 * each host adds a checker; otherwise the first host's options are the checker's and each further
 * host adds one. The others keep everything else of the checker (helo_name, timing).
 */
export function expandSmtpHosts(d: CheckerDraft): CheckerDraft[] {
  if (d.type !== 'SMTP_CHECK' || d.smtpHosts.length === 0) return [d];
  const own = connectionKeywords.some((k) => d.present.has(k));
  const base: CheckerDraft = { ...d, smtpHosts: [] };
  const strip = (): CheckerDraft => {
    const x: CheckerDraft = { ...base };
    for (const k of connectionFields) delete x[k];
    return x;
  };
  const fromHost = ({ present: _hostKeywords, ...h }: SmtpHostDraft): CheckerDraft => ({ ...strip(), ...h });
  return own ? [base, ...d.smtpHosts.map(fromHost)] : d.smtpHosts.map(fromHost);
}

export const checkerTables: Readonly<Record<CheckerType, KeywordTable<CheckerDraft>>> = {
  TCP_CHECK: common,
  HTTP_GET: http,
  SSL_GET: http,
  MISC_CHECK: misc,
  DNS_CHECK: dns,
  UDP_CHECK: udp,
  FILE_CHECK: file,
  PING_CHECK: common,
  SMTP_CHECK: smtp,
};

export const checkerUnsupported: ReadonlySet<string> = new Set(['tls_compliant', 'smtp_alert', 'genhash']);

/** Checker block keywords lvsd does not implement. */
export const unsupportedCheckers: ReadonlySet<string> = new Set(['BFD_CHECK']);
