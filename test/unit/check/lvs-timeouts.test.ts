// SPDX-License-Identifier: Apache-2.0
// lvs_timeouts as keepalived: the kernel's values kept before the first change, unset ones taken
// from them, put back on a reload without lvs_timeouts and at stop.
import test from 'ava';
import { LvsTimeouts, timeoutsFor } from '../../../src/check/lvs-timeouts.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { silentLogger } from '../../fakes/silent-logger.js';

test('set, reload, restore', async (t) => {
  const k = new FakeIpvsKernel();
  k.extras.timeouts = { tcp: 700, tcpFin: 100, udp: 250 };
  const lt = new LvsTimeouts({ kernel: k, log: silentLogger });
  await lt.apply(undefined);
  t.deepEqual(k.log, [], 'nothing configured: the kernel is not touched');
  await lt.apply({ tcpMs: 1_000_000, udpMs: 200_000 });
  t.deepEqual(k.extras.timeouts, { tcp: 1000, tcpFin: 100, udp: 200 });
  await lt.apply({ tcpFinMs: 30_000 });
  t.deepEqual(k.extras.timeouts, { tcp: 700, tcpFin: 30, udp: 250 }, 'unset ones are the kept originals');
  await lt.apply(undefined);
  t.deepEqual(
    k.extras.timeouts,
    { tcp: 700, tcpFin: 100, udp: 250 },
    'a reload without lvs_timeouts restores',
  );
  await lt.apply({ tcpMs: 5000 });
  await lt.restore();
  t.deepEqual(k.extras.timeouts, { tcp: 700, tcpFin: 100, udp: 250 }, 'stop restores');
  const n = k.log.length;
  await lt.restore();
  t.is(k.log.length, n, 'restoring twice changes nothing');
});

test('timeoutsFor: milliseconds to whole seconds over the originals', (t) => {
  t.deepEqual(timeoutsFor({ tcpMs: 1500 }, { tcp: 900, tcpFin: 120, udp: 300 }), {
    tcp: 2,
    tcpFin: 120,
    udp: 300,
  });
});

test('a successor of a hitless restart restores the originals its predecessor kept', async (t) => {
  const k = new FakeIpvsKernel();
  k.extras.timeouts = { tcp: 700, tcpFin: 100, udp: 250 };
  const before = new LvsTimeouts({ kernel: k, log: silentLogger });
  await before.apply({ tcpMs: 1_000_000 });
  const original = before.original;
  t.deepEqual(original, { tcp: 700, tcpFin: 100, udp: 250 });
  // the predecessor hands over without restoring; the kernel holds lvsd's timeouts
  const after = new LvsTimeouts({ kernel: k, log: silentLogger, ...(original ? { original } : {}) });
  await after.apply({ tcpMs: 2_000_000 });
  t.deepEqual(k.extras.timeouts, { tcp: 2000, tcpFin: 100, udp: 250 });
  await after.restore();
  t.deepEqual(
    k.extras.timeouts,
    { tcp: 700, tcpFin: 100, udp: 250 },
    'the kernel’s own, not the predecessor’s',
  );
  t.is(after.original, undefined);
});
