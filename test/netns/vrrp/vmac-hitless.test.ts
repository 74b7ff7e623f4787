// SPDX-License-Identifier: Apache-2.0
/**
 * Hitless restart (SIGQUIT, then a new `lvsd run` on the same run directory) of a MASTER whose VIP
 * lives on a VMAC, against a keepalived 2.2.7 backup: the VMAC stays (same ifindex), the VIP stays
 * on it, the new process adopts it and advertises from the virtual MAC before keepalived's
 * Master_Down_Interval ends (keepalived never becomes MASTER), and a plain stop afterwards deletes
 * the VMAC and puts back the parent's arp_ignore/arp_filter as they were before the first process
 * (the handoff carries them). Needs root and keepalived. About 15 s.
 */
import test from 'ava';
import { createLab, sniff, startKeepalived, waitFor, type Lab, type LabNode } from '../harness.js';
import { startLvsdRun } from '../supervised.js';
import { vrrpConf } from './conf.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

const VMAC_MAC = '00:00:5e:00:01:33';

test('hitless restart with use_vmac: the VMAC and its VIP stay, the successor adopts them (keepalived stays BACKUP); a plain stop removes the VMAC and restores the parent', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const sh = async (...argv: string[]): Promise<string> =>
    (await l.exec(n1.ns, argv, { allowFail: true })).stdout.trim();
  const vmacIndex = async (): Promise<number | undefined> =>
    (JSON.parse((await sh('ip', '-j', 'link', 'show', 'vrrp.51')) || '[]') as Array<{ ifindex: number }>)[0]
      ?.ifindex;
  const parent = async (): Promise<string> =>
    `${await sh('cat', '/proc/sys/net/ipv4/conf/eth0/arp_ignore')}/${await sh('cat', '/proc/sys/net/ipv4/conf/eth0/arp_filter')}`;
  const vipOnVmac = async (): Promise<boolean> =>
    (await sh('ip', '-o', 'addr', 'show', 'dev', 'vrrp.51')).includes(`${vip}/`);
  const conf = (n: LabNode, priority: number, extra: string[]) =>
    vrrpConf(n, [{ priority, version: 2, advertInt: 1, vips: [`${vip}/24`], extra }]);

  await sh('sysctl', '-qw', 'net.ipv4.conf.eth0.arp_ignore=0', 'net.ipv4.conf.eth0.arp_filter=0');
  const first = startLvsdRun(l, n1, conf(n1, 150, ['use_vmac']));
  t.teardown(() => first.proc.kill('SIGTERM'));
  await waitFor('lvsd holds the VIP on vrrp.51', vipOnVmac, 15_000);
  const ifindex = await vmacIndex();
  t.is(await parent(), '1/1', 'the parent set for the VMAC');
  const ka = startKeepalived(l, n2, conf(n2, 100, []));
  t.teardown(() => ka.kill('SIGTERM'));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  const kaBefore = ka.output().length;
  const sn = await sniff(l);
  t.teardown(() => sn.stop());

  const quitAt = Date.now();
  first.proc.kill('SIGQUIT');
  t.is(await first.exited(), 0);
  t.true(await vipOnVmac(), 'the VIP stays on the VMAC');
  t.is(await vmacIndex(), ifindex, 'the VMAC stays');
  const second = startLvsdRun(l, n1, conf(n1, 150, ['use_vmac']), {}, first.runDir);
  t.teardown(() => second.proc.kill('SIGTERM'));
  const fromVmac = () =>
    sn.frames.filter(
      (f) => f.kind === 'vrrp4' && f.srcMac === VMAC_MAC && f.ts > quitAt && f.priority === 150,
    );
  // four adverts at advert_int 1 outlast keepalived's Master_Down_Interval (3.6 s at priority 100)
  await waitFor('the new process advertises from the VMAC', () => fromVmac().length >= 4, 15_000);
  const resumedAt = fromVmac()[0]?.ts ?? 0;
  t.log(`advert gap over the restart: ${resumedAt - quitAt} ms`);
  t.regex(second.output(), /adopting the MASTER state and VIPs of the previous process/);
  t.false(
    sn.frames.some((f) => f.kind === 'vrrp4' && f.priority === 0 && f.ts >= quitAt),
    'no priority-0 advert',
  );
  t.false(
    /Entering MASTER STATE/.test(ka.output().slice(kaBefore)),
    `keepalived stayed backup:\n${ka.output()}`,
  );
  t.is(await vmacIndex(), ifindex, 'taken over, not made again');
  t.true(await vipOnVmac());

  second.proc.kill('SIGTERM');
  t.is(await second.exited(), 0);
  t.is(await vmacIndex(), undefined, 'the VMAC deleted');
  t.is(await parent(), '0/0', 'the parent as it was before the first process');
  await waitFor('keepalived takes over', () => l.hasAddress(n2, vip), 5000);
});
