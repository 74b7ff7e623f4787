// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd reload --dry-run` against a running `lvsd run` in a network namespace: the preview of an
 * edited file names what a reload will do (an instance kept with a new VIP and priority, one added,
 * one removed), changes nothing, and a reload then does exactly that (the same plan comes back);
 * a broken file is refused by the preview with its located error. Needs root (namespaces).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { createLab, repoRoot, waitFor, type Lab, type LabNode } from '../harness.js';
import { startLvsdRun } from '../supervised.js';
import { vrrpConf } from '../vrrp/conf.js';

const run = promisify(execFile);
let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

interface Outcome {
  ok: boolean;
  dryRun: boolean;
  workers: Array<{ worker: string; ok: boolean; summary?: { vrrp?: Record<string, unknown> } }>;
}

async function reload(
  runDir: string,
  ...args: string[]
): Promise<{ code: number; out: Outcome | undefined; stderr: string }> {
  return run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'reload',
    '--json',
    '--run-dir',
    runDir,
    ...args,
  ]).then(
    (r) => ({ code: 0, out: JSON.parse(r.stdout) as Outcome, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      out: e.stdout ? (JSON.parse(e.stdout) as Outcome) : undefined,
      stderr: e.stderr,
    }),
  );
}

test('reload --dry-run shows what a reload will do, changes nothing, and the reload then does exactly that', async (t) => {
  lab = await createLab(1);
  const l = lab;
  const [n1] = l.nodes as [LabNode];
  const v = (i: number) => `10.${l.net}.0.${i}/32`;
  const before = vrrpConf(n1, [
    { name: 'VI_1', vrid: 51, priority: 150, version: 3, advertInt: 0.1, vips: [v(100)] },
    { name: 'VI_2', vrid: 52, priority: 150, version: 3, advertInt: 0.1, vips: [v(102)] },
  ]);
  const after = vrrpConf(n1, [
    { name: 'VI_1', vrid: 51, priority: 160, version: 3, advertInt: 0.1, vips: [v(100), v(101)] },
    { name: 'VI_3', vrid: 53, priority: 150, version: 3, advertInt: 0.1, vips: [v(103)] },
  ]);
  const d = startLvsdRun(l, n1, before);
  await waitFor(
    'both instances hold their VIPs',
    async () => (await l.hasAddress(n1, `10.${l.net}.0.100`)) && l.hasAddress(n1, `10.${l.net}.0.102`),
    15_000,
  );

  // a preview of another file: refused with its located error
  const broken = join(d.runDir, 'broken.conf');
  writeFileSync(broken, `${after}vrrp_instance VI_9 {\n  priority banana\n}\n`);
  const bad = await reload(d.runDir, '--dry-run', '-f', broken);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /broken\.conf:\d+:\d+: error: .*priority/);

  writeFileSync(d.file, after);
  const preview = await reload(d.runDir, '--dry-run');
  t.is(preview.code, 0, preview.stderr);
  t.true(preview.out?.dryRun);
  const planned = preview.out?.workers.find((w) => w.worker === 'vrrp')?.summary?.vrrp;
  t.like(planned, { carried: ['VI_1'], added: ['VI_3'], removed: ['VI_2'], replaced: [] });
  t.like(planned, { changes: { VI_1: { vipsAdded: [`${v(101)} dev eth0`], settings: ['priority'] } } });
  t.false(await l.hasAddress(n1, `10.${l.net}.0.101`), 'the preview applied nothing');
  t.true(await l.hasAddress(n1, `10.${l.net}.0.102`), 'the preview applied nothing');

  const applied = await reload(d.runDir);
  t.is(applied.code, 0, applied.stderr);
  t.deepEqual(
    applied.out?.workers.find((w) => w.worker === 'vrrp')?.summary?.vrrp,
    planned,
    'the reload did what the preview said',
  );
  await waitFor(
    'the new VIPs',
    async () => (await l.hasAddress(n1, `10.${l.net}.0.101`)) && l.hasAddress(n1, `10.${l.net}.0.103`),
    5000,
  );
  await waitFor(
    'the removed instance released its VIP',
    async () => !(await l.hasAddress(n1, `10.${l.net}.0.102`)),
    5000,
  );
  const text = await run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'reload',
    '--dry-run',
    '--run-dir',
    d.runDir,
  ]);
  t.regex(text.stdout, /unchanged: VI_1, VI_3/);
  t.regex(text.stdout, /dry run: nothing was applied/);
});
