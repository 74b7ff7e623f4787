// SPDX-License-Identifier: Apache-2.0
/**
 * AST -> typed Model: dispatches top-level sections to their keyword tables, then applies
 * keepalived's defaults, resolves globals into instances and validates ranges, references and
 * conflicts. Pure. Every finding is a located diagnostic; the Model is built even with errors so
 * that all of them are reported in one run (the caller drops it when there is any error).
 */
import { Defaults } from './model.js';
import type { GarpSettings, GlobalDefs, Model, TrackFile, VrrpInstance, VrrpScript, Vip } from './model.js';
import type { AstNode } from './parser.js';
import { type Ctx, arg, noExtra, reportUnknown, runTable } from './values.js';
import { type GlobalDraft, globalKeywords, globalUnsupported, newGlobalDraft } from './keywords/global.js';
import {
  type InstanceDraft,
  type ScriptDraft,
  type SyncGroupDraft,
  type TrackFileDraft,
  type VipDraft,
  instanceKeywords,
  instanceUnsupported,
  newInstanceDraft,
  scriptKeywords,
  syncGroupKeywords,
  syncGroupUnsupported,
  trackFileKeywords,
} from './keywords/vrrp.js';
import {
  type VsDraft,
  type VsgDraft,
  newVsDraft,
  vsHeader,
  vsKeywords,
  vsUnsupported,
  vsgBlock,
} from './keywords/virtual-server.js';
import { finalizeLvs } from './schema-lvs.js';
import {
  checkVrrpReferences,
  famName,
  finalizeSyncGroups,
  strictChecks,
  zeroSyncGroupWeights,
} from './checks-vrrp.js';

export interface SchemaOptions {
  configId: string;
  lenient: boolean;
}

interface Drafts {
  global: GlobalDraft;
  scripts: ScriptDraft[];
  trackFiles: TrackFileDraft[];
  instances: InstanceDraft[];
  syncGroups: SyncGroupDraft[];
  vsgs: VsgDraft[];
  vss: VsDraft[];
}

const topLevel = [
  'global_defs',
  'vrrp_script',
  'vrrp_track_file',
  'track_file',
  'vrrp_instance',
  'vrrp_sync_group',
  'virtual_server',
  'virtual_server_group',
] as const;

const topUnsupported: ReadonlySet<string> = new Set([
  'vrrp_track_process',
  'bfd_instance',
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'linkbeat_interfaces',
  'garp_group',
  'SSL',
  'net_namespace',
  'use_polling',
  'track_process',
  // keepalived's strict include variants; lvsd's `include` already reports unreadable files.
  'includea',
  'includeb',
  'includem',
  'includer',
  'includew',
]);

/** Build the Model from the parsed statements of all files. */
export function buildModel(ctx: Ctx, nodes: readonly AstNode[], opts: SchemaOptions, files: string[]): Model {
  const d: Drafts = {
    global: newGlobalDraft(),
    scripts: [],
    trackFiles: [],
    instances: [],
    syncGroups: [],
    vsgs: [],
    vss: [],
  };
  for (const node of nodes) topStatement(ctx, node, d);
  const global = finalizeGlobal(d.global, opts);
  const scripts = d.scripts
    .map((s) => finalizeScript(ctx, s))
    .filter((s): s is VrrpScript => s !== undefined);
  const trackFiles = d.trackFiles
    .map((t) => finalizeTrackFile(ctx, t))
    .filter((t): t is TrackFile => t !== undefined);
  const instances = d.instances
    .map((v) => finalizeInstance(ctx, v, global))
    .filter((v): v is VrrpInstance => v !== undefined);
  const syncGroups = finalizeSyncGroups(ctx, d.syncGroups, instances);
  checkVrrpReferences(ctx, instances, syncGroups, scripts, trackFiles, global);
  zeroSyncGroupWeights(ctx, instances, scripts, trackFiles);
  const lvs = finalizeLvs(ctx, d.vsgs, d.vss, trackFiles);
  return {
    global,
    vrrpScripts: scripts,
    trackFiles,
    vrrpInstances: instances,
    syncGroups,
    virtualServerGroups: lvs.groups,
    virtualServers: lvs.servers,
    files,
  };
}

