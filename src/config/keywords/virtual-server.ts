// SPDX-License-Identifier: Apache-2.0
/**
 * Keyword tables of `virtual_server`, `real_server` and `virtual_server_group`, and the drafts they
 * fill. Pure. Defaults and VS -> RS -> checker inheritance are applied in schema-lvs.ts and
 * schema-checkers.ts.
 */
import type { IpvsProtocol, SchedulerFlags, TunnelInfo } from '../../ipvs/model.js';
import type { IpFamily } from '../../core/addr.js';
import { ipvsadmSchedulers } from '../../ipvs/model.js';
import type { Token } from '../lexer.js';
import type { LvsMethod, ScriptSpec, SourceLoc, VsgEntry } from '../model.js';
import type { AstNode } from '../parser.js';
import { type AlertSetting, smtpAlertRow } from './smtp.js';
import {
  type Ctx,
  type KeywordTable,
  addressValue,
  arg,
  choiceArg,
  blockLines,
  flag,
  intArg,
  intValue,
  noExtra,
  noNestedBlock,
  parseAddress,
  portValue,
  runTable,
  scriptArgs,
  secondsValue,
  set,
  wordArg,
} from '../values.js';
import {
  type CheckerDraft,
  type InheritedTiming,
  checkerTables,
  checkerUnsupported,
  expandSmtpHosts,
  inheritedTimingKeywords,
  newCheckerDraft,
  unsupportedCheckers,
} from './checkers.js';

/** What a real server inherits from its virtual server. */
interface CommonTiming extends InheritedTiming {
  inhibitOnFailure?: boolean;
  virtualhost?: string;
}

export interface RsDraft extends CommonTiming {
  family: IpFamily;
  address: string;
  port?: number;
  loc: SourceLoc;
  weight?: number;
  method?: LvsMethod;
  upperThreshold?: number;
  lowerThreshold?: number;
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  checkers: CheckerDraft[];
  smtpAlert?: AlertSetting;
}

export type VsHeader =
  | { kind: 'addr'; family: IpFamily; address: string; port?: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; name: string };

export interface VsDraft extends CommonTiming {
  header: VsHeader;
  loc: SourceLoc;
  scheduler?: string;
  schedulerLoc?: SourceLoc;
  flags: SchedulerFlags;
  method?: LvsMethod;
  persistenceTimeoutMs?: number;
  persistenceGranularity?: { text: string; loc: SourceLoc };
  persistenceEngine?: string;
  protocol?: IpvsProtocol;
  ipFamily?: IpFamily;
  quorum?: number;
  hysteresis?: number;
  hysteresisLoc?: SourceLoc;
  quorumUp?: ScriptSpec;
  quorumDown?: ScriptSpec;
  sorry?: { family: IpFamily; address: string; port?: number; loc: SourceLoc };
  sorryInhibit: boolean;
  sorryMethod?: LvsMethod;
  omega: boolean;
  haSuspend: boolean;
  reals: RsDraft[];
  smtpAlert?: AlertSetting;
  /** `lvsd_bgp_announce` (an lvsd extension), where it was written. */
  bgpAnnounce?: SourceLoc;
}

export interface VsgDraft {
  name: string;
  loc: SourceLoc;
  entries: VsgEntry[];
  /** Lines written in the block (an empty group is reported only when there were none). */
  written: number;
}

export const schedulers: ReadonlySet<string> = new Set([...ipvsadmSchedulers, 'twos']);

