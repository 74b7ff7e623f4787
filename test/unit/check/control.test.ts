// SPDX-License-Identifier: Apache-2.0
/** The control socket and `lvsd real drain|enable` over a real unix socket, into a real manager. */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run as realCmd } from '../../../src/cli/commands/real.js';
import { captureIo } from '../../../src/cli/io.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { CheckManager } from '../../../src/check/manager.js';
import { controlRequest, startControlServer } from '../../../src/daemon/control.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { fakeManagerOptions } from './manager-fixtures.js';
import { real, vs } from './spec-fixtures.js';

test('lvsd real drain/enable reach the manager through the control socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-ctl-'));
  const path = join(dir, 'lvsd.sock');
  const clock = new FakeClock();
  const kernel = new FakeIpvsKernel();
  const manager = new CheckManager(fakeManagerOptions(clock, kernel));
  await manager.start({ virtualServers: [vs([real(1, { weight: 4 }), real(2)])], notifyFifos: [] });
  const server = await startControlServer(
    path,
    async (req) => {
      if (req.cmd === 'status') return manager.status();
      if (req.cmd !== 'drain' && req.cmd !== 'enable') return undefined;
      await manager.setDrain(req.vs, req.rs, req.cmd === 'drain');
      return undefined;
    },
    silentLogger,
  );
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const weights = (): number[] => kernel.table[0]!.destinations.map((d) => d.weight);
  t.deepEqual(weights(), [4, 1]);
  let io = captureIo();
  t.is(await realCmd(['drain', 'tcp:192.0.2.1:80', '10.0.0.1:80', '--socket', path], io), 0);
  t.is(io.out, 'drained 10.0.0.1:80 in tcp:192.0.2.1:80\n');
  t.deepEqual(weights(), [0, 1]);
  io = captureIo();
  t.is(await realCmd(['drain', '192.0.2.1:80', '10.0.0.7:80', '--socket', path], io), 1);
  t.regex(io.err, /no real server 10\.0\.0\.7:80/);
  io = captureIo();
  t.is(await realCmd(['enable', '192.0.2.1:80', '10.0.0.1:80', '-s', path], io), 0);
  t.deepEqual(weights(), [4, 1]);
  t.is(await realCmd(['pause', 'x', 'y', '-s', path], captureIo()), 2);
  const status = await controlRequest(path, { cmd: 'status' });
  t.true(status.ok);
  // Malformed request lines get an error reply, not a hang.
  const reply = await new Promise<string>((resolve) => {
    const c = net.connect(path, () => c.write('{"cmd":"reboot"}\n'));
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => resolve(buf));
  });
  t.deepEqual(JSON.parse(reply), { ok: false, error: 'malformed request', code: 'LVSD_E_CONTROL' });
  io = captureIo();
  t.is(await realCmd(['drain', '192.0.2.1:80', '10.0.0.1:80', '-s', join(dir, 'absent.sock')], io), 1);
  t.regex(io.err, /cannot reach the daemon/);
  await manager.stop({ keepIpvs: true });
});
