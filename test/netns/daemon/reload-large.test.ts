// SPDX-License-Identifier: Apache-2.0
/**
 * The reload of a file past what the supervisor validates in its own process (validate-here.ts:
 * 256 KiB), end to end under `lvsd run`: the validating child started ahead waits for it, writes
 * model.json and model.vrrp.json beside the running ones and the supervisor renames them into
 * place (validate-config.ts `filesDir`); the VRRP worker applies the change. A refused large file,
 * and the supervisor's next start, leave no pending model file in the run directory.
 * Needs root (namespaces, raw sockets); CI runs as root. Namespaces use a unique prefix and are
 * deleted in teardown even on failure.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { createLab, repoRoot, waitFor, type Lab, type LabNode } from '../harness.js';
import { processesWith, startLvsdRun } from '../supervised.js';
import { processIdle } from '../../fakes/process-idle.js';
import { vrrpConf } from '../vrrp/conf.js';

const run = promisify(execFile);
const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

/** 320 KB of comment lines: the file is large, its model small. */
const padding = Array.from(
  { length: 4000 },
  (_, i) => `# ${String(i).padStart(6, '0')} ${'x'.repeat(70)}`,
).join('\n');

test('a large file reloads through the child started ahead: its model files renamed into place, none left pending', async (t) => {
  const l = await createLab(1);
  labs.push(l);
  const [n1] = l.nodes as [LabNode];
  const vip = `10.${l.net}.0.100`;
  const conf = (p: number, extra = '') =>
    `${padding}\n${vrrpConf(n1, [{ priority: p, version: 3, advertInt: 0.1, vips: [`${vip}/32`] }])}${extra}`;
  const d = startLvsdRun(l, n1, conf(150));
  t.teardown(() => d.proc.kill('SIGTERM'));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const standby = (): number[] =>
    processesWith('--result-wait').filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(d.file);
      } catch {
        return false;
      }
    });
  await waitFor('a validating child waits for the reload', () => standby().length === 1, 10_000);
  const waiting = standby()[0];
  const pending = (): string[] => readdirSync(d.runDir).filter((n) => n.includes('pending'));

  writeFileSync(d.file, conf(170));
  const reload = () =>
    run(process.execPath, [join(repoRoot, 'bin', 'lvsd'), 'reload', '--run-dir', d.runDir]);
  const ok = await reload();
  t.regex(ok.stdout, /worker vrrp: reloaded/);
  await waitFor(
    'the VRRP worker applied it',
    () => /effective priority changed .*from=150 to=170/.test(d.output()),
    5000,
  );
  t.regex(readFileSync(join(d.runDir, 'model.vrrp.json'), 'utf8'), /"priority":170/);
  t.regex(readFileSync(join(d.runDir, 'model.json'), 'utf8'), /"priority":170/);
  t.deepEqual(pending(), [], 'the files were renamed into place');
  // the child that waited answered it (it is gone), and the next one waits
  await waitFor('the next child waits', () => standby().length === 1 && standby()[0] !== waiting, 10_000);

  // an edit a while before the reload: the waiting child read it then (check-config.ts
  // readingAhead) and hands that reading over, reading nothing at the reload
  const next = standby()[0]!;
  await processIdle(next);
  writeFileSync(d.file, conf(175));
  await new Promise((r) => setTimeout(r, 1000));
  await processIdle(next);
  t.regex((await reload()).stdout, /worker vrrp: reloaded/);
  await waitFor(
    'the VRRP worker applied the edit read ahead',
    () => /effective priority changed .*from=170 to=175/.test(d.output()),
    5000,
  );
  t.regex(d.output(), /reloaded.*parsed=ahead:/, 'the reading made while it waited was handed over');
  t.deepEqual(pending(), [], 'the files it wrote ahead were renamed into place');
  await waitFor('the next child waits', () => standby().length === 1 && standby()[0] !== next, 10_000);

  // a large file with an error: refused, the running model and its files as they were
  const before = readFileSync(join(d.runDir, 'model.json'), 'utf8');
  writeFileSync(d.file, conf(180, '\nvrrp_instance BROKEN {\n  priority banana\n}\n'));
  const bad = await reload().then(
    () => undefined,
    (e: { stderr: string }) => e,
  );
  t.regex(bad?.stderr ?? '', /lvsd\.conf:\d+:\d+: error: .*priority/);
  t.is(readFileSync(join(d.runDir, 'model.json'), 'utf8'), before);
  t.deepEqual(pending(), [], 'a refused file leaves no model file');

  // a pending file left by a supervisor that died is swept at the next start
  d.proc.kill('SIGTERM');
  await d.exited();
  writeFileSync(join(d.runDir, 'model.pending-1-1.json'), '{}');
  writeFileSync(d.file, conf(150));
  const again = startLvsdRun(l, n1, conf(150), {}, d.runDir);
  t.teardown(() => again.proc.kill('SIGTERM'));
  await waitFor('lvsd holds the VIP again', () => l.hasAddress(n1, vip), 15_000);
  t.deepEqual(pending(), []);
});
