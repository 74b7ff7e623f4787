// SPDX-License-Identifier: Apache-2.0
/**
 * The VMAC and unicast-transport settings of a `vrrp_instance` resolved as keepalived resolves
 * them (vrrp_complete_instance, vrrp_end_handler): the VMAC's MAC (00:00:5e:00:01:VRID, IPv6
 * 00:00:5e:00:02:VRID, or the written one, five octets taking the VRID as the sixth), its name
 * (`vrrp.VRID`, then `vrrp6.VRID` for IPv6, then `vrrpN.VRID`, skipping names other instances
 * take), `vmac_xmit_base` (forced by unicast peers), `unicast_ttl` (only with unicast peers),
 * `unicast_fault_no_peer`, `track_src_ip` (only with a configured source address). Pure.
 */
import type { IpFamily } from '../core/addr.js';
import type { GarpGroup, VrrpInstanceConfig, VmacConfig } from './model.js';
import type { InstanceDraft } from './keywords/vrrp.js';
import type { Ctx } from './values.js';

type Extras = Pick<VrrpInstanceConfig, 'useVmac' | 'unicastTtl' | 'unicastFaultNoPeer' | 'trackSrcIp'>;

function vmacMac(v: NonNullable<InstanceDraft['useVmac']>, family: IpFamily, vrid: number): string {
  const last = vrid.toString(16).padStart(2, '0');
  if (v.mac === undefined) return `00:00:5e:00:0${family === 'inet' ? 1 : 2}:${last}`;
  return v.macUsesVrid ? `${v.mac}:${last}` : v.mac;
}

/**
 * The instance's VMAC (its name left '' when not written: assignVmacNames fills it), unicast TTL,
 * no-peer fault and source tracking. Strict-mode conflicts are errors, as lvsd's other strict
 * checks; what keepalived resets out of strict mode is a warning.
 */
export function finalizeVrrpExtras(
  ctx: Ctx,
  v: InstanceDraft,
  where: string,
  o: { family: IpFamily; vrid: number; strict: boolean },
): Extras {
  const out: Extras = {};
  const hasPeers = v.unicastPeers.length > 0;
  if (v.useVmac) {
    const vm: VmacConfig = {
      name: v.useVmac.name ?? '',
      mac: vmacMac(v.useVmac, o.family, o.vrid),
      xmitBase: v.vmacXmitBase !== undefined,
    };
    if (o.strict && v.useVmac.mac !== undefined)
      ctx.diags.error(
        v.useVmac.loc,
        `${where}: strict mode (vrrp_strict) does not allow a VMAC MAC address`,
        'vrrp_strict',
      );
    if (o.strict && v.vmacXmitBase)
      ctx.diags.error(
        v.vmacXmitBase,
        `${where}: strict mode (vrrp_strict) does not allow \`vmac_xmit_base\``,
        'vrrp_strict',
      );
    if (hasPeers && !vm.xmitBase) {
      ctx.diags.warning(
        v.useVmac.loc,
        `${where}: unicast peers with \`use_vmac\` need \`vmac_xmit_base\`; set (as keepalived)`,
        'use_vmac',
      );
      vm.xmitBase = true;
    }
    out.useVmac = vm;
  } else if (v.vmacXmitBase) {
    ctx.diags.warning(
      v.vmacXmitBase,
      `${where}: \`vmac_xmit_base\` without \`use_vmac\`; ignored`,
      'vmac_xmit_base',
    );
  }
  if (v.unicastTtl) {
    if (hasPeers) out.unicastTtl = v.unicastTtl.ttl;
    else
      ctx.diags.warning(
        v.unicastTtl.loc,
        `${where}: \`unicast_ttl\` without \`unicast_peer\`; ignored`,
        'unicast_ttl',
      );
  }
  if (v.unicastFaultNoPeer) out.unicastFaultNoPeer = true;
  if (v.trackSrcIp) {
    if (v.unicastSrcIp || v.mcastSrcIp) out.trackSrcIp = true;
    else
      ctx.diags.warning(
        v.trackSrcIp,
        `${where}: \`track_src_ip\` without \`unicast_src_ip\` or \`mcast_src_ip\` has nothing to track; ignored`,
        'track_src_ip',
      );
  }
  return out;
}

/** keepalived's create_vmac_name order: `vrrp.N`, then (IPv6) `vrrp6.N`, then `vrrp1.N`, `vrrp2.N`, ... */
function* candidateNames(vrid: number, family: IpFamily): Generator<string> {
  yield `vrrp.${vrid}`;
  if (family === 'inet6') yield `vrrp6.${vrid}`;
  for (let n = 1; ; n++) if (family === 'inet' || n !== 6) yield `vrrp${n}.${vrid}`;
}

/**
 * Give each VMAC without a written name keepalived's default, skipping names taken by another
 * VMAC or by an interface the configuration names; a written name used twice, or naming an
 * instance's interface or an interface of a garp_group, is an error.
 */
export function assignVmacNames(
  ctx: Ctx,
  instances: readonly VrrpInstanceConfig[],
  garpGroups: readonly GarpGroup[],
): void {
  const taken = new Map<string, string>();
  for (const i of instances) taken.set(i.interface, `the interface of vrrp_instance \`${i.name}\``);
  for (const g of garpGroups) for (const n of g.interfaces) taken.set(n, 'an interface of a garp_group');
  for (const i of instances) {
    const vm = i.useVmac;
    if (!vm || vm.name === '') continue;
    const other = taken.get(vm.name);
    if (other)
      ctx.diags.error(
        i.loc,
        `vrrp_instance \`${i.name}\`: VMAC name ${vm.name} is already ${other}`,
        'use_vmac',
      );
    taken.set(vm.name, `the VMAC of vrrp_instance \`${i.name}\``);
  }
  for (const i of instances) {
    const vm = i.useVmac;
    if (!vm || vm.name !== '') continue;
    for (const name of candidateNames(i.vrid, i.family)) {
      if (taken.has(name)) continue;
      vm.name = name;
      taken.set(name, `the VMAC of vrrp_instance \`${i.name}\``);
      break;
    }
  }
}
