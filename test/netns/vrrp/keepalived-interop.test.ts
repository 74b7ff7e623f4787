// SPDX-License-Identifier: Apache-2.0
/**
 * Interop with the real keepalived (Debian package, `keepalived -n -l --vrrp` in a namespace):
 * for each protocol variant (multicast and unicast peers; v2 without authentication, with PASS), lvsd master + keepalived backup and the reverse (in two labs at once): elect, fail
 * over on SIGKILL of the master, hand back when the higher-priority node returns.
 * Needs root and keepalived (scripts/ensure-test-deps.sh netns installs it); CI runs as root.
 */
import test from 'ava';
import {
  createLab,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Lab,
  type LabNode,
} from '../harness.js';
import { vrrpConf, type InstanceConf } from './conf.js';

const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

interface Variant {
  version: 2 | 3;
  family: 'inet' | 'inet6';
  advertInt: number;
  /** lvsd side only: keepalived 2.2.7 has no `v3_checksum_as_v2` keyword. */
  lvsdChecksumAsV2?: boolean;
  /** v2 `authentication`: PASS or AH (IPsec AH, HMAC-MD5-96), the same password on both nodes. */
  auth?: 'PASS' | 'AH';
  /** Unicast peers (each node names the other) instead of multicast. */
  unicast?: boolean;
}

function vipOf(l: Lab, v: Variant): string {
  return v.family === 'inet' ? `10.${l.net}.0.100` : `fd00:${l.net}::100`;
}

function inst(
  l: Lab,
  v: Variant,
  priority: number,
  lvsd: boolean,
  self: LabNode,
  peer: LabNode,
): InstanceConf[] {
  const vip = vipOf(l, v);
  const addr = (n: LabNode): string => (v.family === 'inet' ? n.ipv4 : n.ipv6);
  return [
    {
      priority,
      version: v.version,
      advertInt: v.advertInt,
      vips: [v.family === 'inet' ? `${vip}/32` : `${vip}/128`],
      ...(lvsd && v.lvsdChecksumAsV2 ? { v3ChecksumAsV2: true } : {}),
      ...(v.auth ? { authType: v.auth, authPass: 'mig8pw9x' } : {}),
      ...(v.unicast ? { unicastPeers: [addr(peer)], unicastSrc: addr(self) } : {}),
    },
  ];
}

/** Start the higher-priority node (150) as `hi` and the other (100) as `lo`; run the three phases. */
async function scenario(v: Variant, hiIsLvsd: boolean): Promise<string[]> {
  const l = await createLab(2);
  labs.push(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = vipOf(l, v);
  const mdi = (3 + 0.5) * v.advertInt * 1000 + 2000;
  const start = (
    node: LabNode,
    prio: number,
    isLvsd: boolean,
  ): Daemon & { killHard?: () => Promise<void> } => {
    const peer = node === n1 ? n2 : n1;
    return isLvsd
      ? startLvsd(l, node, vrrpConf(node, inst(l, v, prio, true, node, peer)))
      : startKeepalived(l, node, vrrpConf(node, inst(l, v, prio, false, node, peer)));
  };
  const log: string[] = [];
  let hi = start(n1, 150, hiIsLvsd);
  const lo = start(n2, 100, !hiIsLvsd);
  try {
    await waitFor('hi node master', () => l.hasAddress(n1, vip), mdi + 3000);
    // the lower node must stay backup for a few intervals (it would hold the VIP if it did not hear us)
    await new Promise((r) => setTimeout(r, v.advertInt * 4000));
    if (await l.hasAddress(n2, vip)) throw new Error('both nodes hold the VIP: adverts not understood');
    log.push('elected');
    if (hi.killHard) await hi.killHard();
    else {
      hi.kill('SIGKILL');
      await hi.exited();
    }
    await waitFor('lo node master after SIGKILL', () => l.hasAddress(n2, vip), mdi + 3000);
    log.push('failed over');
    // the killed node may leave its VIP behind (lvsd removes it at restart; keepalived too)
    hi = start(n1, 150, hiIsLvsd);
    await waitFor(
      'hand back',
      async () => (await l.hasAddress(n1, vip)) && !(await l.hasAddress(n2, vip)),
      mdi + 3000,
    );
    log.push('handed back');
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n--- n1:\n${hi.output().slice(-3000)}\n--- n2:\n${lo.output().slice(-3000)}`,
    );
  } finally {
    await l.destroy();
  }
  return log;
}

const variants: [string, Variant][] = [
  ['v3 IPv4 (pseudo-header checksum)', { version: 3, family: 'inet', advertInt: 0.1 }],
  ['v3 IPv6', { version: 3, family: 'inet6', advertInt: 0.1 }],
  ['v2 IPv4', { version: 2, family: 'inet', advertInt: 1 }],
  ['v2 IPv4 PASS', { version: 2, family: 'inet', advertInt: 1, auth: 'PASS' }],
  ['v2 IPv4 unicast PASS', { version: 2, family: 'inet', advertInt: 1, auth: 'PASS', unicast: true }],
  ['v3 IPv4 unicast', { version: 3, family: 'inet', advertInt: 0.1, unicast: true }],
  ['v3 IPv6 unicast', { version: 3, family: 'inet6', advertInt: 0.1, unicast: true }],
];

// keepalived 2.2.7 (Debian 12) has no `v3_checksum_as_v2` and rejects such adverts ("Invalid VRRPv3
// checksum"), so with it only one direction can be shown: lvsd configured with v3_checksum_as_v2
// (sending checksums without the pseudo-header) as the backup accepts keepalived's pseudo-header
// adverts, takes over on SIGKILL, and yields again when keepalived returns (keepalived preempts on
// its own timer, since it cannot read lvsd's adverts).
test('keepalived interop v3 IPv4, lvsd with v3_checksum_as_v2 as backup of keepalived', async (t) => {
  const r = await scenario({ version: 3, family: 'inet', advertInt: 0.1, lvsdChecksumAsV2: true }, false);
  t.deepEqual(r, ['elected', 'failed over', 'handed back']);
});

for (const [name, v] of variants) {
  test(`keepalived interop ${name}: lvsd master + keepalived backup, and the reverse`, async (t) => {
    const [a, b] = await Promise.all([scenario(v, true), scenario(v, false)]);
    t.deepEqual(a, ['elected', 'failed over', 'handed back'], 'lvsd master, keepalived backup');
    t.deepEqual(b, ['elected', 'failed over', 'handed back'], 'keepalived master, lvsd backup');
  });
}
