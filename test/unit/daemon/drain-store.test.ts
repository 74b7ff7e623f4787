// SPDX-License-Identifier: Apache-2.0
/** Drains kept across restarts: the file store, and a manager started with drains already saved. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CheckManager } from '../../../src/check/manager.js';
import type { Logger, LogFields } from '../../../src/core/log.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { defaultDrainPath, fileDrainStore } from '../../../src/daemon/drain-store.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { fakeManagerOptions, kernelDests } from '../check/manager-fixtures.js';
import { real, vs } from '../check/spec-fixtures.js';

function recorder(): { log: Logger; warnings: Array<[string, LogFields | undefined]> } {
  const warnings: Array<[string, LogFields | undefined]> = [];
  const log: Logger = { ...silentLogger, warn: (m, f) => warnings.push([m, f]), child: () => log };
  return { log, warnings };
}

test('the store round-trips, starts empty without a file and ignores (with a warning) a damaged one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-drains-'));
  try {
    const path = join(dir, 'sub', 'drains.json');
    const { log, warnings } = recorder();
    const store = fileDrainStore(path, log);
    t.deepEqual(store.load(), []);
    t.is(warnings.length, 0, 'no file is normal');
    store.save(['b', 'a']);
    t.deepEqual(store.load(), ['a', 'b']);
    t.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, drained: ['a', 'b'] });
    writeFileSync(path, '{"version": 1, "drained": [1]}');
    t.deepEqual(store.load(), []);
    t.is(warnings[0]?.[0], 'drain state unreadable; starting without drains');
    t.is(defaultDrainPath({}), '/var/lib/lvsd/drains.json');
    t.is(defaultDrainPath({ LVSD_STATE_DIR: '/x' }), '/x/drains.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a drain saved by one manager applies from the first sync of the next one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-drains-'));
  try {
    const path = join(dir, 'drains.json');
    const spec = { virtualServers: [vs([real(1), real(2)])], notifyFifos: [] };
    const make = (kernel: FakeIpvsKernel): CheckManager => {
      return new CheckManager(
        fakeManagerOptions(new FakeClock(), kernel, { drains: fileDrainStore(path, silentLogger) }),
      );
    };
    const k1 = new FakeIpvsKernel([]);
    const first = make(k1);
    await first.start(spec);
    await first.setDrain('192.0.2.1:80', '10.0.0.2:80', true);
    t.deepEqual(kernelDests(k1), ['10.0.0.1:1', '10.0.0.2:0']);
    await first.stop({ keepIpvs: true });
    const k2 = new FakeIpvsKernel([]);
    const second = make(k2);
    await second.start(spec);
    t.deepEqual(kernelDests(k2), ['10.0.0.1:1', '10.0.0.2:0'], 'still drained after the restart');
    await second.setDrain('192.0.2.1:80', '10.0.0.2:80', false);
    t.deepEqual(kernelDests(k2), ['10.0.0.1:1', '10.0.0.2:1']);
    t.deepEqual(fileDrainStore(path, silentLogger).load(), []);
    await second.stop({ keepIpvs: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