/** `NAT | DR | TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum] | FULLNAT` from args[start..]. */
function methodArgs(ctx: Ctx, node: AstNode, start = 0): LvsMethod | undefined {
  const t = arg(ctx, node, start, 'NAT, DR, TUN or FULLNAT');
  if (!t) return undefined;
  const kw = node.keyword;
  const name = t.text.toUpperCase();
  if (name === 'NAT' || name === 'DR' || name === 'FULLNAT') {
    noExtra(ctx, node, start + 1);
    return { method: name };
  }
  if (name !== 'TUN') {
    const hint = name === 'MASQ' ? ' (use NAT)' : name === 'GATE' || name === 'DROUTE' ? ' (use DR)' : '';
    ctx.diags.error(t.loc, `\`${kw}\` must be NAT, DR, TUN or FULLNAT (got ${t.text})${hint}`, kw);
    return undefined;
  }
  const tunnel: TunnelInfo = { type: 'ipip' };
  const a = node.args;
  for (let i = start + 1; i < a.length; i++) {
    const w = a[i] as Token;
    if (w.text === 'type') {
      const v = a[i + 1];
      i++;
      if (v?.text === 'ipip' || v?.text === 'gue' || v?.text === 'gre') tunnel.type = v.text;
      else
        ctx.diags.error(
          (v ?? w).loc,
          `\`${kw}\`: TUN type must be ipip, gue or gre (got ${v?.text ?? 'nothing'})`,
          kw,
        );
    } else if (w.text === 'port') {
      const v = a[i + 1];
      i++;
      const p = v ? portValue(ctx, `${kw} TUN port`, v, 1) : undefined;
      if (!v) ctx.diags.error(w.loc, `\`${kw}\`: TUN \`port\` needs a UDP port`, kw);
      if (p !== undefined) tunnel.port = p;
    } else if (w.text === 'nocsum' || w.text === 'csum' || w.text === 'remcsum') {
      tunnel.checksum = w.text;
    } else {
      ctx.diags.error(
        w.loc,
        `\`${kw}\`: unexpected \`${w.text}\` after TUN (expected type, port, nocsum, csum or remcsum)`,
        kw,
      );
    }
  }
  if (tunnel.type === 'gue' && tunnel.port === undefined) {
    ctx.diags.error(t.loc, `\`${kw}\`: TUN type gue needs \`port N\``, kw);
  }
  if (tunnel.type === 'ipip' && (tunnel.port !== undefined || tunnel.checksum !== undefined)) {
    ctx.diags.error(t.loc, `\`${kw}\`: TUN port and checksum options need type gue or gre`, kw);
  }
  return { method: 'TUN', tunnel };
}

function timingKeywords<T extends CommonTiming>(): KeywordTable<T> {
  return {
    ...inheritedTimingKeywords<T>(),
    inhibit_on_failure: { run: (c, n, d) => (d.inhibitOnFailure = flag(c, n)) },
    virtualhost: { run: (c, n, d) => set(d, 'virtualhost', wordArg(c, n, 'a host name')) },
  };
}

/** `IP [PORT]` header words of real_server / sorry_server. */
function addrPort(ctx: Ctx, node: AstNode): { family: IpFamily; address: string; port?: number } | undefined {
  const t = arg(ctx, node, 0, 'an IP address and port');
  noExtra(ctx, node, 2);
  if (!t) return undefined;
  const a = addressValue(ctx, node.keyword, t);
  if (!a) return undefined;
  const p = node.args[1];
  if (!p) return a;
  const port = portValue(ctx, node.keyword, p, 0);
  return port === undefined ? a : { ...a, port };
}

export const realKeywords: KeywordTable<RsDraft> = {
  ...timingKeywords<RsDraft>(),
  weight: { run: (c, n, r) => set(r, 'weight', intArg(c, n, 0, 65535)) },
  lvs_method: { run: (c, n, r) => set(r, 'method', methodArgs(c, n)) },
  lb_kind: { run: (c, n, r) => set(r, 'method', methodArgs(c, n)) },
  uthreshold: { run: (c, n, r) => set(r, 'upperThreshold', intArg(c, n, 0, 2147483647)) },
  lthreshold: { run: (c, n, r) => set(r, 'lowerThreshold', intArg(c, n, 0, 2147483647)) },
  notify_up: { run: (c, n, r) => set(r, 'notifyUp', scriptArgs(c, n)) },
  notify_down: { run: (c, n, r) => set(r, 'notifyDown', scriptArgs(c, n)) },
  ...smtpAlertRow<RsDraft>(),
};

export const realUnsupported: ReadonlySet<string> = new Set(['ops', 'snmp_name', ...unsupportedCheckers]);

