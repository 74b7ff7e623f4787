// SPDX-License-Identifier: Apache-2.0
// What `lvsd status` prints for a virtual and a real server, pasted as it is into
// `lvsd real drain VS RS`, drains that real: against a real check manager behind a real control
// socket (the LVS worker's handler), IPv4, IPv6 and fwmark services.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CheckManager } from '../../../src/check/manager.js';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { startControlServer } from '../../../src/daemon/control.js';
import { noSchedulerFlags } from '../../../src/ipvs/model.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { fakeManagerOptions } from '../check/manager-fixtures.js';
import { real, vs } from '../check/spec-fixtures.js';

const v6 = vs([real(1, { family: 'inet6', address: '2001:db8::11' })], {
  service: {
    key: { kind: 'addr', family: 'inet6', protocol: 'udp', address: '2001:db8::1', port: 53 },
    scheduler: 'rr',
    flags: noSchedulerFlags,
  },
});
const fw = vs([real(3, { port: 443 })], {
  service: { key: { kind: 'fwmark', family: 'inet', fwmark: 7 }, scheduler: 'rr', flags: noSchedulerFlags },
});

test('status output pastes into real drain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-paste-'));
  const kernel = new FakeIpvsKernel();
  const manager = new CheckManager(fakeManagerOptions(new FakeClock(), kernel));
  await manager.start({ virtualServers: [vs([real(1, { weight: 4 }), real(2)]), v6, fw], notifyFifos: [] });
  const server = await startControlServer(
    join(dir, 'lvsd.sock'),
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
    await manager.stop({ keepIpvs: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const io = captureIo();
  t.is(await main(['status', '--run-dir', dir], io), 0);
  // "VS  quorum up" lines, each followed by its "  -> RS  state ..." lines.
  const pairs: Array<[string, string]> = [];
  let current = '';
  for (const line of io.out.split('\n')) {
    const vsLine = /^(\S+) {2}quorum /.exec(line);
    if (vsLine) current = vsLine[1]!;
    const rsLine = /^ {2}-> (\S+) /.exec(line);
    if (rsLine) pairs.push([current, rsLine[1]!]);
  }
  t.deepEqual(pairs, [
    ['tcp:192.0.2.1:80', '10.0.0.1:80'],
    ['tcp:192.0.2.1:80', '10.0.0.2:80'],
    ['udp:[2001:db8::1]:53', '[2001:db8::11]:80'],
    ['fwmark:7', '10.0.0.3:443'],
  ]);
  for (const [v, r] of pairs) {
    const drain = captureIo();
    t.is(await main(['real', 'drain', v, r, '--run-dir', dir], drain), 0, drain.err);
    t.is(drain.out, `drained ${r} in ${v}\n`);
  }
  const reals = manager.status().virtualServers.flatMap((s) => s.reals);
  t.deepEqual(
    reals.map((r) => r.drained),
    [true, true, true, true],
  );
  t.true(kernel.table.every((s) => s.destinations.every((d) => d.weight === 0)));

  // keepalived's form, as lvsd's own log lines print it, is read too.
  const enable = captureIo();
  t.is(
    await main(['real', 'enable', '[192.0.2.1]:tcp:80', '[10.0.0.1]:tcp:80', '--run-dir', dir], enable),
    0,
  );
  t.is(enable.out, 'enabled 10.0.0.1:80 in tcp:192.0.2.1:80\n');
  t.false(manager.status().virtualServers[0]!.reals[0]!.drained);
});