function named(ctx: Ctx, node: AstNode, what: string): string | undefined {
  const t = arg(ctx, node, 0, `a ${what} name`);
  noExtra(ctx, node, 1);
  return t?.text;
}

function topStatement(ctx: Ctx, node: AstNode, d: Drafts): void {
  const kw = node.keyword;
  if (!(topLevel as readonly string[]).includes(kw)) {
    reportUnknown(ctx, node, topLevel, new Set([...topUnsupported, ...globalUnsupported]), 'the top level');
    return;
  }
  if (!node.block) {
    ctx.diags.error(node.loc, `\`${kw}\` needs a block { ... }`, kw);
    return;
  }
  const body = node.block;
  switch (kw) {
    case 'global_defs':
      d.global.loc ??= node.loc;
      noExtra(ctx, node, 0);
      runTable(ctx, body, globalKeywords, globalUnsupported, 'global_defs', d.global);
      return;
    case 'vrrp_script': {
      const name = named(ctx, node, 'vrrp_script');
      if (name === undefined) return;
      const s: ScriptDraft = {
        name,
        loc: node.loc,
        present: keywordsOf(body),
        weight: 0,
        weightReverse: false,
        initFail: false,
      };
      runTable(ctx, body, scriptKeywords, new Set(), 'vrrp_script', s);
      pushUnique(ctx, d.scripts, s, 'vrrp_script');
      return;
    }
    case 'vrrp_track_file':
    case 'track_file': {
      const name = named(ctx, node, kw);
      if (name === undefined) return;
      const t: TrackFileDraft = {
        name,
        loc: node.loc,
        present: keywordsOf(body),
        weight: 1,
        weightReverse: false,
      };
      runTable(ctx, body, trackFileKeywords, new Set(), kw, t);
      pushUnique(ctx, d.trackFiles, t, 'vrrp_track_file');
      return;
    }
    case 'vrrp_instance': {
      const name = named(ctx, node, 'vrrp_instance');
      if (name === undefined) return;
      const v = newInstanceDraft(name, node.loc, keywordsOf(body));
      runTable(ctx, body, instanceKeywords, instanceUnsupported, 'vrrp_instance', v);
      pushUnique(ctx, d.instances, v, 'vrrp_instance');
      return;
    }
    case 'vrrp_sync_group': {
      const name = named(ctx, node, 'vrrp_sync_group');
      if (name === undefined) return;
      const g: SyncGroupDraft = {
        name,
        loc: node.loc,
        members: [],
        notify: {},
        trackInterfaces: [],
        trackScripts: [],
        trackFiles: [],
      };
      runTable(ctx, body, syncGroupKeywords, syncGroupUnsupported, 'vrrp_sync_group', g);
      pushUnique(ctx, d.syncGroups, g, 'vrrp_sync_group');
      return;
    }
    case 'virtual_server_group': {
      const name = named(ctx, node, 'virtual_server_group');
      if (name === undefined) return;
      const g: VsgDraft = { name, loc: node.loc, entries: [], written: body.length };
      vsgBlock(ctx, node, g);
      pushUnique(ctx, d.vsgs, g, 'virtual_server_group');
      return;
    }
    case 'virtual_server': {
      const header = vsHeader(ctx, node);
      if (!header) return;
      const v = newVsDraft(header, node.loc);
      runTable(ctx, body, vsKeywords, vsUnsupported, 'virtual_server', v);
      d.vss.push(v);
      return;
    }
  }
}

function keywordsOf(body: readonly AstNode[]): ReadonlySet<string> {
  return new Set(body.map((n) => n.keyword));
}