function realServer(ctx: Ctx, node: AstNode): RsDraft | undefined {
  const ap = addrPort(ctx, node);
  if (!ap) return undefined;
  const rs: RsDraft = { ...ap, loc: node.loc, checkers: [] };
  const plain: AstNode[] = [];
  for (const child of node.block ?? []) {
    const type = child.keyword;
    if (Object.hasOwn(checkerTables, type)) {
      const table = checkerTables[type as keyof typeof checkerTables];
      if (!child.block) {
        ctx.diags.error(child.loc, `\`${type}\` needs a block { ... }`, type);
        continue;
      }
      const d = newCheckerDraft(
        type as CheckerDraft['type'],
        child.loc,
        new Set(child.block.map((x) => x.keyword)),
      );
      noExtra(ctx, child, 0);
      runTable(ctx, child.block, table, checkerUnsupported, type, d);
      rs.checkers.push(...expandSmtpHosts(d));
    } else plain.push(child);
  }
  runTable(ctx, plain, realKeywords, realUnsupported, 'real_server', rs);
  return rs;
}

export const vsKeywords: KeywordTable<VsDraft> = {
  ...timingKeywords<VsDraft>(),
  ...smtpAlertRow<VsDraft>(),
  lb_algo: { run: (c, n, v) => sched(c, n, v) },
  lvs_sched: { run: (c, n, v) => sched(c, n, v) },
  lb_kind: { run: (c, n, v) => set(v, 'method', methodArgs(c, n)) },
  lvs_method: { run: (c, n, v) => set(v, 'method', methodArgs(c, n)) },
  'flag-1': { run: (c, n, v) => (v.flags.flag1 = flag(c, n)) },
  'flag-2': { run: (c, n, v) => (v.flags.flag2 = flag(c, n)) },
  'flag-3': { run: (c, n, v) => (v.flags.flag3 = flag(c, n)) },
  'sh-fallback': { run: (c, n, v) => (v.flags.flag1 = flag(c, n)) },
  'mh-fallback': { run: (c, n, v) => (v.flags.flag1 = flag(c, n)) },
  'sh-port': { run: (c, n, v) => (v.flags.flag2 = flag(c, n)) },
  'mh-port': { run: (c, n, v) => (v.flags.flag2 = flag(c, n)) },
  ops: { run: (c, n, v) => (v.flags.onePacket = flag(c, n)) },
  persistence_timeout: {
    run: (c, n, v) => {
      noExtra(c, n, 1);
      const t = n.args[0];
      const ms = t ? secondsValue(c, n.keyword, t, 1, 2678400) : 360_000;
      if (ms !== undefined) v.persistenceTimeoutMs = ms;
    },
  },
  persistence_granularity: {
    run: (c, n, v) => {
      const t = arg(c, n, 0, 'a netmask or IPv6 prefix length');
      noExtra(c, n, 1);
      if (t) v.persistenceGranularity = { text: t.text, loc: t.loc };
    },
  },
  persistence_engine: {
    run: (c, n, v) => set(v, 'persistenceEngine', wordArg(c, n, 'an engine name (sip)')),
  },
  protocol: {
    run: (c, n, v) => {
      const protocols = ['tcp', 'udp', 'sctp'] as const;
      set(
        v,
        'protocol',
        choiceArg(c, n, protocols, 'TCP, UDP or SCTP', (w) => w.toLowerCase()),
      );
    },
  },
  ip_family: {
    run: (c, n, v) => set(v, 'ipFamily', choiceArg(c, n, ['inet', 'inet6'] as const, 'inet or inet6')),
  },
  quorum: { run: (c, n, v) => set(v, 'quorum', intArg(c, n, 1, 2147483647)) },
  hysteresis: {
    run: (c, n, v) => {
      set(v, 'hysteresis', intArg(c, n, 0, 2147483647));
      v.hysteresisLoc = n.loc;
    },
  },
  quorum_up: { run: (c, n, v) => set(v, 'quorumUp', scriptArgs(c, n)) },
  quorum_down: { run: (c, n, v) => set(v, 'quorumDown', scriptArgs(c, n)) },
  sorry_server: {
    run: (c, n, v) => {
      const ap = addrPort(c, n);
      if (ap) v.sorry = { ...ap, loc: n.loc };
    },
  },
  sorry_server_inhibit: { run: (c, n, v) => (v.sorryInhibit = flag(c, n)) },
  sorry_server_lvs_method: { run: (c, n, v) => set(v, 'sorryMethod', methodArgs(c, n)) },
  omega: { run: (c, n, v) => (v.omega = flag(c, n)) },
  ha_suspend: { run: (c, n, v) => (v.haSuspend = flag(c, n)) },
  // lvsd's own: announce this virtual server's address over BGP while it has quorum (schema-bgp.ts)
  lvsd_bgp_announce: { run: (c, n, v) => flag(c, n) && (v.bgpAnnounce = n.loc) },
  real_server: {
    block: true,
    run: (c, n, v) => {
      const rs = realServer(c, n);
      if (rs) v.reals.push(rs);
    },
  },
};

