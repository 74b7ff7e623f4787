// SPDX-License-Identifier: Apache-2.0
// `lvsd drain` / `lvsd undrain` against a real unix control socket whose handler is the BGP VIP
// state (src/bgp/announcements.ts on a fake engine), and `lvsd status` printing the BGP block.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { BgpStatus } from '../../../src/bgp/announcements.js';
import { VipAnnouncements } from '../../../src/bgp/announcements.js';
import type { Vip } from '../../../src/bgp/announcer.js';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { startControlServer } from '../../../src/daemon/control.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';

test('drain withdraws, undrain announces again; status shows the VIP, why, and the sessions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-ddrain-'));
  const routes = new Set<string>();
  const clock = new FakeClock();
  const vips = new VipAnnouncements({
    announcer: {
      announce: (v: Vip) => Promise.resolve(void routes.add(v.address)),
      withdraw: (v: Vip) => Promise.resolve(void routes.delete(v.address)),
      state: () => Promise.resolve([]),
      close() {},
    },
    clock,
    timers: clock,
    logger: silentLogger,
  });
  await vips.start(
    [{ family: 'inet', address: '192.0.2.1', name: '[192.0.2.1]:tcp:80', quorumUp: true }],
    false,
  );
  const status = (): BgpStatus => ({
    table: 100,
    drained: vips.drained,
    vips: vips.status(),
    failures: 0,
    sessions: [{ name: 'uplink', state: 'up', established: true, info: 'Established' }],
  });
  const server = await startControlServer(
    join(dir, 'lvsd.sock'),
    async (req) => {
      if (req.cmd === 'status') return { virtualServers: [], syncs: 0, syncErrors: 0, bgp: status() };
      if (req.cmd !== 'director-drain') return undefined;
      await vips.setDrained(req.drained);
      return status();
    },
    silentLogger,
  );
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const drain = captureIo();
  t.is(await main(['drain', '--run-dir', dir], drain), 0, drain.err);
  t.is(drain.out, 'drained\n  192.0.2.1 withdrawn (drained)\n');
  t.deepEqual([...routes], []);

  const st = captureIo();
  await main(['status', '--run-dir', dir], st);
  t.regex(st.out, /BGP\ntable 100, director DRAINED/);
  t.regex(st.out, /192\.0\.2\.1 +withdrawn +drained +tcp:192\.0\.2\.1:80/);
  t.regex(st.out, /uplink +up +Established/);

  const undrain = captureIo();
  t.is(await main(['undrain', '--socket', join(dir, 'lvsd.sock')], undrain), 0, undrain.err);
  t.is(undrain.out, 'undrained\n  192.0.2.1 announced\n');
  t.deepEqual([...routes], ['192.0.2.1']);
});

test("drain where nothing is announced over BGP: exit 1 with the worker's reason", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-ddrain-'));
  const server = await startControlServer(
    join(dir, 'lvsd.sock'),
    () => Promise.reject(new Error('this director announces nothing over BGP (no lvsd_bgp_table)')),
    silentLogger,
  );
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const io = captureIo();
  t.is(await main(['drain', '--run-dir', dir], io), 1);
  t.regex(io.err, /lvsd drain: .*announces nothing over BGP/);
});
