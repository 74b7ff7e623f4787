// SPDX-License-Identifier: Apache-2.0
// VM smoke test (root, inside scripts/ipvs-vm.sh): the real ip_vs module is loaded and every
// scheduler ipvsadm knows resolves, checked by creating one service per scheduler and reading back.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createNetns } from './helpers/netns.js';

const schedulers = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

test('ip_vs and every scheduler module are loaded', (t) => {
  const mods = new Set(
    readFileSync('/proc/modules', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[0]),
  );
  t.true(mods.has('ip_vs'), 'ip_vs module loaded');
  t.deepEqual(
    schedulers.filter((s) => !mods.has(`ip_vs_${s}`)),
    [],
    'scheduler modules missing',
  );
});

test('a service per scheduler is accepted and read back by ipvsadm', async (t) => {
  const ns = createNetns('smk');
  t.teardown(() => ns.close());
  const rules = schedulers.map((s, i) => `-A -t 10.0.0.1:${1000 + i} -s ${s}`).join('\n') + '\n';
  await ns.ipvsadmRestore(rules);
  const saved = await ns.ipvsadm('-Sn');
  t.is(saved, rules);
  t.regex(await ns.ipvsadm('-Ln'), /^IP Virtual Server version 1\.2\.1 \(size=\d+\)$/m);
});