function pushUnique<T extends { name: string; loc: { file: string; line: number; col: number } }>(
  ctx: Ctx,
  list: T[],
  item: T,
  what: string,
): void {
  const prev = list.find((x) => x.name === item.name);
  if (prev) {
    ctx.diags.error(
      item.loc,
      `duplicate ${what} \`${item.name}\` (first defined at ${prev.loc.file}:${prev.loc.line}:${prev.loc.col})`,
      what,
    );
    return;
  }
  list.push(item);
}

export function resolveGarp(base: Partial<GarpSettings>, over: Partial<GarpSettings> = {}): GarpSettings {
  const m = { ...base, ...over };
  const masterRepeat = m.masterRepeat ?? Defaults.garpMasterRepeat;
  const masterDelayMs = m.masterDelayMs ?? Defaults.garpMasterDelayMs;
  return {
    masterRepeat,
    masterDelayMs,
    masterRefreshMs: m.masterRefreshMs ?? 0,
    masterRefreshRepeat: m.masterRefreshRepeat ?? Defaults.garpMasterRefreshRepeat,
    lowerPrioRepeat: m.lowerPrioRepeat ?? masterRepeat,
    lowerPrioDelayMs: m.lowerPrioDelayMs ?? masterDelayMs,
    garpIntervalMs: m.garpIntervalMs ?? 0,
    gnaIntervalMs: m.gnaIntervalMs ?? 0,
  };
}

function finalizeGlobal(g: GlobalDraft, opts: SchemaOptions): GlobalDefs {
  const out: GlobalDefs = {
    routerId: g.routerId ?? opts.configId,
    vrrpVersion: g.vrrpVersion ?? Defaults.vrrpVersion,
    vrrpMcastGroup4: g.vrrpMcastGroup4 ?? Defaults.mcastGroup4,
    vrrpMcastGroup6: g.vrrpMcastGroup6 ?? Defaults.mcastGroup6,
    garp: resolveGarp(g.garp),
    enableScriptSecurity: g.enableScriptSecurity,
    lvsFlush: g.lvsFlush,
    lvsFlushOnStop: g.lvsFlushOnStop,
    vrrpStrict: g.vrrpStrict,
    vrrpCheckUnicastSrc: g.vrrpCheckUnicastSrc,
    vrrpSkipCheckAdvAddr: g.vrrpSkipCheckAdvAddr,
    vrrpLowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert,
    vrrpHigherPrioSendAdvert: g.vrrpHigherPrioSendAdvert,
    vrrpStartupDelayMs: g.vrrpStartupDelayMs,
    vrrpDownTimerAdverts: g.vrrpDownTimerAdverts ?? 3,
    vrrpOwnerIgnoreAdverts: g.vrrpOwnerIgnoreAdverts,
    vrrpNotifyPriorityChanges: g.vrrpNotifyPriorityChanges,
  };
  if (g.scriptUser) out.scriptUser = g.scriptUser;
  if (g.notifyFifo) out.notifyFifo = withScript(g.notifyFifo, g.fifoScripts.notify);
  if (g.vrrpNotifyFifo) out.vrrpNotifyFifo = withScript(g.vrrpNotifyFifo, g.fifoScripts.vrrp);
  if (g.lvsNotifyFifo) out.lvsNotifyFifo = withScript(g.lvsNotifyFifo, g.fifoScripts.lvs);
  if (g.lvsSyncDaemon) out.lvsSyncDaemon = g.lvsSyncDaemon;
  if (g.lvsTimeouts) out.lvsTimeouts = g.lvsTimeouts;
  if (g.loc) out.loc = g.loc;
  return out;
}

function withScript<T extends object>(f: T, s: GlobalDraft['fifoScripts']['notify']): T {
  return s ? { ...f, script: s } : f;
}

