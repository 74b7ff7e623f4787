// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived parity on the real kernel, lvsd and keepalived (Debian's 2.2.7) each run on the same
 * file in the same lab, one after the other:
 * - `use_vmac`: the VMAC (private macvlan, 00:00:5e:00:01:VRID, addrgenmode none), its sysctls and
 *   its parent's, the VIP on it, the nftables table, adverts and GARPs with the virtual MAC; all gone
 *   on stop (lvsd also restores the parent's arp_ignore/arp_filter, which keepalived 2.2.7 leaves);
 * - `no_accept`: no table while BACKUP; while MASTER the table drops traffic to the VIP (a ping from
 *   the peer node gets no answer), the same table text as keepalived's; `accept` answers;
 * - `unicast_ttl` (the TTL on the wire) and `garp_group` (GARPs paced by its interval).
 * Needs root, keepalived and nft (scripts/ensure-test-deps.sh netns). About 40 s.
 */
import test from 'ava';
import {
  createLab,
  sniff,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Lab,
  type LabNode,
} from '../harness.js';
import { vrrpConf, type InstanceConf } from './conf.js';
import { nftPath } from '../../../src/nft/nft-cli.io.js';

type Kind = 'lvsd' | 'keepalived';
const kinds: Kind[] = ['keepalived', 'lvsd'];

let lab: Lab;
test.before(async () => {
  lab = await createLab(2);
});
test.after.always(async () => {
  await lab.destroy();
});

/** Daemons still running: a failed test stops them, so the next test starts clean. */
const running = new Set<Daemon>();

function start(kind: Kind, node: LabNode, conf: string): Daemon {
  const d = kind === 'lvsd' ? startLvsd(lab, node, conf) : startKeepalived(lab, node, conf);
  running.add(d);
  return d;
}

async function stop(d: Daemon): Promise<void> {
  running.delete(d);
  d.kill('SIGTERM');
  await d.exited();
}

test.afterEach.always(async () => {
  for (const d of [...running]) await stop(d);
});

const sh = async (node: LabNode, ...argv: string[]): Promise<string> =>
  (await lab.exec(node.ns, argv, { allowFail: true })).stdout.trim();

/** `nft list table ip NAME` ('' when there is none). */
const nftTable = (node: LabNode, name = 'keepalived'): Promise<string> =>
  sh(node, nftPath, 'list', 'table', 'ip', name);

const sysctls = (node: LabNode, ifname: string, keys: string[]): Promise<string[]> =>
  Promise.all(keys.map((k) => sh(node, 'cat', `/proc/sys/net/ipv4/conf/${ifname}/${k}`)));

async function withOutput<T>(d: Daemon, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- ${d.node.name}:\n${d.output().slice(-3000)}`);
  }
}

const base = (extra: string[], priority = 100): InstanceConf => ({
  priority,
  version: 3,
  advertInt: 0.1,
  vips: [`10.${lab.net}.0.100/24`],
  extra,
});

test('use_vmac: the same VMAC, sysctls, VIP, table and virtual-MAC frames as keepalived; all removed on stop', async (t) => {
  const [n1] = lab.nodes as [LabNode, LabNode];
  const vip = `10.${lab.net}.0.100`;
  const seen: Record<Kind, unknown> = { keepalived: undefined, lvsd: undefined };
  for (const kind of kinds) {
    await sh(n1, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_ignore=0', 'net.ipv4.conf.eth0.arp_filter=0');
    const sn = await sniff(lab);
    const d = start(kind, n1, vrrpConf(n1, [base(['use_vmac'])]));
    seen[kind] = await withOutput(d, async () => {
      await waitFor(
        `${kind}: VIP on vrrp.51`,
        async () => (await sh(n1, 'ip', '-o', 'addr', 'show', 'dev', 'vrrp.51')).includes(vip),
        8000,
      );
      await waitFor(`${kind}: GARP`, () => sn.frames.some((f) => f.kind === 'arp' && f.target === vip), 5000);
      const link = JSON.parse(await sh(n1, 'ip', '-d', '-j', 'link', 'show', 'vrrp.51')) as Array<
        Record<string, unknown>
      >;
      const l = link[0] ?? {};
      const info = l['linkinfo'] as { info_kind: string; info_data: { mode: string } };
      const out = {
        link: [l['address'], l['link'], info.info_kind, info.info_data.mode, l['inet6_addr_gen_mode']],
        vmac: await sysctls(n1, 'vrrp.51', [
          'arp_ignore',
          'accept_local',
          'rp_filter',
          'promote_secondaries',
        ]),
        ipv6: await sh(n1, 'cat', '/proc/sys/net/ipv6/conf/vrrp.51/disable_ipv6'),
        parent: await sysctls(n1, 'eth0', ['arp_ignore', 'arp_filter']),
        table: await nftTable(n1),
        advertMacs: [...new Set(sn.frames.filter((f) => f.kind === 'vrrp4').map((f) => f.srcMac))],
        garpMacs: [...new Set(sn.frames.filter((f) => f.kind === 'arp').map((f) => f.srcMac))],
      };
      sn.stop();
      await stop(d);
      t.is(await sh(n1, 'ip', '-o', 'link', 'show', 'vrrp.51'), '', `${kind}: VMAC removed`);
      t.is(await nftTable(n1), '', `${kind}: table removed`);
      const parentAfter = await sysctls(n1, 'eth0', ['arp_ignore', 'arp_filter']);
      if (kind === 'lvsd') t.deepEqual(parentAfter, ['0', '0'], 'lvsd restores the parent');
      else t.log(`keepalived 2.2.7 leaves eth0 arp_ignore/arp_filter at ${parentAfter.join('/')}`);
      return out;
    });
  }
  t.like(seen.lvsd, {
    link: ['00:00:5e:00:01:33', 'eth0', 'macvlan', 'private', 'none'],
    vmac: ['1', '1', '0', '1'],
    ipv6: '1',
    parent: ['1', '1'],
    advertMacs: ['00:00:5e:00:01:33'],
    garpMacs: ['00:00:5e:00:01:33'],
  });
  t.deepEqual(seen.lvsd, seen.keepalived);
});

test('no_accept: no table while BACKUP; while MASTER traffic to the VIP is dropped (same table as keepalived); accept answers', async (t) => {
  const [n1, n2] = lab.nodes as [LabNode, LabNode];
  const vip = `10.${lab.net}.0.100`;
  const tables: Record<Kind, string> = { keepalived: '', lvsd: '' };
  const ping = async (): Promise<boolean> =>
    (await lab.exec(n2.ns, ['ping', '-c', '1', '-W', '1', vip], { allowFail: true })).code === 0;
  for (const kind of kinds) {
    // a higher-priority lvsd on n2 keeps n1 BACKUP
    const peer = start('lvsd', n2, vrrpConf(n2, [base([], 200)]));
    await waitFor('peer master', () => lab.hasAddress(n2, vip), 8000);
    const d = start(kind, n1, vrrpConf(n1, [base(['no_accept'])]));
    await withOutput(d, async () => {
      await waitFor(`${kind} BACKUP`, () => /Entering BACKUP/i.test(d.output()), 8000);
      // BACKUP for a few intervals: no table (keepalived makes it on becoming MASTER)
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 100));
        t.is(await nftTable(n1), '', `${kind}: no table while BACKUP`);
      }
      await stop(peer);
      await waitFor(`${kind} master`, () => lab.hasAddress(n1, vip), 8000);
      await waitFor(`${kind} table`, async () => (await nftTable(n1)).includes(vip), 3000);
      tables[kind] = await nftTable(n1);
      t.false(await ping(), `${kind}: traffic to the VIP of a no_accept MASTER is dropped`);
      // the peer returns with priority 200: n1 leaves MASTER and its table goes
      const back = start('lvsd', n2, vrrpConf(n2, [base([], 200)]));
      await waitFor(`${kind} backup again`, async () => !(await lab.hasAddress(n1, vip)), 8000);
      await waitFor(`${kind} drops nothing`, async () => !(await nftTable(n1)).includes(vip), 3000);
      const after = await nftTable(n1);
      // keepalived empties its `vips` set and keeps the table until it stops; lvsd removes it
      if (kind === 'lvsd') t.is(after, '', 'lvsd: no table once nothing is dropped');
      else t.regex(after, /set vips \{\n\s+type ipv4_addr\n\s+\}/, 'keepalived: the set emptied');
      await stop(back);
      await stop(d);
    });
  }
  t.regex(tables.lvsd, /ip daddr @vips drop/);
  t.is(tables.lvsd, tables.keepalived);

  for (const kind of kinds) {
    const d = start(kind, n1, vrrpConf(n1, [base(['accept'])]));
    await withOutput(d, async () => {
      await waitFor(`${kind} master`, () => lab.hasAddress(n1, vip), 8000);
      t.true(await ping(), `${kind}: accept answers`);
      t.is(await nftTable(n1), '', `${kind}: accept needs no table`);
      await stop(d);
    });
  }
});

test('unicast_ttl is the TTL of unicast adverts on the wire; garp_group paces GARPs by its garp_interval', async (t) => {
  const [n1, n2] = lab.nodes as [LabNode, LabNode];
  const vip = `10.${lab.net}.0.100`;
  const conf =
    vrrpConf(n1, [
      {
        ...base(['unicast_ttl 7', 'garp_master_repeat 3', 'garp_master_delay 0']),
        unicastSrc: n1.ipv4,
        unicastPeers: [n2.ipv4],
      },
    ]) + 'garp_group {\n  garp_interval 0.2\n  interface eth0\n}\n';
  for (const kind of kinds) {
    // on n1's bridge port (what n1 sends arrives there): br0 does not see forwarded unicast frames
    const sn = await sniff(lab, n1.port);
    const d = start(kind, n1, conf);
    await withOutput(d, async () => {
      // garp_master_repeat 3: keepalived 2.2.7 keeps one queued GARP per address while pacing (it
      // sends 2), lvsd sends the 3 paced
      const want = kind === 'lvsd' ? 3 : 2;
      await waitFor(
        `${kind}: ${want} GARPs`,
        () => sn.frames.filter((f) => f.kind === 'arp' && f.target === vip).length >= want,
        8000,
      );
      const adverts = sn.frames.filter((f) => f.kind === 'vrrp4' && f.src === n1.ipv4);
      t.true(adverts.length > 0);
      t.true(
        adverts.every((f) => f.ttl === 7),
        `${kind}: TTL ${adverts.map((f) => f.ttl).join(',')}`,
      );
      const garps = sn.frames.filter((f) => f.kind === 'arp' && f.target === vip).map((f) => f.ts);
      // a lower bound only: frames may come later under load, never sooner
      for (let i = 1; i < garps.length; i++)
        t.true((garps[i] ?? 0) - (garps[i - 1] ?? 0) >= 150, `${kind}: GARPs ${garps.join(',')}`);
      sn.stop();
      await stop(d);
    });
  }
});
