// SPDX-License-Identifier: Apache-2.0
// The workers the supervisor forks read the model it validated: the LVS worker the whole model, the
// VRRP worker its view without real servers (a large table would pause its timers on every reload).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { modelFileIn } from '../../../src/daemon/model-paths.js';
import { workerBaseArgs } from '../../../src/daemon/worker-argv.js';
import { forkWorker, lvsWorker, vrrpWorker } from '../../../src/daemon/worker-specs.js';

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

test('the VRRP worker runs with one V8 helper thread; the LVS worker with the defaults', async (t) => {
  const base = workerBaseArgs({ configFile: '/etc/lvsd/lvsd.conf', configId: undefined }, '/m');
  t.deepEqual(vrrpWorker(base).nodeFlags, ['--v8-pool-size=1']);
  t.is(lvsWorker(base).nodeFlags, undefined);
  // forked for real: the flag reaches the child's runtime
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'child.mjs');
  writeFileSync(script, 'process.send(process.execArgv, () => process.exit(0));\n');
  const child = forkWorker({ modulePath: script, args: [], nodeFlags: vrrpWorker(base).nodeFlags ?? [] });
  const execArgv = await new Promise((resolve) => child.once('message', resolve));
  t.true((execArgv as string[]).includes('--v8-pool-size=1'), String(execArgv));
});
