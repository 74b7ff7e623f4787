// SPDX-License-Identifier: Apache-2.0
/**
 * An rtnetlink event storm while the VRRP worker cannot read (SIGSTOP: a CPU-starved or paused
 * worker), as an operator would cause it: `ip -batch` adds 20,000 addresses on 20 other interfaces
 * of an lvsd master (`lvsd run`, priority 150) beside a keepalived backup. The worker's
 * event queue overruns. With netlink@0.3.0's socket that aborted the worker (SIGABRT; restarted by the
 * supervisor a second later, its VIP removed and added again); now it logs `rtnetlink events lost`,
 * reads links and addresses again and goes on: the same worker, still master, keepalived never
 * master, and it still follows the kernel (a VIP deleted by hand afterwards is added back). Needs
 * root (namespaces, raw sockets).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { createLab, sleep, startKeepalived, waitFor, type Lab, type LabNode } from '../harness.js';
import { startLvsdRun } from '../supervised.js';
import { vrrpConf } from '../vrrp/conf.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

test('an event storm the paused VRRP worker cannot read: reported and resynced, no restart, no failover', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  // advert_int 3: the pause (2–3 s here) stays well inside keepalived's Master_Down_Interval (9.6 s)
  const conf = (n: LabNode, p: number) =>
    vrrpConf(n, [{ priority: p, version: 3, advertInt: 3, vips: [`${vip}/32`] }]);
  const d = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 30_000);
  const ka = startKeepalived(l, n2, conf(n2, 100));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 15_000);
  const worker = await d.workerPid('vrrp');

  // 20 interfaces, so that the kernel adds the addresses quickly (one interface's list grows slow)
  for (let k = 0; k < 20; k++) {
    await l.exec(n1.ns, ['ip', 'link', 'add', `st${k}a`, 'type', 'veth', 'peer', 'name', `st${k}b`]);
    await l.exec(n1.ns, ['ip', 'link', 'set', `st${k}a`, 'up']);
  }
  const batch = join(l.dir, 'storm');
  writeFileSync(
    batch,
    Array.from(
      { length: 20_000 },
      (_, i) => `addr add 10.250.${i >> 8}.${i & 255}/32 dev st${i % 20}a\n`,
    ).join(''),
  );
  process.kill(worker, 'SIGSTOP');
  try {
    await l.exec(n1.ns, ['ip', '-batch', batch]);
  } finally {
    process.kill(worker, 'SIGCONT');
  }
  await waitFor('the loss is reported', () => /rtnetlink events lost/.test(d.output()), 10_000);
  await sleep(1500);
  t.is(await d.workerPid('vrrp'), worker, 'the same VRRP worker');
  t.notRegex(d.output(), /worker exited|SIGABRT|terminate called/);
  t.true(await l.hasAddress(n1, vip), 'lvsd still holds the VIP');
  t.notRegex(ka.output(), /Entering MASTER STATE/, 'keepalived never took over');

  // it still follows the kernel: a VIP deleted by hand comes back
  await l.exec(n1.ns, ['ip', 'addr', 'del', `${vip}/32`, 'dev', 'eth0']);
  await waitFor('the VIP is added back', () => l.hasAddress(n1, vip), 5_000);
  t.regex(d.output(), /VIP removed from outside while MASTER/);
});
