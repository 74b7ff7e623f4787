// SPDX-License-Identifier: Apache-2.0
/**
 * AST -> typed Model: dispatches top-level sections to their keyword tables, then applies
 * keepalived's defaults, resolves globals into instances and validates ranges, references and
 * conflicts. Pure. Global defs, scripts and track files are finalized here (tracked processes in
 * keywords/track-process.ts); instances in
 * schema-vrrp.ts, virtual servers in schema-lvs.ts, checks across instances in checks-vrrp.ts.
 * Every finding is a located diagnostic; the Model is built even with errors so that all of them
 * are reported in one run (the caller drops it when there is any error).
 */
import { Defaults } from './model.js';
import type {
  GlobalDefs,
  Model,
  SourceLoc,
  TrackFile,
  TrackProcess,
  VrrpInstanceConfig,
  VrrpScript,
} from './model.js';
import type { AstNode } from './parser.js';
import { type Ctx, type KeywordTable, arg, noExtra, reportUnknown, runTable, withUser } from './values.js';
import { type GlobalDraft, globalKeywords, globalUnsupported, newGlobalDraft } from './keywords/global.js';
import {
  type SmtpDraft,
  finalizeSmtp,
  newSmtpDraft,
  smtpAlertDefaults,
  smtpGlobalKeywords,
} from './keywords/smtp.js';
import {
  type InstanceDraft,
  type ScriptDraft,
  type SyncGroupDraft,
  type TrackFileDraft,
  instanceKeywords,
  instanceUnsupported,
  newInstanceDraft,
  newScriptDraft,
  newSyncGroupDraft,
  newTrackFileDraft,
  scriptKeywords,
  syncGroupKeywords,
  syncGroupUnsupported,
  trackFileKeywords,
} from './keywords/vrrp.js';
import {
  type VsgBudget,
  type VsgDraft,
  newVsDraft,
  vsHeader,
  vsKeywords,
  vsUnsupported,
  maxVsgAddresses,
  vsgBlock,
} from './keywords/virtual-server.js';
import { type VsStatementBuild, finalizeLvs, recording } from './schema-lvs.js';
import { replayFindings } from './diagnostics.js';
import { finalizeBgp } from './schema-bgp.js';
import { finalizeInstance, finalizeVips, resolveGarp } from './schema-vrrp.js';
import { vipList, type VipDraft } from './keywords/vrrp.js';
import { assignRulePriorities, finalRule, routeList, ruleList, type RuleDraft } from './keywords/routing.js';
import type { IpRoute } from './model.js';
import { checkVrrpReferences, finalizeSyncGroups, zeroSyncGroupWeights } from './checks-vrrp.js';
import {
  type GarpGroupDraft,
  finalizeGarpGroups,
  garpGroupKeywords,
  newGarpGroupDraft,
} from './keywords/garp-group.js';
import { finalizeNftables } from './keywords/nftables.js';
import { assignVmacNames } from './schema-vmac.js';
import {
  type TrackProcessDraft,
  checkProcessRefs,
  finalizeTrackProcess,
  newTrackProcessDraft,
  trackProcessKeywords,
} from './keywords/track-process.js';

export interface SchemaOptions {
  configId: string;
  lenient: boolean;
}

/** global_defs as written, with its e-mail keywords (keywords/smtp.ts). */
type GlobalWithSmtp = GlobalDraft & { smtp: SmtpDraft };

export const globalDefsKeywords: KeywordTable<GlobalWithSmtp> = {
  ...globalKeywords,
  ...smtpGlobalKeywords<GlobalWithSmtp>(),
};