function sched(ctx: Ctx, node: AstNode, v: VsDraft): void {
  const written = wordArg(ctx, node, 'a scheduler name');
  if (written === undefined) return;
  const s = written.toLowerCase();
  if (!schedulers.has(s)) {
    const t = node.args[0] ?? node;
    ctx.diags.error(
      t.loc,
      `\`${node.keyword}\` must be one of ${[...schedulers].join(', ')} (got ${written})`,
      node.keyword,
    );
    return;
  }
  v.scheduler = s;
  v.schedulerLoc = node.loc;
}

export const vsUnsupported: ReadonlySet<string> = new Set([
  'nat_mask',
  'lvs_sync_daemon',
  'notify_fifo',
  'retry_count',
  'weight',
  // IP_VS_SVC_F_HASHED is the kernel's own bookkeeping flag.
  'hashed',
  'snmp_name',
]);

/** Header of `virtual_server IP [PORT] | fwmark N | group NAME`. */
export function vsHeader(ctx: Ctx, node: AstNode): VsHeader | undefined {
  const t = arg(ctx, node, 0, 'IP PORT, fwmark N or group NAME');
  if (!t) return undefined;
  if (t.text === 'fwmark') {
    const v = arg(ctx, node, 1, 'a firewall mark');
    noExtra(ctx, node, 2);
    const m = v ? intValue(ctx, 'virtual_server fwmark', v, 1, 4294967295, 'a firewall mark') : undefined;
    return m === undefined ? undefined : { kind: 'fwmark', fwmark: m };
  }
  if (t.text === 'group') {
    const v = arg(ctx, node, 1, 'a virtual_server_group name');
    noExtra(ctx, node, 2);
    return v ? { kind: 'group', name: v.text } : undefined;
  }
  noExtra(ctx, node, 2);
  const a = addressValue(ctx, 'virtual_server', t);
  if (!a) return undefined;
  const p = node.args[1];
  if (!p) return { kind: 'addr', ...a };
  const port = portValue(ctx, 'virtual_server', p, 0);
  return port === undefined ? undefined : { kind: 'addr', ...a, port };
}

export function newVsDraft(header: VsHeader, loc: SourceLoc): VsDraft {
  return {
    header,
    loc,
    flags: { flag1: false, flag2: false, flag3: false, onePacket: false },
    sorryInhibit: false,
    omega: false,
    haSuspend: false,
    reals: [],
  };
}

/**
 * Addresses all `virtual_server_group` ranges together may expand to: 256 /24 ranges. Without a
 * bound, a file of range lines (each up to 256 addresses) would multiply its size in memory.
 */
export const maxVsgAddresses = 65_536;

export interface VsgBudget {
  left: number;
  reported: boolean;
}

/**
 * `virtual_server_group NAME { IP [PORT] | IP-LAST [PORT] | IP/LEN [PORT] | fwmark N [inet|inet6] }`.
 * Ranges are expanded (at most 256 addresses per line, `maxVsgAddresses` in all).
 */
