// SPDX-License-Identifier: Apache-2.0
/**
 * VRRP checks that need more than one instance or the whole configuration: strict mode, sync group
 * membership, references to vrrp_script / vrrp_track_file / lvs_sync_daemon instances, and VRID
 * conflicts. Pure; used by schema.ts (strictChecks by schema-vrrp.ts).
 */
import type { GlobalDefs, SyncGroup, TrackFile, VrrpInstanceConfig, VrrpScript } from './model.js';
import type { InstanceDraft, SyncGroupDraft } from './keywords/vrrp.js';
import { type Ctx, familyName } from './values.js';

export function strictChecks(
  ctx: Ctx,
  v: InstanceDraft,
  where: string,
  version: 2 | 3,
  priority: number,
  state: 'MASTER' | 'BACKUP',
  vipCount: number,
): void {
  const e = (loc: InstanceDraft['loc'], what: string): void =>
    ctx.diags.error(loc, `${where}: strict mode (vrrp_strict) does not allow ${what}`, 'vrrp_strict');
  if (vipCount === 0) e(v.loc, 'an instance without virtual_ipaddress');
  if (v.unicastPeers.length > 0 && v.unicastPeers[0]) e(v.unicastPeers[0].loc, 'unicast peers');
  if (v.auth) e(v.auth.loc, 'authentication');
  if (v.preemptDelayMs && v.preemptDelayLoc) e(v.preemptDelayLoc, 'preempt_delay');
  if (state === 'MASTER' && priority !== 255) e(v.loc, 'state MASTER unless priority is 255');
  if (version === 2 && v.accept && v.acceptLoc) e(v.acceptLoc, '`accept` with VRRPv2');
}

export function finalizeSyncGroups(
  ctx: Ctx,
  drafts: SyncGroupDraft[],
  instances: VrrpInstanceConfig[],
): SyncGroup[] {
  const byName = new Map(instances.map((i) => [i.name, i]));
  const out: SyncGroup[] = [];
  for (const g of drafts) {
    if (g.members.length === 0) {
      ctx.diags.error(
        g.loc,
        `vrrp_sync_group \`${g.name}\` needs \`group { INSTANCE ... }\` with at least one instance`,
        'vrrp_sync_group',
      );
    }
    const members: string[] = [];
    for (const m of g.members) {
      const inst = byName.get(m.name);
      if (!inst) {
        ctx.diags.error(
          m.loc,
          `vrrp_sync_group \`${g.name}\`: no vrrp_instance named \`${m.name}\``,
          'group',
        );
        continue;
      }
      if (inst.syncGroup !== undefined) {
        ctx.diags.error(
          m.loc,
          `vrrp_instance \`${m.name}\` is already in vrrp_sync_group \`${inst.syncGroup}\``,
          'group',
        );
        continue;
      }
      inst.syncGroup = g.name;
      members.push(m.name);
    }
    out.push({
      name: g.name,
      members,
      notify: g.notify,
      smtpAlert: g.smtpAlert?.on ?? false,
      trackInterfaces: g.trackInterfaces,
      trackScripts: g.trackScripts,
      trackFiles: g.trackFiles,
      trackProcesses: g.trackProcesses,
      loc: g.loc,
    });
  }
  return out;
}

export function checkVrrpReferences(
  ctx: Ctx,
  instances: VrrpInstanceConfig[],
  groups: SyncGroup[],
  scripts: VrrpScript[],
  trackFiles: TrackFile[],
  global: GlobalDefs,
): void {
  const scriptNames = new Set(scripts.map((s) => s.name));
  const fileNames = new Set(trackFiles.map((f) => f.name));
  for (const owner of [...instances, ...groups]) {
    for (const t of owner.trackScripts) {
      if (!scriptNames.has(t.name))
        ctx.diags.error(t.loc, `\`track_script\`: no vrrp_script named \`${t.name}\``, 'track_script');
    }
    for (const t of owner.trackFiles) {
      if (!fileNames.has(t.name))
        ctx.diags.error(t.loc, `\`track_file\`: no vrrp_track_file named \`${t.name}\``, 'track_file');
    }
  }
  const seen = new Map<string, VrrpInstanceConfig>();
  for (const i of instances) {
    const key = `${i.vrid}|${i.interface}|${i.family}`;
    const prev = seen.get(key);
    if (prev) {
      ctx.diags.error(
        i.loc,
        `vrrp_instance \`${i.name}\`: VRID ${i.vrid} on ${i.interface} (${familyName(i.family)}) is already used by \`${prev.name}\` at ${prev.loc.file}:${prev.loc.line}:${prev.loc.col}`,
        'virtual_router_id',
      );
    } else seen.set(key, i);
  }
  const sd = global.lvsSyncDaemon;
  if (sd?.instance !== undefined && !instances.some((i) => i.name === sd.instance)) {
    ctx.diags.error(
      sd.loc,
      `\`lvs_sync_daemon\`: no vrrp_instance named \`${sd.instance}\``,
      'lvs_sync_daemon',
    );
  }
}

/**
 * Members of a sync group move together, so their trackers cannot shift priority (keepalived needs
 * `sync_group_tracking_weight` for that, which lvsd does not implement): a non-zero weight is
 * reported and set to 0 in the model, as keepalived does. A weight of 0 still means FAULT on failure.
 */
export function zeroSyncGroupWeights(
  ctx: Ctx,
  instances: VrrpInstanceConfig[],
  scripts: VrrpScript[],
  trackFiles: TrackFile[],
): void {
  const scriptWeight = new Map(scripts.map((s) => [s.name, s.weight]));
  const fileWeight = new Map(trackFiles.map((f) => [f.name, f.weight]));
  for (const inst of instances) {
    if (inst.syncGroup === undefined) continue;
    const lists: Array<[string, VrrpInstanceConfig['trackScripts'], (n: string) => number]> = [
      ['track_interface', inst.trackInterfaces, () => 0],
      ['track_script', inst.trackScripts, (n) => scriptWeight.get(n) ?? 0],
      ['track_file', inst.trackFiles, (n) => fileWeight.get(n) ?? 0],
    ];
    for (const [kw, refs, own] of lists) {
      for (const ref of refs) {
        const w = ref.weight ?? own(ref.name);
        if (w === 0) continue;
        ctx.diags.warning(
          ref.loc,
          `vrrp_instance \`${inst.name}\` is in vrrp_sync_group \`${inst.syncGroup}\`: \`${kw}\` ${ref.name} weight ${w} is ignored (set to 0)`,
          kw,
        );
        ref.weight = 0;
      }
    }
  }
}
