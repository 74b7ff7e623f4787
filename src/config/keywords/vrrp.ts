// SPDX-License-Identifier: Apache-2.0
/**
 * Keyword tables of `vrrp_script`, `vrrp_track_file`, `vrrp_instance` and `vrrp_sync_group`, and the
 * drafts they fill. Pure. Version-dependent checks (advert_int) and defaults happen in
 * schema-vrrp.ts (instances) and schema.ts (scripts, track files), once the globals are known.
 */
import type {
  GarpSettings,
  IpRoute,
  NotifyScripts,
  ProcessTrackRef,
  ScriptSpec,
  SourceLoc,
  TrackRef,
  UnicastPeer,
  Vip,
} from '../model.js';
import type { Token } from '../lexer.js';
import type { AstNode } from '../parser.js';
import {
  type Ctx,
  type KeywordDef,
  type KeywordTable,
  type RunAs,
  addressArg,
  addressValue,
  arg,
  choiceArg,
  blockLines,
  flag,
  intArg,
  intValue,
  noExtra,
  noNestedBlock,
  prefixValue,
  runAsArgs,
  runTable,
  scriptArgs,
  secondsArg,
  secondsValue,
  set,
  wordArg,
} from '../values.js';
import { boolish, garpKeywords } from './global.js';
import { routeList, ruleList, type RuleDraft } from './routing.js';
import { type AlertSetting, smtpAlertRow } from './smtp.js';
import { type VmacDraft, useVmacArgs } from './vmac.js';
import { processTrackList } from './track-process.js';

export interface ScriptDraft {
  name: string;
  loc: SourceLoc;
  present: ReadonlySet<string>;
  script?: ScriptSpec;
  intervalMs?: number;
  timeoutMs?: number;
  weight: number;
  weightReverse: boolean;
  rise?: number;
  fall?: number;
  user?: RunAs;
  initFail: boolean;
}

export interface TrackFileDraft {
  name: string;
  loc: SourceLoc;
  present: ReadonlySet<string>;
  file?: string;
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
}

export type VipDraft = Omit<Vip, 'dev'> & { dev?: string };

