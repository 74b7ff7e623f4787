// SPDX-License-Identifier: Apache-2.0
// The workers the supervisor forks read the model it validated: the LVS worker the whole model, the
// VRRP worker its view without real servers (a large table would pause its timers on every reload).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { modelFileIn } from '../../../src/daemon/model-paths.js';
import { workerBaseArgs } from '../../../src/daemon/worker-argv.js';
import { forkWorker, lvsWorker, lvsWorkerNodeFlags, vrrpWorker } from '../../../src/daemon/worker-specs.js';

test('the VRRP worker is given the model’s VRRP view, the LVS worker the whole model', (t) => {
  const base = workerBaseArgs(
    { configFile: '/etc/lvsd/lvsd.conf', configId: 'lvs1' },
    modelFileIn('/run/lvsd'),
  );
  t.deepEqual(vrrpWorker(base).args, [
    'run',
    '-f',
    '/etc/lvsd/lvsd.conf',
    '--config-id',
    'lvs1',
    '--model',
    '/run/lvsd/model.vrrp.json',
    '--vrrp-only',
  ]);
  t.deepEqual(lvsWorker(base).args.slice(-3), ['--model', '/run/lvsd/model.json', '--check-only']);
});

test('the VRRP worker runs with one V8 helper thread; the LVS worker with one too, its young generation held small', async (t) => {
  const base = workerBaseArgs({ configFile: '/etc/lvsd/lvsd.conf', configId: undefined }, '/m');
  t.deepEqual(vrrpWorker(base).nodeFlags, ['--v8-pool-size=1']);
  t.deepEqual(lvsWorker(base).nodeFlags, lvsWorkerNodeFlags);
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // forked for real: the flags reach the child's runtime, and hold its young generation where a
  // default runtime grows it (32 MB on Node 20, 64 on Node 24) while it reads a large model
  const script = join(dir, 'child.mjs');
  writeFileSync(
    script,
    [
      "import { getHeapSpaceStatistics } from 'node:v8';",
      'const kept = [];',
      'for (let i = 0; i < 400000; i++) kept.push({ address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, port: i & 65535, checks: [i] });',
      "const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? -1;",
      'process.send({ execArgv: process.execArgv, young, kept: kept.length }, () => process.exit(0));',
      '',
    ].join('\n'),
  );
  const run = (nodeFlags: readonly string[]): Promise<{ execArgv: string[]; young: number }> => {
    const child = forkWorker({ modulePath: script, args: [], nodeFlags });
    return new Promise((resolve) => child.once('message', resolve));
  };
  const vrrp = await run(vrrpWorker(base).nodeFlags ?? []);
  t.true(vrrp.execArgv.includes('--v8-pool-size=1'), String(vrrp.execArgv));
  const lvs = await run(lvsWorker(base).nodeFlags ?? []);
  for (const flag of lvsWorkerNodeFlags)
    t.true(lvs.execArgv.includes(flag), `${flag}: ${String(lvs.execArgv)}`);
  // each thread that allocates keeps a malloc arena: one helper, not Node's four
  t.true(lvs.execArgv.includes('--v8-pool-size=1'), String(lvs.execArgv));
  const mb = 2 ** 20;
  t.true(lvs.young > 0 && lvs.young <= 8 * mb, `LVS worker: young generation ${lvs.young / mb} MB`);
  t.true(
    vrrp.young > 16 * mb,
    `default: young generation ${vrrp.young / mb} MB (the comparison's other side)`,
  );
});