interface Drafts {
  global: GlobalWithSmtp;
  scripts: ScriptDraft[];
  trackFiles: TrackFileDraft[];
  trackProcesses: TrackProcessDraft[];
  instances: InstanceDraft[];
  syncGroups: SyncGroupDraft[];
  vsgs: VsgDraft[];
  /** The `virtual_server` statements that gave a virtual server to finalize, or one finalized before. */
  vss: VsStatementBuild[];
  /** Addresses `virtual_server_group` ranges may still expand to (vsgBlock). */
  vsgAddresses: VsgBudget;
  staticAddresses: VipDraft[];
  staticRoutes: IpRoute[];
  staticRules: RuleDraft[];
  /** Every rule, static and virtual, in file order (keepalived numbers unprioritized rules so). */
  rulesInOrder: RuleDraft[];
  garpGroups: GarpGroupDraft[];
  /** `smtp_alert`s the virtual servers switched on themselves, in their order, then their reals'. */
  vsAlerts: { vs: SourceLoc[]; reals: SourceLoc[] };
  /** When the caller notes the statements' builds (`buildModel`'s `builds`). */
  builds?: VsStatementBuild[];
}

/** A top-level statement, or a `virtual_server` statement built before and unchanged since. */
export type TopStatement = AstNode | VsStatementBuild;

/** keepalived's interface for a `static_ipaddress` without `dev` (its `default_interface` default). */
const STATIC_DEFAULT_DEV = 'eth0';

export const topLevel = [
  'global_defs',
  'vrrp_script',
  'vrrp_track_file',
  'track_file',
  'vrrp_track_process',
  'vrrp_instance',
  'vrrp_sync_group',
  'virtual_server',
  'virtual_server_group',
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'garp_group',
] as const;

export const topUnsupported: ReadonlySet<string> = new Set([
  'bfd_instance',
  'linkbeat_interfaces',
  'SSL',
  'net_namespace',
  'use_polling',
  'track_group',
  'interface_up_down_delays',
]);

/**
 * Build the Model from the parsed statements of all files. `builds`, when given, receives the build
 * of every `virtual_server` statement in order (config/incremental.ts keeps them for the next reload).
 */
export function buildModel(
  ctx: Ctx,
  nodes: readonly TopStatement[],
  opts: SchemaOptions,
  files: string[],
  builds?: VsStatementBuild[],
): Model {
  const d: Drafts = {
    global: { ...newGlobalDraft(), smtp: newSmtpDraft() },
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
    instances: [],
    syncGroups: [],
    vsgs: [],
    vss: [],
    vsgAddresses: { left: maxVsgAddresses, reported: false },
    staticAddresses: [],
    staticRoutes: [],
    staticRules: [],
    rulesInOrder: [],
    garpGroups: [],
    vsAlerts: { vs: [], reals: [] },
    ...(builds ? { builds } : {}),
  };
  for (const node of nodes) {
    if (!('built' in node)) topStatement(ctx, node, d);
    else {
      // built before (config/incremental.ts): what it reported then is reported again
      replayFindings(ctx.diags, node.findings);
      addVirtualServer(d, node);
    }
  }
  assignRulePriorities(ctx, d.rulesInOrder);
  const global = finalizeGlobal(d.global, opts);
  const smtp = finalizeSmtp(ctx, d.global.smtp, explicitAlerts(d));
  if (smtp) global.smtp = smtp;
  applySectionDefaults(d);
  if (d.garpGroups.length > 0) global.garpGroups = finalizeGarpGroups(ctx, d.garpGroups);
  const nft = finalizeNftables(d.global.nftables);
  if (nft) global.vrrpNftables = nft;
  const scripts = d.scripts
    .map((s) => finalizeScript(ctx, s))
    .filter((s): s is VrrpScript => s !== undefined);
  const trackFiles = d.trackFiles
    .map((t) => finalizeTrackFile(ctx, t))
    .filter((t): t is TrackFile => t !== undefined);
  const trackProcesses = d.trackProcesses
    .map((t) => finalizeTrackProcess(ctx, t))
    .filter((t): t is TrackProcess => t !== undefined);
  const instances = d.instances
    .map((v) => finalizeInstance(ctx, v, global))
    .filter((v): v is VrrpInstanceConfig => v !== undefined);
  assignVmacNames(ctx, instances, global.garpGroups ?? []);
  const syncGroups = finalizeSyncGroups(ctx, d.syncGroups, instances);
  checkVrrpReferences(ctx, instances, syncGroups, scripts, trackFiles, global);
  zeroSyncGroupWeights(ctx, instances, scripts, trackFiles);
  checkProcessRefs(ctx, instances, syncGroups, trackProcesses);
  const lvs = finalizeLvs(ctx, d.vsgs, d.vss, trackFiles, d.builds !== undefined);
  const bgp = finalizeBgp(ctx, d.global.bgp, lvs.servers);
  if (bgp) global.lvsdBgp = bgp;
  return {
    global,
    vrrpScripts: scripts,
    trackFiles,
    trackProcesses,
    vrrpInstances: instances,
    syncGroups,
    virtualServerGroups: lvs.groups,
    virtualServers: lvs.servers,
    staticAddresses: finalizeVips(ctx, d.staticAddresses, STATIC_DEFAULT_DEV, 'static_ipaddress', false),
    staticRoutes: d.staticRoutes,
    staticRules: d.staticRules.map(finalRule),
    files,
  };
}