export interface InstanceDraft {
  name: string;
  loc: SourceLoc;
  /** Keywords written in the block (valid or not), so "needs X" is reported only when X is absent. */
  present: ReadonlySet<string>;
  versionLoc?: SourceLoc;
  initialState?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid?: number;
  priority?: number;
  advertInt?: { ms: number; tok: Token };
  version?: 2 | 3;
  nopreempt: boolean;
  preemptDelayMs?: number;
  preemptDelayLoc?: SourceLoc;
  auth?: { type: 'PASS' | 'AH'; pass: string; loc: SourceLoc };
  unicastSrcIp?: { address: string; family: 'inet' | 'inet6'; loc: SourceLoc };
  unicastPeers: UnicastPeer[];
  mcastSrcIp?: { address: string; family: 'inet' | 'inet6'; loc: SourceLoc };
  vips: VipDraft[];
  excludedVips: VipDraft[];
  virtualRoutes: IpRoute[];
  /** Priorities not written are assigned across the whole file (schema.ts). */
  virtualRules: RuleDraft[];
  trackInterfaces: TrackRef[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: ProcessTrackRef[];
  notify: NotifyScripts;
  garp: Partial<GarpSettings>;
  accept?: boolean;
  acceptLoc?: SourceLoc;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  v3ChecksumAsV2: boolean;
  useVmac?: VmacDraft;
  checkUnicastSrc?: boolean;
  strict?: boolean;
  skipCheckAdvAddr?: boolean;
  downTimerAdverts?: number;
  downTimerLoc?: SourceLoc;
  ownerIgnoreAdverts?: boolean;
  ownerIgnoreLoc?: SourceLoc;
  notifyPriorityChanges?: boolean;
  notifyDeleted?: boolean;
  smtpAlert?: AlertSetting;
  vmacXmitBase?: SourceLoc;
  unicastTtl?: { ttl: number; loc: SourceLoc };
  unicastFaultNoPeer?: boolean;
  trackSrcIp?: SourceLoc;
}

export interface SyncGroupDraft {
  name: string;
  loc: SourceLoc;
  members: Array<{ name: string; loc: SourceLoc }>;
  notify: NotifyScripts;
  notifyPriorityChanges?: boolean;
  smtpAlert?: AlertSetting;
  trackInterfaces: TrackRef[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: ProcessTrackRef[];
}

/** `weight N [reverse]` at args[i..] (used by scripts, track files and track_* entries). */
function weightArgs(
  ctx: Ctx,
  kw: string,
  words: readonly Token[],
  i: number,
): { weight?: number; reverse: boolean } | undefined {
  const w = words[i];
  if (!w) return undefined;
  const reverse = words[i + 1]?.text === 'reverse';
  const extra = words[i + (reverse ? 2 : 1)];
  if (extra) ctx.diags.error(extra.loc, `unexpected \`${extra.text}\` after \`${kw}\``, kw);
  const n = intValue(ctx, kw, w, -253, 253, 'a weight');
  return n === undefined ? { reverse } : { weight: n, reverse };
}

/** `weight N [reverse]` of a vrrp_script or vrrp_track_file. */
function weightKeyword<T extends { weight: number; weightReverse: boolean }>(): KeywordDef<T> {
  return {
    run: (c, n, t) => {
      if (!arg(c, n, 0, 'a weight in -253..253')) return;
      const w = weightArgs(c, 'weight', n.args, 0);
      if (w?.weight !== undefined) t.weight = w.weight;
      t.weightReverse = w?.reverse ?? false;
    },
  };
}

export const scriptKeywords: KeywordTable<ScriptDraft> = {
  script: { run: (c, n, s) => set(s, 'script', scriptArgs(c, n)) },
  interval: { run: (c, n, s) => set(s, 'intervalMs', secondsArg(c, n, 0.001, 86400)) },
  timeout: { run: (c, n, s) => set(s, 'timeoutMs', secondsArg(c, n, 0.001, 86400)) },
  weight: weightKeyword<ScriptDraft>(),
  rise: { run: (c, n, s) => set(s, 'rise', intArg(c, n, 1, 1_000_000)) },
  fall: { run: (c, n, s) => set(s, 'fall', intArg(c, n, 1, 1_000_000)) },
  user: { run: (c, n, s) => set(s, 'user', runAsArgs(c, n)) },
  init_fail: { run: (c, n, s) => (s.initFail = flag(c, n)) },
};

export const trackFileKeywords: KeywordTable<TrackFileDraft> = {
  file: {
    run: (c, n, s) => {
      const f = wordArg(c, n, 'a file path');
      if (f !== undefined) s.file = f;
    },
  },
  weight: weightKeyword<TrackFileDraft>(),
  init_file: {
    run: (c, n, s) => {
      let value = 0;
      let overwrite = false;
      for (const a of n.args) {
        if (a.text === 'overwrite') overwrite = true;
        else {
          const v = intValue(c, 'init_file', a, -2147483648, 2147483647);
          if (v !== undefined) value = v;
        }
      }
      s.initFile = { value, overwrite };
    },
  },
};

function notifyKeywords<T extends { notify: NotifyScripts }>(): KeywordTable<T> {
  return {
    notify_master: { run: (c, n, t) => set(t.notify, 'master', scriptArgs(c, n)) },
    notify_backup: { run: (c, n, t) => set(t.notify, 'backup', scriptArgs(c, n)) },
    notify_fault: { run: (c, n, t) => set(t.notify, 'fault', scriptArgs(c, n)) },
    notify_stop: { run: (c, n, t) => set(t.notify, 'stop', scriptArgs(c, n)) },
    notify: { run: (c, n, t) => set(t.notify, 'any', scriptArgs(c, n)) },
  };
}

/** `notify_deleted [SCRIPT [USER [GROUP]]]`: DELETED instead of FAULT when a reload removes the instance. */
function notifyDeleted(ctx: Ctx, node: AstNode, v: InstanceDraft): void {
  v.notifyDeleted = true;
  if (node.args.length > 0) set(v.notify, 'deleted', scriptArgs(ctx, node));
}

/** `track_interface { eth0 [weight N [reverse]] }` style lists. */
function trackList(ctx: Ctx, node: AstNode): TrackRef[] {
  const out: TrackRef[] = [];
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    const name = words[0];
    if (!name) continue;
    const ref: TrackRef = { name: name.text, reverse: false, loc: name.loc };
    const kw = words[1];
    if (kw) {
      if (kw.text !== 'weight') {
        ctx.diags.error(
          kw.loc,
          `\`${node.keyword}\`: expected \`weight N [reverse]\` after ${name.text} (got ${kw.text})`,
          node.keyword,
        );
      } else if (!words[2]) {
        ctx.diags.error(kw.loc, `\`${node.keyword}\`: \`weight\` needs a value in -253..253`, node.keyword);
      } else {
        const w = weightArgs(ctx, `${node.keyword} weight`, words, 2);
        if (w?.weight !== undefined) ref.weight = w.weight;
        ref.reverse = w?.reverse ?? false;
      }
    }
    out.push(ref);
  }
  return out;
}

function trackKeywords<
  T extends { trackInterfaces: TrackRef[]; trackScripts: TrackRef[]; trackFiles: TrackRef[] },
>(): KeywordTable<T> {
  return {
    track_interface: { block: true, run: (c, n, t) => t.trackInterfaces.push(...trackList(c, n)) },
    track_script: { block: true, run: (c, n, t) => t.trackScripts.push(...trackList(c, n)) },
    track_file: { block: true, run: (c, n, t) => t.trackFiles.push(...trackList(c, n)) },
  };
}

function trackProcessKeyword<T extends { trackProcesses: ProcessTrackRef[] }>(): KeywordTable<T> {
  return {
    track_process: { block: true, run: (c, n, t) => t.trackProcesses.push(...processTrackList(c, n)) },
  };
}

const vipUnsupported = new Set([
  'peer',
  'home',
  '-nodad',
  'nodad',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'no_track',
  'track',
  'preferred_lft',
  'use_vmac',
]);
const scopes = new Set(['host', 'link', 'global', 'site', 'nowhere']);

/** One line of `virtual_ipaddress`: `IP[/LEN] [brd IP|+|-] [dev IF] [scope S] [label L]`. */
function vipLine(ctx: Ctx, kw: string, words: readonly Token[]): VipDraft | undefined {
  const first = words[0];
  if (!first) return undefined;
  const p = prefixValue(ctx, kw, first);
  if (!p) return undefined;
  const vip: VipDraft = { family: p.family, address: p.address, prefix: p.prefix, loc: first.loc };
  for (let i = 1; i < words.length; i += 2) {
    const k = words[i];
    if (!k) break;
    if (vipUnsupported.has(k.text)) {
      ctx.diags.add(
        ctx.lenient ? 'warning' : 'error',
        'LVSD_E_CONFIG_INVALID',
        k.loc,
        `\`${kw}\` option \`${k.text}\` is a keepalived option that lvsd does not support${ctx.lenient ? ' (ignored)' : ''}`,
        kw,
      );
      // Options with a value skip it; flags do not.
      if (
        [
          '-nodad',
          'nodad',
          'home',
          'mngtmpaddr',
          'noprefixroute',
          'autojoin',
          'no_track',
          'track',
          'use_vmac',
        ].includes(k.text)
      )
        i--;
      continue;
    }
    const v = words[i + 1];
    if (!['brd', 'broadcast', 'dev', 'scope', 'label'].includes(k.text)) {
      ctx.diags.error(
        k.loc,
        `\`${kw}\`: unknown address option \`${k.text}\` (expected brd, dev, scope or label)`,
        kw,
      );
      continue;
    }
    if (!v) {
      ctx.diags.error(k.loc, `\`${kw}\`: \`${k.text}\` needs a value`, kw);
      break;
    }
    switch (k.text) {
      case 'brd':
      case 'broadcast':
        if (v.text === '+' || v.text === '-') vip.brd = v.text;
        else {
          const b = addressValue(ctx, `${kw} brd`, v);
          if (b && b.family !== 'inet')
            ctx.diags.error(v.loc, `\`${kw}\`: \`brd\` is IPv4 only (got ${v.text})`, kw);
          else if (b) vip.brd = b.address;
        }
        break;
      case 'dev':
        vip.dev = v.text;
        break;
      case 'scope':
        if (!scopes.has(v.text) && !/^\d+$/.test(v.text)) {
          ctx.diags.error(
            v.loc,
            `\`${kw}\`: scope must be host, link, global, site, nowhere or a number (got ${v.text})`,
            kw,
          );
        } else vip.scope = v.text;
        break;
      case 'label':
        vip.label = v.text;
        break;
    }
  }
  return vip;
}

/** The lines of a `virtual_ipaddress`-style block (also `static_ipaddress`). */
export function vipList(ctx: Ctx, node: AstNode): VipDraft[] {
  const out: VipDraft[] = [];
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    const v = vipLine(ctx, node.keyword, words);
    if (v) out.push(v);
  }
  return out;
}