function finalizeScript(ctx: Ctx, s: ScriptDraft): VrrpScript | undefined {
  if (!s.script) {
    if (s.present.has('script')) return undefined;
    ctx.diags.error(s.loc, `vrrp_script \`${s.name}\` needs \`script\``, 'vrrp_script');
    return undefined;
  }
  const intervalMs = s.intervalMs ?? Defaults.scriptIntervalMs;
  const script = { ...s.script };
  if (s.user && script.user === undefined) {
    script.user = s.user.user;
    if (s.user.group !== undefined) script.group = s.user.group;
  }
  return {
    name: s.name,
    script,
    intervalMs,
    timeoutMs: s.timeoutMs ?? intervalMs,
    weight: s.weight,
    weightReverse: s.weightReverse,
    rise: s.rise ?? 1,
    fall: s.fall ?? 1,
    initFail: s.initFail,
    loc: s.loc,
  };
}

function finalizeTrackFile(ctx: Ctx, t: TrackFileDraft): TrackFile | undefined {
  if (t.file === undefined) {
    if (t.present.has('file')) return undefined;
    ctx.diags.error(t.loc, `vrrp_track_file \`${t.name}\` needs \`file\``, 'vrrp_track_file');
    return undefined;
  }
  const out: TrackFile = {
    name: t.name,
    file: t.file,
    weight: t.weight,
    weightReverse: t.weightReverse,
    loc: t.loc,
  };
  if (t.initFile) out.initFile = t.initFile;
  return out;
}

function finalizeVips(ctx: Ctx, list: VipDraft[], dev: string, kw: string, oneFamily: boolean): Vip[] {
  const first = list[0];
  const seen = new Map<string, VipDraft>();
  const out: Vip[] = [];
  for (const v of list) {
    if (oneFamily && first && v.family !== first.family) {
      ctx.diags.error(
        v.loc,
        `\`${kw}\`: all addresses must be one family (${v.address} is ${famName(v.family)}, ${first.address} is ${famName(first.family)}); put the others in virtual_ipaddress_excluded`,
        kw,
      );
      continue;
    }
    const key = `${v.address}/${v.prefix}|${v.dev ?? dev}`;
    const prev = seen.get(key);
    if (prev) {
      // keepalived reports it and ignores the second entry; so does lvsd.
      ctx.diags.warning(
        v.loc,
        `\`${kw}\`: ${v.address} is listed twice (first at line ${prev.loc.line}); ignored`,
        kw,
      );
      continue;
    }
    seen.set(key, v);
    out.push({ ...v, dev: v.dev ?? dev });
  }
  return out;
}