type Alerting = { smtpAlert?: { on: boolean; loc: SourceLoc } | undefined };

/** Where these sections' own `smtp_alert` turns alerts on. */
const alertsOn = (own: readonly Alerting[]): SourceLoc[] =>
  own.flatMap((o) => (o.smtpAlert?.on ? [o.smtpAlert.loc] : []));

/**
 * Where a section's own `smtp_alert` turns alerts on (warned about when no mail can be sent). A
 * virtual server's are noted when its statement is built, before any default applies.
 */
function explicitAlerts(d: Drafts): SourceLoc[] {
  return [...alertsOn([...d.instances, ...d.syncGroups]), ...d.vsAlerts.vs, ...d.vsAlerts.reals];
}

/** A built `virtual_server` statement into the drafts. */
function addVirtualServer(d: Drafts, b: VsStatementBuild): void {
  if (b.draft || b.final) {
    d.vss.push(b);
    d.vsAlerts.vs.push(...b.alerts.vs);
    d.vsAlerts.reals.push(...b.alerts.reals);
  }
  d.builds?.push(b);
}

/**
 * Settings a section takes from elsewhere when it has none of its own (keepalived): `smtp_alert`
 * from global `smtp_alert_vrrp` / `smtp_alert_checker`, else `smtp_alert` (keywords/smtp.ts), and an
 * instance's `notify_priority_changes` from its sync group (before the global one, schema-vrrp.ts).
 */
