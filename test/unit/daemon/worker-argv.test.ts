// SPDX-License-Identifier: Apache-2.0
// A worker's command line is built by the supervisor and read back without commander (cold start):
// every line the supervisor can build reads back as what it was built from, through the same specs
// it forks; anything else is left to commander (undefined), whose usage errors operators see.
import test from 'ava';
import fc from 'fast-check';
import { awaitModelFlag, readWorkerArgv, workerBaseArgs } from '../../../src/daemon/worker-argv.js';
import { lvsWorker, vrrpWorker } from '../../../src/daemon/worker-specs.js';
import { vrrpModelFile } from '../../../src/daemon/model-paths.js';

const path = fc.stringMatching(/^\/[A-Za-z0-9._/ -]{0,40}$/);
const id = fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), { nil: undefined });

test('every worker line the supervisor builds reads back as what it was built from', (t) => {
  fc.assert(
    fc.property(
      path,
      id,
      fc.boolean(),
      path,
      fc.boolean(),
      (configFile, configId, realtime, model, early) => {
        const base = workerBaseArgs({ configFile, configId, realtime }, model);
        for (const spec of [vrrpWorker(base), lvsWorker(base)]) {
          const [cmd, ...rest] = early ? [...spec.args, awaitModelFlag] : spec.args;
          t.is(cmd, 'run');
          t.deepEqual(readWorkerArgv(rest), {
            configFile,
            configId,
            realtime,
            modelFile: spec.name === 'vrrp' ? vrrpModelFile(model) : model,
            role: spec.name,
            awaitModel: early,
          });
        }
      },
    ),
  );
});

test('anything but a worker line is left to commander', (t) => {
  const ok = ['-f', '/etc/lvsd/lvsd.conf', '--model', '/run/lvsd/model.json', '--check-only'];
  t.like(readWorkerArgv(ok), { role: 'lvs' });
  for (const args of [
    [], // the supervisor: `lvsd run`
    ['-f', '/etc/lvsd/lvsd.conf'],
    ['--vrrp-only', '-f', '/etc/lvsd/lvsd.conf'], // an operator's single worker: no model
    ['-f', '/etc/lvsd/lvsd.conf', '--model', '/m', '--vrrp-only', '--check-only'],
    ['-f', '/etc/lvsd/lvsd.conf', '--model', '/m'],
    [...ok, '--help'],
    [...ok, '--lenient'],
    [...ok, '--metrics', '127.0.0.1:9100'],
    [...ok, '--run-dir', '/tmp/x'],
    [...ok, 'extra'],
    [...ok, '--model'],
    [...ok, '--bogus'],
  ])
    t.is(readWorkerArgv(args), undefined, args.join(' '));
});
