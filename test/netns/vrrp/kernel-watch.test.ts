// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP worker follows the kernel through rtnetlink events (src/vrrp/engine.ts), on real
 * namespaces: a VIP deleted by hand on the master (`ip addr del`) is back at once with a GARP on
 * the bridge while a keepalived backup stays backup; an instance whose interface has no address, or
 * does not exist, at start waits while the other instance becomes master, and starts when the
 * address / interface appears, with no worker restart in between.
 * Needs root (namespaces, raw sockets); CI runs as root. Namespaces use a unique prefix and are
 * deleted in teardown even on failure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import {
  createLab,
  sleep,
  sniff,
  startKeepalived,
  startLvsd,
  waitFor,
  type Lab,
  type LabNode,
} from '../harness.js';
import { vrrpConf } from './conf.js';

const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

test('ip addr del of a VIP on an lvsd master: added back with a GARP within one advert interval; the keepalived backup stays backup', async (t) => {
  const l = await createLab(2);
  labs.push(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const inst = (p: number) => [{ priority: p, version: 3 as const, advertInt: 0.1, vips: [`${vip}/32`] }];
  const d1 = startLvsd(l, n1, vrrpConf(n1, inst(150)));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 10_000);
  const ka = startKeepalived(l, n2, vrrpConf(n2, inst(100)));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  await sleep(600); // past keepalived's Master_Down_Interval: it has heard lvsd
  const sn = await sniff(l);
  t.teardown(() => sn.stop());
  const kaBefore = ka.output().length;
  const deletedAt = Date.now();
  await l.exec(n1.ns, ['ip', 'addr', 'del', `${vip}/32`, 'dev', 'eth0']);
  const garp = await waitFor(
    'GARP for the VIP',
    () =>
      sn.frames.find((f) => f.kind === 'arp' && f.target === vip && f.srcMac === n1.mac && f.ts >= deletedAt),
    5000,
  );
  t.log(`GARP ${garp.ts - deletedAt} ms after ip addr del`);
  t.true(garp.ts - deletedAt <= 100, 'within one advert interval (100 ms)');
  t.true(await l.hasAddress(n1, vip));
  const s = (await d1.stats()) as unknown as { instances: Array<{ state: string; vipsRestored: number }> };
  t.is(s.instances[0]?.state, 'master');
  t.is(s.instances[0]?.vipsRestored, 1);
  t.regex(d1.output(), /VIP removed from outside while MASTER: adding it back/);
  t.false(
    /Entering MASTER STATE/.test(ka.output().slice(kaBefore)),
    `the keepalived backup did not become master:\n${ka.output()}`,
  );
});

test('boot order: instances on an interface without an address, or missing, wait while the other becomes master; they start when it appears, without a worker restart', async (t) => {
  const l = await createLab(1);
  labs.push(l);
  const [n1] = l.nodes as [LabNode];
  // veth pairs stand for the extra interfaces (this kernel has no dummy module)
  const addLink = async (name: string): Promise<void> => {
    await l.exec(n1.ns, ['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
    await l.exec(n1.ns, ['ip', 'link', 'set', `${name}p`, 'up']);
  };
  await addLink('dum0');
  await l.exec(n1.ns, ['ip', 'link', 'set', 'dum0', 'up']);
  const conf = [
    vrrpConf(n1, [{ priority: 100, version: 3, advertInt: 0.1, vips: [`10.${l.net}.0.100/32`] }]),
    'vrrp_instance VI_DUM0 {\n  interface dum0\n  virtual_router_id 60\n  priority 100\n  version 3\n  advert_int 0.1\n  virtual_ipaddress {\n    192.168.60.100/32\n  }\n}\n',
    'vrrp_instance VI_DUM1 {\n  interface dum1\n  virtual_router_id 61\n  priority 100\n  version 3\n  advert_int 0.1\n  virtual_ipaddress {\n    192.168.61.100/32\n  }\n}\n',
  ].join('\n');
  const d = startLvsd(l, n1, conf);
  await waitFor('VI_1 holds its VIP', () => l.hasAddress(n1, `10.${l.net}.0.100`), 10_000);
  const pid = readFileSync(join(d.runDir, 'vrrp.pid'), 'utf8');
  t.regex(d.output(), /instance waits.*VI_DUM0.*no usable inet source address on dum0.*lvsd\.conf:\d+/);
  t.regex(d.output(), /instance waits.*VI_DUM1.*interface dum1 does not exist/);
  const stats = async () =>
    (await d.stats()) as unknown as { instances: Array<{ name: string; state: string }> };
  t.deepEqual(
    (await stats()).instances.map((i) => `${i.name} ${i.state}`),
    ['VI_1 master'],
  );

  let since = Date.now();
  await l.exec(n1.ns, ['ip', 'addr', 'add', '192.168.60.2/24', 'dev', 'dum0']);
  await waitFor(
    'VI_DUM0 holds its VIP',
    () =>
      l
        .exec(n1.ns, ['ip', '-o', 'addr', 'show', 'dev', 'dum0'])
        .then((r) => r.stdout.includes('192.168.60.100')),
    5000,
  );
  t.log(`VI_DUM0 master ${Date.now() - since} ms after its address appeared`);

  since = Date.now();
  await addLink('dum1');
  await l.exec(n1.ns, ['ip', 'addr', 'add', '192.168.61.2/24', 'dev', 'dum1']);
  await l.exec(n1.ns, ['ip', 'link', 'set', 'dum1', 'up']);
  await waitFor(
    'VI_DUM1 holds its VIP',
    () =>
      l
        .exec(n1.ns, ['ip', '-o', 'addr', 'show', 'dev', 'dum1'])
        .then((r) => r.stdout.includes('192.168.61.100')),
    5000,
  );
  t.log(`VI_DUM1 master ${Date.now() - since} ms after its interface appeared`);
  t.deepEqual((await stats()).instances.map((i) => `${i.name} ${i.state}`).sort(), [
    'VI_1 master',
    'VI_DUM0 master',
    'VI_DUM1 master',
  ]);
  t.is(readFileSync(join(d.runDir, 'vrrp.pid'), 'utf8'), pid, 'the same worker process throughout');
  t.is(d.proc.exitCode, null);
});
