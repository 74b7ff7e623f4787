// SPDX-License-Identifier: Apache-2.0
// The workers the supervisor forks read the model it validated: the LVS worker the whole model, the
// VRRP worker its view without real servers (a large table would pause its timers on every reload).
import test from 'ava';
import { captureIo } from '../../../src/cli/io.js';
import { modelFileIn } from '../../../src/daemon/model-paths.js';
import { lvsWorker, vrrpWorker, workerBaseArgs } from '../../../src/daemon/worker-specs.js';

test('the VRRP worker is given the model’s VRRP view, the LVS worker the whole model', (t) => {
  const base = workerBaseArgs(
    { configFile: '/etc/lvsd/lvsd.conf', configId: 'lvs1', io: captureIo() },
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