export function vsgBlock(ctx: Ctx, node: AstNode, g: VsgDraft, budget: VsgBudget): void {
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, 'virtual_server_group')) continue;
    const first = words[0];
    if (!first) continue;
    if (first.text === 'fwmark') {
      const v = words[1];
      if (!v) {
        ctx.diags.error(
          first.loc,
          '`virtual_server_group`: `fwmark` needs a firewall mark',
          'virtual_server_group',
        );
        continue;
      }
      const m = intValue(ctx, 'virtual_server_group fwmark', v, 1, 4294967295, 'a firewall mark');
      const fam = words[2];
      let family: IpFamily = 'inet';
      if (fam) {
        if (fam.text === 'inet' || fam.text === 'inet6') family = fam.text;
        else
          ctx.diags.error(
            fam.loc,
            `\`virtual_server_group\`: fwmark family must be inet or inet6 (got ${fam.text})`,
            'virtual_server_group',
          );
      }
      if (m !== undefined) g.entries.push({ kind: 'fwmark', family, fwmark: m, loc: first.loc });
      continue;
    }
    const portTok = words[1];
    const extra = words[2];
    if (extra)
      ctx.diags.error(
        extra.loc,
        `unexpected \`${extra.text}\` in \`virtual_server_group\``,
        'virtual_server_group',
      );
    let port = 0;
    if (portTok) {
      const p = portValue(ctx, 'virtual_server_group', portTok, 0);
      if (p === undefined) continue;
      port = p;
    }
    const addrs = expandRange(ctx, first);
    if (addrs.length > budget.left) {
      if (!budget.reported) {
        budget.reported = true;
        ctx.diags.error(
          first.loc,
          `\`virtual_server_group\`: ranges expand to more than ${maxVsgAddresses} addresses in all`,
          'virtual_server_group',
        );
      }
      budget.left = 0;
      continue;
    }
    budget.left -= addrs.length;
    for (const a of addrs) g.entries.push({ kind: 'addr', ...a, port, loc: first.loc });
  }
}

function expandRange(ctx: Ctx, t: Token): Array<{ family: IpFamily; address: string }> {
  const bad = (why: string): [] => {
    ctx.diags.error(t.loc, `\`virtual_server_group\`: ${why} (got ${t.text})`, 'virtual_server_group');
    return [];
  };
  const text = t.text;
  const slash = text.indexOf('/');
  const single = parseAddress(text);
  if (single) return [single];
  if (slash > 0) {
    const base = parseAddress(text.slice(0, slash));
    const len = Number(text.slice(slash + 1));
    if (!base || base.family !== 'inet' || !/^\d+$/.test(text.slice(slash + 1)) || len < 24 || len > 32) {
      return bad('a CIDR range must be IPv4 with a prefix length of 24..32');
    }
    const parts = base.address.split('.').map(Number);
    const size = 2 ** (32 - len);
    const start = (parts[3] ?? 0) & ~(size - 1);
    return range4(parts, start, start + size - 1);
  }
  const dash = text.lastIndexOf('-');
  if (dash > 0) {
    const base = parseAddress(text.slice(0, dash));
    const endText = text.slice(dash + 1);
    if (!base) return bad('expected IP, IP-LAST, IP/LEN or fwmark N');
    if (base.family === 'inet') {
      const parts = base.address.split('.').map(Number);
      const end = Number(endText);
      if (!/^\d+$/.test(endText) || end > 255 || end < (parts[3] ?? 0)) {
        return bad('the range end must be a last octet not below the start');
      }
      return range4(parts, parts[3] ?? 0, end);
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(endText)) return bad('the IPv6 range end must be the last group in hex');
    const groups = base.address.split(':');
    const startHex = parseInt(groups[groups.length - 1] || '0', 16);
    const end = parseInt(endText, 16);
    if (end < startHex || end - startHex > 255)
      return bad('the IPv6 range must be ascending and at most 256 addresses');
    const out: Array<{ family: IpFamily; address: string }> = [];
    for (let x = startHex; x <= end; x++) {
      const a = parseAddress([...groups.slice(0, -1), x.toString(16)].join(':'));
      if (a) out.push(a);
    }
    return out;
  }
  return bad('expected IP, IP-LAST, IP/LEN or fwmark N');
}

function range4(parts: number[], from: number, to: number): Array<{ family: IpFamily; address: string }> {
  const out: Array<{ family: IpFamily; address: string }> = [];
  for (let x = from; x <= to; x++)
    out.push({ family: 'inet', address: `${parts[0]}.${parts[1]}.${parts[2]}.${x}` });
  return out;
}