function applySectionDefaults(d: Drafts): void {
  const alerts = smtpAlertDefaults(d.global.smtp);
  const loc = d.global.loc ?? { file: '', line: 0, col: 0 };
  const dflt = (on: boolean): { on: boolean; loc: SourceLoc } => ({ on, loc });
  for (const o of [...d.instances, ...d.syncGroups]) o.smtpAlert ??= dflt(alerts.vrrp);
  for (const { draft: v } of d.vss) {
    // one finalized before (config/incremental.ts) had them then, from the same global_defs
    if (!v) continue;
    v.smtpAlert ??= dflt(alerts.virtualServer);
    for (const r of v.reals) r.smtpAlert ??= dflt(alerts.realServer);
  }
  for (const g of d.syncGroups) {
    if (g.notifyPriorityChanges === undefined) continue;
    for (const m of g.members) {
      const inst = d.instances.find((i) => i.name === m.name);
      if (inst) inst.notifyPriorityChanges ??= g.notifyPriorityChanges;
    }
  }
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
      runTable(ctx, body, globalDefsKeywords, globalUnsupported, 'global_defs', d.global);
      return;
    case 'vrrp_script': {
      const name = named(ctx, node, 'vrrp_script');
      if (name === undefined) return;
      const s = newScriptDraft(name, node.loc, keywordsOf(body));
      runTable(ctx, body, scriptKeywords, new Set(), 'vrrp_script', s);
      pushUnique(ctx, d.scripts, s, 'vrrp_script');
      return;
    }
    case 'vrrp_track_file':
    case 'track_file': {
      const name = named(ctx, node, kw);
      if (name === undefined) return;
      const t = newTrackFileDraft(name, node.loc, keywordsOf(body));
      runTable(ctx, body, trackFileKeywords, new Set(), kw, t);
      pushUnique(ctx, d.trackFiles, t, 'vrrp_track_file');
      return;
    }
    case 'vrrp_track_process': {
      const name = named(ctx, node, kw);
      if (name === undefined) return;
      const t = newTrackProcessDraft(name, node.loc, keywordsOf(body));
      runTable(ctx, body, trackProcessKeywords, new Set(), kw, t);
      pushUnique(ctx, d.trackProcesses, t, kw);
      return;
    }
    case 'vrrp_instance': {
      const name = named(ctx, node, 'vrrp_instance');
      if (name === undefined) return;
      const v = newInstanceDraft(name, node.loc, keywordsOf(body));
      runTable(ctx, body, instanceKeywords, instanceUnsupported, 'vrrp_instance', v);
      pushUnique(ctx, d.instances, v, 'vrrp_instance');
      d.rulesInOrder.push(...v.virtualRules);
      return;
    }
    case 'vrrp_sync_group': {
      const name = named(ctx, node, 'vrrp_sync_group');
      if (name === undefined) return;
      const g = newSyncGroupDraft(name, node.loc);
      runTable(ctx, body, syncGroupKeywords, syncGroupUnsupported, 'vrrp_sync_group', g);
      pushUnique(ctx, d.syncGroups, g, 'vrrp_sync_group');
      return;
    }
    case 'virtual_server_group': {
      const name = named(ctx, node, 'virtual_server_group');
      if (name === undefined) return;
      const g: VsgDraft = { name, loc: node.loc, entries: [], written: body.length };
      vsgBlock(ctx, node, g, d.vsgAddresses);
      pushUnique(ctx, d.vsgs, g, 'virtual_server_group');
      return;
    }
    case 'static_ipaddress':
      noExtra(ctx, node, 0);
      d.staticAddresses.push(...vipList(ctx, node));
      return;
    case 'static_routes':
      noExtra(ctx, node, 0);
      d.staticRoutes.push(...routeList(ctx, node));
      return;
    case 'static_rules': {
      noExtra(ctx, node, 0);
      const rules = ruleList(ctx, node);
      d.staticRules.push(...rules);
      d.rulesInOrder.push(...rules);
      return;
    }
    case 'garp_group': {
      noExtra(ctx, node, 0);
      const g = newGarpGroupDraft(node);
      runTable(ctx, body, garpGroupKeywords, new Set(), 'garp_group', g);
      d.garpGroups.push(g);
      return;
    }
    case 'virtual_server': {
      const b: VsStatementBuild = {
        built: 'virtual_server',
        draft: undefined,
        findings: [],
        alerts: { vs: [], reals: [] },
      };
      const vctx = d.builds ? recording(ctx, b.findings) : ctx;
      const header = vsHeader(vctx, node);
      if (header) {
        const v = newVsDraft(header, node.loc);
        runTable(vctx, body, vsKeywords, vsUnsupported, 'virtual_server', v);
        b.draft = v;
        b.alerts = { vs: alertsOn([v]), reals: alertsOn(v.reals) };
      }
      addVirtualServer(d, b);
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
  if (g.processMonitorRcvBufs) out.processMonitorRcvBufs = g.processMonitorRcvBufs;
  if (g.vrrpProcess) out.vrrpProcess = g.vrrpProcess;
  if (g.checkerProcess) out.checkerProcess = g.checkerProcess;
  if (g.lvsdMetrics) out.lvsdMetrics = g.lvsdMetrics;
  if (g.lvsdSloppy) out.lvsdSloppy = g.lvsdSloppy;
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
  return {
    name: s.name,
    script: withUser(s.script, s.user),
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