function peerList(ctx: Ctx, node: AstNode): UnicastPeer[] {
  const out: UnicastPeer[] = [];
  for (const { words, node: child } of blockLines(node)) {
    if (!noNestedBlock(ctx, child, node.keyword)) continue;
    const first = words[0];
    if (!first) continue;
    const a = addressValue(ctx, 'unicast_peer', first);
    if (!a) continue;
    const peer: UnicastPeer = { ...a, loc: first.loc };
    for (let i = 1; i < words.length; i += 2) {
      const k = words[i];
      const v = words[i + 1];
      if (!k) break;
      if ((k.text !== 'min_ttl' && k.text !== 'max_ttl') || !v) {
        ctx.diags.error(
          k.loc,
          `\`unicast_peer\`: expected \`min_ttl N\` or \`max_ttl N\` (got ${k.text})`,
          'unicast_peer',
        );
        break;
      }
      const n = intValue(ctx, `unicast_peer ${k.text}`, v, 0, 255);
      if (n !== undefined) {
        if (k.text === 'min_ttl') peer.minTtl = n;
        else peer.maxTtl = n;
      }
    }
    out.push(peer);
  }
  return out;
}

export const authKeywords: KeywordTable<{ type?: 'PASS' | 'AH'; pass?: string }> = {
  auth_type: { run: (c, n, a) => set(a, 'type', choiceArg(c, n, ['PASS', 'AH'] as const, 'PASS or AH')) },
  auth_pass: {
    run: (c, n, a) => {
      const t = arg(c, n, 0, 'a password');
      noExtra(c, n, 1);
      if (!t) return;
      if (t.text.length > 8) {
        c.diags.warning(
          t.loc,
          '`auth_pass` is longer than 8 characters; only the first 8 are used',
          'auth_pass',
        );
      }
      a.pass = t.text.slice(0, 8);
    },
  },
};

