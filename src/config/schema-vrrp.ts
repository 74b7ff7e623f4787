// SPDX-License-Identifier: Apache-2.0
/**
 * Finalizes one `vrrp_instance`: keepalived's defaults and the global settings resolved into it,
 * its addresses, VRRP version and advert interval, the contradicting settings keepalived reconciles
 * (preemption, down timer, owner adverts), and the checks that need only this instance. Pure; used
 * by schema.ts. Checks across instances (sync groups, references, VRID conflicts) are in
 * checks-vrrp.ts. The steps run in a fixed order: diagnostics at one location keep their order.
 */
import type { IpFamily } from '../core/addr.js';
import { Defaults } from './model.js';
import type { GarpSettings, GlobalDefs, SourceLoc, VrrpInstanceConfig, Vip } from './model.js';
import type { InstanceDraft, VipDraft } from './keywords/vrrp.js';
import { type Ctx, familyName } from './values.js';
import { strictChecks } from './checks-vrrp.js';
import { finalRule } from './keywords/routing.js';
import { finalizeVrrpExtras } from './schema-vmac.js';

/** Global `vrrp_garp_*` settings with an instance's `garp_*` overrides, keepalived's defaults filled in. */
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

export function finalizeInstance(ctx: Ctx, v: InstanceDraft, g: GlobalDefs): VrrpInstanceConfig | undefined {
  const where = `vrrp_instance \`${v.name}\``;
  const identity = requiredIdentity(ctx, v, where);
  if (!identity) return undefined;
  const { vips, excludedVips, family } = instanceAddresses(ctx, v, identity.interface, where);
  const version = resolveVersion(ctx, v, g, family, where);
  const advertIntMs = resolveAdvertInt(ctx, v, version);
  const strict = v.strict ?? g.vrrpStrict;
  const priority = v.priority ?? Defaults.priority;
  const initialState = resolveInitialState(ctx, v, where, priority);
  const { nopreempt, preemptDelayMs } = resolvePreemption(ctx, v, where, priority, initialState);
  checkVersionAndFamilies(ctx, v, where, version, family);
  if (strict) strictChecks(ctx, v, where, version, priority, initialState, vips.length);
  else checkVipsPresent(ctx, v, where, version, vips.length);
  checkOwnerTracking(ctx, v, where, priority);
  const downTimerAdverts = resolveDownTimerAdverts(ctx, v, g, where, strict);
  const ownerIgnoreAdverts = resolveOwnerIgnoreAdverts(ctx, v, g, where, priority, strict);
  const out: VrrpInstanceConfig = {
    name: v.name,
    downTimerAdverts,
    ownerIgnoreAdverts,
    notifyPriorityChanges: v.notifyPriorityChanges ?? g.vrrpNotifyPriorityChanges,
    notifyDeleted: v.notifyDeleted ?? false,
    // schema.ts has given drafts without their own the global smtp_alert_vrrp / smtp_alert
    smtpAlert: v.smtpAlert?.on ?? false,
    initialState,
    interface: identity.interface,
    vrid: identity.vrid,
    priority,
    advertIntMs,
    version,
    family,
    nopreempt,
    preemptDelayMs,
    unicastPeers: v.unicastPeers,
    vips,
    excludedVips,
    virtualRoutes: v.virtualRoutes,
    virtualRules: v.virtualRules.map(finalRule),
    trackInterfaces: v.trackInterfaces,
    trackScripts: v.trackScripts,
    trackFiles: v.trackFiles,
    trackProcesses: v.trackProcesses,
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
  Object.assign(out, finalizeVrrpExtras(ctx, v, where, { family, vrid: identity.vrid, strict }));
  return out;
}

/**
 * `state` [BACKUP]. With AH authentication a non-owner starts as BACKUP whatever it says, as
 * keepalived: it must hear an advert (and its AH sequence number) before it may take over.
 */
function resolveInitialState(
  ctx: Ctx,
  v: InstanceDraft,
  where: string,
  priority: number,
): 'MASTER' | 'BACKUP' {
  const state = v.initialState ?? 'BACKUP';
  if (state !== 'MASTER' || v.auth?.type !== 'AH' || priority === 255) return state;
  ctx.diags.warning(
    v.auth.loc,
    `${where}: \`state MASTER\` does not go with AH authentication (the AH sequence number is learnt from an advert first); BACKUP is used`,
    'state',
  );
  return 'BACKUP';
}

/** `interface` and `virtual_router_id`, without which there is no instance (both reported). */
function requiredIdentity(
  ctx: Ctx,
  v: InstanceDraft,
  where: string,
): { interface: string; vrid: number } | undefined {
  if (v.interface === undefined && !v.present.has('interface')) {
    ctx.diags.error(v.loc, `${where} needs \`interface\``, 'vrrp_instance');
  }
  if (v.vrid === undefined && !v.present.has('virtual_router_id')) {
    ctx.diags.error(v.loc, `${where} needs \`virtual_router_id\` (1..255)`, 'vrrp_instance');
  }
  if (v.interface === undefined || v.vrid === undefined) return undefined;
  return { interface: v.interface, vrid: v.vrid };
}

/** The VIP lists on the instance's interface, and the instance's family (from its first VIP). */
function instanceAddresses(
  ctx: Ctx,
  v: InstanceDraft,
  dev: string,
  where: string,
): { vips: Vip[]; excludedVips: Vip[]; family: IpFamily } {
  const vips = finalizeVips(ctx, v.vips, dev, 'virtual_ipaddress', true);
  const excludedVips = finalizeVips(ctx, v.excludedVips, dev, 'virtual_ipaddress_excluded', false);
  const family = vips[0]?.family ?? v.unicastSrcIp?.family ?? 'inet';
  const tooMany = vips[255];
  if (tooMany) {
    ctx.diags.error(
      tooMany.loc,
      `${where}: \`virtual_ipaddress\` has ${vips.length} addresses; an advert carries at most 255 (put the rest in virtual_ipaddress_excluded)`,
      'virtual_ipaddress',
    );
  }
  return { vips, excludedVips, family };
}

export function finalizeVips(ctx: Ctx, list: VipDraft[], dev: string, kw: string, oneFamily: boolean): Vip[] {
  const first = list[0];
  const seen = new Map<string, VipDraft>();
  const out: Vip[] = [];
  for (const v of list) {
    if (oneFamily && first && v.family !== first.family) {
      ctx.diags.error(
        v.loc,
        `\`${kw}\`: all addresses must be one family (${v.address} is ${familyName(v.family)}, ${first.address} is ${familyName(first.family)}); put the others in virtual_ipaddress_excluded`,
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

/** `version`, else the global `vrrp_version`; IPv6 instances are always version 3. */
function resolveVersion(ctx: Ctx, v: InstanceDraft, g: GlobalDefs, family: IpFamily, where: string): 2 | 3 {
  if (family !== 'inet6') return v.version ?? g.vrrpVersion;
  if (v.version === 2)
    ctx.diags.error(
      v.versionLoc ?? v.loc,
      `${where}: IPv6 instances need VRRP version 3 (version 2 is set)`,
      'version',
    );
  return 3;
}

/** `advert_int` checked against the version's wire format (v2: whole seconds; v3: centiseconds). */
function resolveAdvertInt(ctx: Ctx, v: InstanceDraft, version: 2 | 3): number {
  if (!v.advertInt) return Defaults.advertIntMs;
  const { ms, tok } = v.advertInt;
  if (version === 2 && (ms % 1000 !== 0 || ms < 1000)) {
    ctx.diags.error(
      tok.loc,
      `\`advert_int\` must be whole seconds 1..255 in VRRPv2 (got ${tok.text})`,
      'advert_int',
    );
    return Defaults.advertIntMs;
  }
  if (version === 3 && (ms % 10 !== 0 || ms < 10 || ms > 40950)) {
    ctx.diags.error(
      tok.loc,
      `\`advert_int\` must be 0.01..40.95 s in steps of 0.01 in VRRPv3 (got ${tok.text})`,
      'advert_int',
    );
    return Defaults.advertIntMs;
  }
  return ms;
}

/** keepalived's resolution of contradicting preemption settings: report, then clear the weaker one. */
function resolvePreemption(
  ctx: Ctx,
  v: InstanceDraft,
  where: string,
  priority: number,
  initialState: 'MASTER' | 'BACKUP',
): { nopreempt: boolean; preemptDelayMs: number } {
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
  return { nopreempt, preemptDelayMs };
}

/**
 * `authentication` is v2 only (so AH is IPv4 only: IPv6 instances are v3), AH with a VMAC only with
 * `vmac_xmit_base`; source and peer addresses must be of the instance's family.
 */
function checkVersionAndFamilies(
  ctx: Ctx,
  v: InstanceDraft,
  where: string,
  version: 2 | 3,
  family: IpFamily,
): void {
  if (v.auth && version === 3) {
    ctx.diags.error(
      v.auth.loc,
      `${where}: \`authentication\` is VRRPv2 only (this instance is version 3)`,
      'authentication',
    );
  } else if (v.auth?.type === 'AH' && v.useVmac && !v.vmacXmitBase && v.unicastPeers.length === 0) {
    // lvsd's AH adverts leave from the header-included socket on the parent interface
    // (src/vrrp/engine.ts), keepalived's from the VMAC: only vmac_xmit_base sends alike
    ctx.diags.error(
      v.auth.loc,
      `${where}: \`auth_type AH\` with \`use_vmac\` needs \`vmac_xmit_base\` (lvsd sends AH adverts from the parent interface, not from the VMAC)`,
      'auth_type',
    );
  }
  const otherFamily = (
    a: { family: IpFamily; loc: SourceLoc } | undefined,
    what: string,
    keyword: string,
  ): void => {
    if (a && a.family !== family) {
      ctx.diags.error(
        a.loc,
        `${where}: ${what} is ${familyName(a.family)} but the instance is ${familyName(family)}`,
        keyword,
      );
    }
  };
  otherFamily(v.unicastSrcIp, '`unicast_src_ip`', 'unicast_src_ip');
  for (const p of v.unicastPeers) otherFamily(p, `unicast peer ${p.address}`, 'unicast_peer');
  otherFamily(v.mcastSrcIp, '`mcast_src_ip`', 'mcast_src_ip');
}

/** Outside strict mode (which reports it itself): as keepalived, required in VRRPv3, merely odd in v2. */
function checkVipsPresent(ctx: Ctx, v: InstanceDraft, where: string, version: 2 | 3, vipCount: number): void {
  if (vipCount > 0 || v.present.has('virtual_ipaddress')) return;
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

/** An address owner's priority is fixed at 255: its trackers cannot carry a weight. */
function checkOwnerTracking(ctx: Ctx, v: InstanceDraft, where: string, priority: number): void {
  if (priority !== 255) return;
  for (const t of [...v.trackInterfaces, ...v.trackScripts, ...v.trackFiles, ...v.trackProcesses]) {
    if (t.weight !== undefined && t.weight !== 0) {
      ctx.diags.error(
        t.loc,
        `${where}: an address owner (priority 255) cannot track with a weight (got weight ${t.weight} for ${t.name})`,
        'priority',
      );
    }
  }
}

/** keepalived's resolution of down_timer_adverts (vrrp_complete_instance): strict mode forces 3. */
function resolveDownTimerAdverts(
  ctx: Ctx,
  v: InstanceDraft,
  g: GlobalDefs,
  where: string,
  strict: boolean,
): number {
  const downTimerAdverts = v.downTimerAdverts ?? g.vrrpDownTimerAdverts;
  if (!strict || downTimerAdverts === 3) return downTimerAdverts;
  ctx.diags.warning(
    v.downTimerLoc ?? v.loc,
    `${where}: \`down_timer_adverts\` is incompatible with strict mode; reset to 3`,
    'down_timer_adverts',
  );
  return 3;
}

/**
 * keepalived's resolution of owner_ignore_adverts (vrrp_complete_instance): only an address owner
 * may ignore adverts; unset, it follows strict mode or the global; strict mode requires it.
 */
function resolveOwnerIgnoreAdverts(
  ctx: Ctx,
  v: InstanceDraft,
  g: GlobalDefs,
  where: string,
  priority: number,
  strict: boolean,
): boolean {
  if (v.ownerIgnoreAdverts === true && priority !== 255) {
    ctx.diags.warning(
      v.ownerIgnoreLoc ?? v.loc,
      `${where}: \`owner_ignore_adverts\` ignored since priority is not 255`,
      'owner_ignore_adverts',
    );
    return false;
  }
  if (v.ownerIgnoreAdverts === undefined) return priority === 255 && (strict || g.vrrpOwnerIgnoreAdverts);
  if (priority === 255 && strict && !v.ownerIgnoreAdverts) {
    ctx.diags.warning(
      v.ownerIgnoreLoc ?? v.loc,
      `${where}: strict mode with priority 255 requires \`owner_ignore_adverts\`; set`,
      'owner_ignore_adverts',
    );
    return true;
  }
  return v.ownerIgnoreAdverts;
}
