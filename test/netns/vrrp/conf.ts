// SPDX-License-Identifier: Apache-2.0
/** keepalived-syntax VRRP configs for the netns tests (read by both lvsd and keepalived). */
import { createLab, type Lab, type LabNode } from '../harness.js';

export interface InstanceConf {
  name?: string;
  vrid?: number;
  priority: number;
  version: 2 | 3;
  advertInt: number;
  vips: string[];
  state?: 'MASTER' | 'BACKUP';
  nopreempt?: boolean;
  authPass?: string;
  /** With `authPass`: PASS [default] or AH (IPsec AH, IPv4 v2). */
  authType?: 'PASS' | 'AH';
  unicastPeers?: string[];
  unicastSrc?: string;
  v3ChecksumAsV2?: boolean;
  garpMasterDelay?: number;
  extra?: string[];
}

export function vrrpConf(node: LabNode, instances: InstanceConf[], globals: string[] = []): string {
  const lines = ['global_defs {', `  router_id ${node.name}`, ...globals.map((g) => `  ${g}`), '}', ''];
  instances.forEach((i, k) => {
    lines.push(`vrrp_instance ${i.name ?? `VI_${k + 1}`} {`);
    lines.push(`  state ${i.state ?? 'BACKUP'}`, '  interface eth0', `  virtual_router_id ${i.vrid ?? 51}`);
    lines.push(`  priority ${i.priority}`, `  advert_int ${i.advertInt}`, `  version ${i.version}`);
    if (i.nopreempt) lines.push('  nopreempt');
    if (i.v3ChecksumAsV2) lines.push('  v3_checksum_as_v2');
    if (i.garpMasterDelay !== undefined) lines.push(`  garp_master_delay ${i.garpMasterDelay}`);
    if (i.authPass !== undefined)
      lines.push(
        '  authentication {',
        `    auth_type ${i.authType ?? 'PASS'}`,
        `    auth_pass ${i.authPass}`,
        '  }',
      );
    if (i.unicastSrc) lines.push(`  unicast_src_ip ${i.unicastSrc}`);
    if (i.unicastPeers?.length)
      lines.push('  unicast_peer {', ...i.unicastPeers.map((p) => `    ${p}`), '  }');
    for (const e of i.extra ?? []) lines.push(`  ${e}`);
    lines.push('  virtual_ipaddress {', ...i.vips.map((v) => `    ${v}`), '  }', '}', '');
  });
  return lines.join('\n');
}

/** Two nodes on one link (the lab pushed on `labs`, to destroy), one VRRPv3 VIP, a config per node and priority. */
export interface VipPair {
  l: Lab;
  n1: LabNode;
  n2: LabNode;
  vip: string;
  conf: (n: LabNode, priority: number) => string;
}

export async function vipPair(labs: Lab[], advertInt: number): Promise<VipPair> {
  const l = await createLab(2);
  labs.push(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const conf = (n: LabNode, priority: number): string =>
    vrrpConf(n, [{ priority, version: 3, advertInt, vips: [`${vip}/32`] }]);
  return { l, n1, n2, vip, conf };
}