export const instanceKeywords: KeywordTable<InstanceDraft> = {
  state: {
    run: (c, n, v) =>
      set(v, 'initialState', choiceArg(c, n, ['MASTER', 'BACKUP'] as const, 'MASTER or BACKUP')),
  },
  interface: { run: (c, n, v) => set(v, 'interface', wordArg(c, n, 'an interface name')) },
  virtual_router_id: { run: (c, n, v) => set(v, 'vrid', intArg(c, n, 1, 255)) },
  priority: { run: (c, n, v) => set(v, 'priority', intArg(c, n, 1, 255)) },
  advert_int: {
    run: (c, n, v) => {
      const t = arg(c, n, 0, 'a number of seconds');
      noExtra(c, n, 1);
      if (!t) return;
      const ms = secondsValue(c, 'advert_int', t, 0.001, 255);
      if (ms !== undefined) v.advertInt = { ms, tok: t };
    },
  },
  version: {
    run: (c, n, v) => {
      const x = intArg(c, n, 2, 3);
      if (x === 2 || x === 3) v.version = x;
      v.versionLoc = n.loc;
    },
  },
  nopreempt: { run: (c, n, v) => (v.nopreempt = flag(c, n)) },
  preempt: { run: (c, n, v) => (v.nopreempt = !flag(c, n)) },
  preempt_delay: {
    run: (c, n, v) => {
      set(v, 'preemptDelayMs', secondsArg(c, n, 0, 1000));
      v.preemptDelayLoc = n.loc;
    },
  },
  authentication: {
    block: true,
    run: (c, n, v) => {
      const a: { type?: 'PASS' | 'AH'; pass?: string } = {};
      runTable(c, n.block ?? [], authKeywords, new Set(), 'authentication', a);
      if (!a.type) c.diags.error(n.loc, '`authentication` needs `auth_type PASS|AH`', 'authentication');
      else if (a.pass === undefined)
        c.diags.error(n.loc, '`authentication` needs `auth_pass`', 'authentication');
      else v.auth = { type: a.type, pass: a.pass, loc: n.loc };
    },
  },
  unicast_src_ip: {
    run: (c, n, v) => {
      const a = addressArg(c, n);
      if (a) v.unicastSrcIp = { ...a, loc: n.loc };
    },
  },
  unicast_peer: { block: true, run: (c, n, v) => v.unicastPeers.push(...peerList(c, n)) },
  mcast_src_ip: {
    run: (c, n, v) => {
      const a = addressArg(c, n);
      if (a) v.mcastSrcIp = { ...a, loc: n.loc };
    },
  },
  virtual_ipaddress: { block: true, run: (c, n, v) => v.vips.push(...vipList(c, n)) },
  virtual_ipaddress_excluded: { block: true, run: (c, n, v) => v.excludedVips.push(...vipList(c, n)) },
  virtual_routes: { block: true, run: (c, n, v) => v.virtualRoutes.push(...routeList(c, n)) },
  virtual_rules: { block: true, run: (c, n, v) => v.virtualRules.push(...ruleList(c, n)) },
  ...trackKeywords<InstanceDraft>(),
  ...trackProcessKeyword<InstanceDraft>(),
  ...notifyKeywords<InstanceDraft>(),
  // instances only: keepalived has neither on a sync group
  notify_master_rx_lower_pri: { run: (c, n, t) => set(t.notify, 'masterRxLowerPri', scriptArgs(c, n)) },
  notify_deleted: { run: notifyDeleted },
  ...smtpAlertRow<InstanceDraft>(),
  ...garpKeywords<InstanceDraft>(''),
  accept: {
    run: (c, n, v) => {
      v.accept = flag(c, n);
      v.acceptLoc = n.loc;
    },
  },
  no_accept: { run: (c, n, v) => (v.accept = !flag(c, n)) },
  lower_prio_no_advert: { run: (c, n, v) => (v.lowerPrioNoAdvert = boolish(c, n)) },
  higher_prio_send_advert: { run: (c, n, v) => (v.higherPrioSendAdvert = boolish(c, n)) },
  v3_checksum_as_v2: { run: (c, n, v) => (v.v3ChecksumAsV2 = flag(c, n)) },
  use_vmac: { run: (c, n, v) => (v.useVmac = useVmacArgs(c, n)) },
  check_unicast_src: { run: (c, n, v) => (v.checkUnicastSrc = flag(c, n)) },
  strict_mode: { run: (c, n, v) => (v.strict = boolish(c, n)) },
  skip_check_adv_addr: { run: (c, n, v) => (v.skipCheckAdvAddr = boolish(c, n)) },
  down_timer_adverts: {
    run: (c, n, v) => {
      set(v, 'downTimerAdverts', intArg(c, n, 1, 100));
      v.downTimerLoc = n.loc;
    },
  },
  owner_ignore_adverts: {
    run: (c, n, v) => {
      v.ownerIgnoreAdverts = boolish(c, n);
      v.ownerIgnoreLoc = n.loc;
    },
  },
  notify_priority_changes: { run: (c, n, v) => (v.notifyPriorityChanges = boolish(c, n)) },
  vmac_xmit_base: {
    run: (c, n, v) => {
      flag(c, n);
      v.vmacXmitBase = n.loc;
    },
  },
  unicast_ttl: {
    run: (c, n, v) => {
      const ttl = intArg(c, n, 0, 255);
      if (ttl !== undefined) v.unicastTtl = { ttl, loc: n.loc };
    },
  },
  unicast_fault_no_peer: { run: (c, n, v) => (v.unicastFaultNoPeer = flag(c, n)) },
  track_src_ip: {
    run: (c, n, v) => {
      flag(c, n);
      v.trackSrcIp = n.loc;
    },
  },
};

