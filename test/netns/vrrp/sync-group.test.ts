// SPDX-License-Identifier: Apache-2.0
/**
 * vrrp_sync_group on a real pair: two instances per node move together. A weight-0 vrrp_script
 * failing on one member of the master's group puts the whole group in FAULT, so the peer takes
 * both VIPs; the group's FIFO gets `GROUP "G1" ...` lines. Needs root; CI runs as root.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, startLvsd, waitFor, type Lab, type LabNode } from '../harness.js';
import { vrrpConf, type InstanceConf } from './conf.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

test('sync group: a member FAULT takes the whole group out; the peer holds both VIPs', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip1 = `10.${l.net}.0.101`;
  const vip2 = `10.${l.net}.0.102`;
  const okFile = join(l.dir, 'ok');
  writeFileSync(okFile, '');
  const fifo = join(l.dir, 'fifo');
  await l.exec(n1.ns, ['mkfifo', fifo]);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let fifoText = '';
  reader.stdout.on('data', (d: Buffer) => (fifoText += d.toString()));
  t.teardown(() => reader.kill('SIGKILL'));

  const pair = (p: number, withScript: boolean): InstanceConf[] => [
    { name: 'VI_1', vrid: 51, priority: p, version: 3, advertInt: 0.1, vips: [`${vip1}/32`] },
    {
      name: 'VI_2',
      vrid: 52,
      priority: p,
      version: 3,
      advertInt: 0.1,
      vips: [`${vip2}/32`],
      ...(withScript ? { extra: ['track_script {', '  chk weight 0', '}'] } : {}),
    },
  ];
  const group = ['vrrp_sync_group G1 {', '  group {', '    VI_1', '    VI_2', '  }', '}', ''].join('\n');
  const script = [
    'vrrp_script chk {',
    `  script "/usr/bin/test -f ${okFile}"`,
    '  interval 0.2',
    '}',
    '',
  ].join('\n');
  const d1 = startLvsd(l, n1, script + group + vrrpConf(n1, pair(150, true), [`vrrp_notify_fifo ${fifo}`]));
  startLvsd(l, n2, group + vrrpConf(n2, pair(100, false)));

  await waitFor(
    'n1 holds both VIPs',
    async () => (await l.hasAddress(n1, vip1)) && (await l.hasAddress(n1, vip2)),
    8000,
  );
  await waitFor('GROUP master line', () => /^GROUP "G1" MASTER 0$/m.test(fifoText), 3000);
  rmSync(okFile); // VI_2's weight-0 script fails: VI_2 FAULT, and the group drags VI_1 along
  await waitFor(
    'n2 holds both VIPs',
    async () => (await l.hasAddress(n2, vip1)) && (await l.hasAddress(n2, vip2)),
    5000,
  );
  const s = await d1.stats();
  t.deepEqual(
    s.instances.map((i) => [i.name, i.state]),
    [
      ['VI_1', 'fault'],
      ['VI_2', 'fault'],
    ],
  );
  t.false(await l.hasAddress(n1, vip1), 'the healthy member left too');
  await waitFor('GROUP fault line', () => /^GROUP "G1" FAULT 0$/m.test(fifoText), 3000);
  writeFileSync(okFile, '');
  await waitFor(
    'n1 master of both again',
    async () => (await l.hasAddress(n1, vip1)) && (await l.hasAddress(n1, vip2)),
    5000,
  );
});