function finalizeInstance(ctx: Ctx, v: InstanceDraft, g: GlobalDefs): VrrpInstance | undefined {
  const where = `vrrp_instance \`${v.name}\``;
  if (v.interface === undefined && !v.present.has('interface')) {
    ctx.diags.error(v.loc, `${where} needs \`interface\``, 'vrrp_instance');
  }
  if (v.vrid === undefined && !v.present.has('virtual_router_id')) {
    ctx.diags.error(v.loc, `${where} needs \`virtual_router_id\` (1..255)`, 'vrrp_instance');
  }
  if (v.interface === undefined || v.vrid === undefined) return undefined;
  const vips = finalizeVips(ctx, v.vips, v.interface, 'virtual_ipaddress', true);
  const excludedVips = finalizeVips(ctx, v.excludedVips, v.interface, 'virtual_ipaddress_excluded', false);
  const family = vips[0]?.family ?? v.unicastSrcIp?.family ?? 'inet';
  const tooMany = vips[255];
  if (tooMany) {
    ctx.diags.error(
      tooMany.loc,
      `${where}: \`virtual_ipaddress\` has ${vips.length} addresses; an advert carries at most 255 (put the rest in virtual_ipaddress_excluded)`,
      'virtual_ipaddress',
    );
  }
  let version: 2 | 3 = v.version ?? g.vrrpVersion;
  if (family === 'inet6') {
    if (v.version === 2)
      ctx.diags.error(
        v.versionLoc ?? v.loc,
        `${where}: IPv6 instances need VRRP version 3 (version 2 is set)`,
        'version',
      );
    version = 3;
  }
  let advertIntMs: number = Defaults.advertIntMs;
  if (v.advertInt) {
    const { ms, tok } = v.advertInt;
    if (version === 2 && (ms % 1000 !== 0 || ms < 1000)) {
      ctx.diags.error(
        tok.loc,
        `\`advert_int\` must be whole seconds 1..255 in VRRPv2 (got ${tok.text})`,
        'advert_int',
      );
    } else if (version === 3 && (ms % 10 !== 0 || ms < 10 || ms > 40950)) {
      ctx.diags.error(
        tok.loc,
        `\`advert_int\` must be 0.01..40.95 s in steps of 0.01 in VRRPv3 (got ${tok.text})`,
        'advert_int',
      );
    } else advertIntMs = ms;
  }
  const strict = v.strict ?? g.vrrpStrict;
  const priority = v.priority ?? Defaults.priority;
  const initialState = v.initialState ?? 'BACKUP';
  // keepalived's resolution of contradicting preemption settings: report, then clear the weaker one.
  let nopreempt = v.nopreempt;
  let preemptDelayMs = v.preemptDelayMs ?? 0;
  const preemptLoc = v.preemptDelayLoc ?? v.loc;
  if (nopreempt && priority === 255) {
    ctx.diags.warning(
      v.loc,
      `${where}: \`nopreempt\` does not apply to an address owner (priority 255); cleared`,
      'nopreempt',
    );
    nopreempt = false;
  }
  if (initialState === 'MASTER' && nopreempt) {
    ctx.diags.warning(
      v.loc,
      `${where}: \`nopreempt\` does not work with \`state MASTER\`; cleared`,
      'nopreempt',
    );
    nopreempt = false;
  }
  if (initialState === 'MASTER' && preemptDelayMs > 0) {
    ctx.diags.warning(
      preemptLoc,
      `${where}: \`preempt_delay\` does not work with \`state MASTER\`; cleared`,
      'preempt_delay',
    );
    preemptDelayMs = 0;
  }
  if (nopreempt && preemptDelayMs > 0) {
    ctx.diags.warning(
      preemptLoc,
      `${where}: \`preempt_delay\` has no effect with \`nopreempt\`; cleared`,
      'preempt_delay',
    );
    preemptDelayMs = 0;
  }
  if (v.auth && version === 3) {
    ctx.diags.error(
      v.auth.loc,
      `${where}: \`authentication\` is VRRPv2 only (this instance is version 3)`,
      'authentication',
    );
  }
  if (v.unicastSrcIp && v.unicastSrcIp.family !== family) {
    ctx.diags.error(
      v.unicastSrcIp.loc,
      `${where}: \`unicast_src_ip\` is ${famName(v.unicastSrcIp.family)} but the instance is ${famName(family)}`,
      'unicast_src_ip',
    );
  }
  for (const p of v.unicastPeers) {
    if (p.family !== family) {
      ctx.diags.error(
        p.loc,
        `${where}: unicast peer ${p.address} is ${famName(p.family)} but the instance is ${famName(family)}`,
        'unicast_peer',
      );
    }
  }
  if (v.mcastSrcIp && v.mcastSrcIp.family !== family) {
    ctx.diags.error(
      v.mcastSrcIp.loc,
      `${where}: \`mcast_src_ip\` is ${famName(v.mcastSrcIp.family)} but the instance is ${famName(family)}`,
      'mcast_src_ip',
    );
  }
  if (strict) strictChecks(ctx, v, where, version, priority, initialState, vips.length);
  else if (vips.length === 0 && !v.present.has('virtual_ipaddress')) {
    // As keepalived: required in VRRPv3 (and strict mode, reported above), merely odd in v2.
    if (version === 3)
      ctx.diags.error(
        v.loc,
        `${where}: \`virtual_ipaddress\` needs at least one address in VRRPv3`,
        'virtual_ipaddress',
      );
    else
      ctx.diags.warning(
        v.loc,
        `${where}: no \`virtual_ipaddress\`; adverts will carry no address`,
        'virtual_ipaddress',
      );
  }
  for (const t of [...v.trackInterfaces, ...v.trackScripts, ...v.trackFiles]) {
    if (priority === 255 && t.weight !== undefined && t.weight !== 0) {
      ctx.diags.error(
        t.loc,
        `${where}: an address owner (priority 255) cannot track with a weight (got weight ${t.weight} for ${t.name})`,
        'priority',
      );
    }
  }
  // keepalived's resolution of down_timer_adverts and owner_ignore_adverts (vrrp_complete_instance).
  let downTimerAdverts = v.downTimerAdverts ?? g.vrrpDownTimerAdverts;
  if (strict && downTimerAdverts !== 3) {
    ctx.diags.warning(
      v.downTimerLoc ?? v.loc,
      `${where}: \`down_timer_adverts\` is incompatible with strict mode; reset to 3`,
      'down_timer_adverts',
    );
    downTimerAdverts = 3;
  }
  let ownerIgnoreAdverts: boolean;
  if (v.ownerIgnoreAdverts === true && priority !== 255) {
    ctx.diags.warning(
      v.ownerIgnoreLoc ?? v.loc,
      `${where}: \`owner_ignore_adverts\` ignored since priority is not 255`,
      'owner_ignore_adverts',
    );
    ownerIgnoreAdverts = false;
  } else if (v.ownerIgnoreAdverts === undefined) {
    ownerIgnoreAdverts = priority === 255 && (strict || g.vrrpOwnerIgnoreAdverts);
  } else if (priority === 255 && strict && !v.ownerIgnoreAdverts) {
    ctx.diags.warning(
      v.ownerIgnoreLoc ?? v.loc,
      `${where}: strict mode with priority 255 requires \`owner_ignore_adverts\`; set`,
      'owner_ignore_adverts',
    );
    ownerIgnoreAdverts = true;
  } else ownerIgnoreAdverts = v.ownerIgnoreAdverts;
  const out: VrrpInstance = {
    name: v.name,
    downTimerAdverts,
    ownerIgnoreAdverts,
    notifyPriorityChanges: v.notifyPriorityChanges ?? g.vrrpNotifyPriorityChanges,
    initialState,
    interface: v.interface,
    vrid: v.vrid,
    priority,
    advertIntMs,
    version,
    family,
    nopreempt,
    preemptDelayMs,
    unicastPeers: v.unicastPeers,
    vips,
    excludedVips,
    trackInterfaces: v.trackInterfaces,
    trackScripts: v.trackScripts,
    trackFiles: v.trackFiles,
    notify: v.notify,
    garp: resolveGarp(g.garp, v.garp),
    accept: v.accept ?? !strict,
    lowerPrioNoAdvert: v.lowerPrioNoAdvert ?? (g.vrrpLowerPrioNoAdvert || strict),
    higherPrioSendAdvert: v.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert,
    v3ChecksumAsV2: v.v3ChecksumAsV2,
    checkUnicastSrc: v.checkUnicastSrc ?? g.vrrpCheckUnicastSrc,
    strict,
    skipCheckAdvAddr: v.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    loc: v.loc,
  };
  if (v.auth) out.auth = v.auth;
  if (v.unicastSrcIp) out.unicastSrcIp = v.unicastSrcIp.address;
  if (v.mcastSrcIp) out.mcastSrcIp = v.mcastSrcIp.address;
  if (v.useVmac) out.useVmac = v.useVmac;
  return out;
}
