// SPDX-License-Identifier: Apache-2.0
/**
 * lvsd trackers and notifications on a real pair: a failing `vrrp_script` (negative weight) hands
 * the VIP to the backup and back; a `vrrp_track_file` with weight 0 forces FAULT; `notify` scripts
 * run with keepalived's arguments and the notify FIFO gets keepalived-format lines.
 * Needs root (namespaces, raw sockets); CI runs as root.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, startLvsd, waitFor, type Lab, type LabNode } from '../harness.js';
import { vrrpConf } from './conf.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

test('vrrp_script weight moves mastership; track_file weight 0 forces FAULT; notify scripts and FIFO', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const okFile = join(l.dir, 'ok');
  const trackFile = join(l.dir, 'track');
  const notifyLog = join(l.dir, 'notify.log');
  const fifo = join(l.dir, 'notify.fifo');
  const notifySh = join(l.dir, 'notify.sh');
  writeFileSync(okFile, '');
  writeFileSync(trackFile, '0\n');
  writeFileSync(notifySh, `#!/bin/sh\necho "$*" >> ${notifyLog}\n`);
  chmodSync(notifySh, 0o755);
  await l.exec(n1.ns, ['mkfifo', fifo]);
  const fifoReader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let fifoText = '';
  fifoReader.stdout.on('data', (d: Buffer) => (fifoText += d.toString()));
  t.teardown(() => fifoReader.kill('SIGKILL'));

  const conf1 =
    [
      'vrrp_script chk {',
      `  script "/usr/bin/test -f ${okFile}"`,
      '  interval 0.2',
      '  weight -60',
      '}',
      'vrrp_track_file tf {',
      `  file ${trackFile}`,
      '  weight 0',
      '}',
      '',
    ].join('\n') +
    vrrpConf(
      n1,
      [
        {
          priority: 150,
          version: 3,
          advertInt: 0.1,
          vips: [`${vip}/32`],
          extra: ['track_script {', '  chk', '}', 'track_file {', '  tf', '}', `notify ${notifySh}`],
        },
      ],
      [`vrrp_notify_fifo ${fifo}`],
    );
  const d1 = startLvsd(l, n1, conf1);
  const d2 = startLvsd(
    l,
    n2,
    vrrpConf(n2, [{ priority: 100, version: 3, advertInt: 0.1, vips: [`${vip}/32`] }]),
  );
  const state = async (d: typeof d1) => (await d.stats()).instances[0];

  await waitFor('n1 master', () => l.hasAddress(n1, vip), 8000);
  await waitFor('n2 backup', async () => (await state(d2))?.state === 'backup', 5000);

  rmSync(okFile); // the script now fails: 150 - 60 = 90 < 100
  await waitFor('n2 takes over', () => l.hasAddress(n2, vip), 5000);
  await waitFor('n1 backup at priority 90', async () => {
    const s = await state(d1);
    return s?.state === 'backup' && s.effectivePriority === 90;
  });
  t.false(await l.hasAddress(n1, vip));

  writeFileSync(okFile, ''); // script OK again: 150 preempts
  await waitFor(
    'n1 master again',
    async () => (await l.hasAddress(n1, vip)) && !(await l.hasAddress(n2, vip)),
    5000,
  );

  writeFileSync(trackFile, '1\n'); // weight 0 track file with a non-zero value: FAULT
  await waitFor('n1 fault', async () => (await state(d1))?.state === 'fault', 5000);
  await waitFor('n2 master while n1 is in fault', () => l.hasAddress(n2, vip), 5000);
  t.false(await l.hasAddress(n1, vip));
  writeFileSync(trackFile, '0\n');
  await waitFor('n1 master after the fault clears', async () => (await state(d1))?.state === 'master', 5000);

  await waitFor(
    'notify log',
    () => existsSync(notifyLog) && readFileSync(notifyLog, 'utf8').includes('FAULT'),
    3000,
  );
  const lines = readFileSync(notifyLog, 'utf8');
  t.regex(lines, /^INSTANCE VI_1 MASTER 150$/m, 'notify gets INSTANCE name STATE priority');
  t.regex(lines, /^INSTANCE VI_1 BACKUP 90$/m);
  t.regex(lines, /^INSTANCE VI_1 FAULT \d+$/m);
  await waitFor('FIFO lines', () => fifoText.includes('FAULT'), 3000);
  t.regex(fifoText, /^INSTANCE "VI_1" MASTER 150$/m, 'FIFO line in keepalived format');
  t.regex(fifoText, /^INSTANCE "VI_1" BACKUP 90$/m);
});