export const instanceUnsupported: ReadonlySet<string> = new Set([
  'track_bfd',
  'track_group',
  'debug',
  'mcast_dst_ip',
  'use_vmac_addr',
  'use_ipvlan',
  'linkbeat_use_polling',
  'kernel_rx_buf_size',
  'no_virtual_ipaddress',
  'promote_secondaries',
  'old_unicast_checksum',
  'timer_expired_backup',
  'log_unknown_vrids',
  'auth_hmac',
  'interface_up_down_delays',
  'garp_extra_if',
  'dont_track_primary',
  'native_ipv6',
  'vrrp_garp_extra_if',
  'garp_lower_prio_delay_ms',
  'rx_bufs_policy',
  'rx_bufs_multiplier',
  'nftables',
  'iptables',
  'vrrp_garp_master_delay',
  'lvs_sync_daemon_interface',
  'vrf',
  'vmac_garp_intvl',
]);

export const syncGroupKeywords: KeywordTable<SyncGroupDraft> = {
  group: {
    block: true,
    run: (c, n, g) => {
      for (const { words, node: child } of blockLines(n)) {
        if (!noNestedBlock(c, child, 'group')) continue;
        for (const w of words) g.members.push({ name: w.text, loc: w.loc });
      }
    },
  },
  ...notifyKeywords<SyncGroupDraft>(),
  ...trackKeywords<SyncGroupDraft>(),
  ...smtpAlertRow<SyncGroupDraft>(),
  notify_priority_changes: { run: (c, n, g) => (g.notifyPriorityChanges = boolish(c, n)) },
  ...trackProcessKeyword<SyncGroupDraft>(),
};

export const syncGroupUnsupported: ReadonlySet<string> = new Set([
  'sync_group_tracking_weight',
  'global_tracking',
  'notify_deleted',
  'track_bfd',
]);

export function newInstanceDraft(name: string, loc: SourceLoc, present: ReadonlySet<string>): InstanceDraft {
  return {
    name,
    loc,
    present,
    nopreempt: false,
    unicastPeers: [],
    vips: [],
    excludedVips: [],
    virtualRoutes: [],
    virtualRules: [],
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    trackProcesses: [],
    notify: {},
    garp: {},
    v3ChecksumAsV2: false,
  };
}

export function newScriptDraft(name: string, loc: SourceLoc, present: ReadonlySet<string>): ScriptDraft {
  return { name, loc, present, weight: 0, weightReverse: false, initFail: false };
}

export function newTrackFileDraft(
  name: string,
  loc: SourceLoc,
  present: ReadonlySet<string>,
): TrackFileDraft {
  return { name, loc, present, weight: 1, weightReverse: false };
}

export function newSyncGroupDraft(name: string, loc: SourceLoc): SyncGroupDraft {
  return {
    name,
    loc,
    members: [],
    notify: {},
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    trackProcesses: [],
  };
}
