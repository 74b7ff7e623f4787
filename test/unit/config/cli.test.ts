// SPDX-License-Identifier: Apache-2.0
// `lvsd check-config` exit codes and output, through the dispatcher with captured output.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

const fx = fileURLToPath(new URL('../../../../test/fixtures/conf/', import.meta.url));

test('valid config: exit 0 and a one-line summary', async (t) => {
  const io = captureIo();
  t.is(await main(['check-config', '-f', `${fx}ok/full.conf`], io), 0);
  t.regex(io.out, /full\.conf: OK \(3 vrrp_instance, 3 virtual_server\)/);
  t.is(io.err, '');
});

test('--json prints the normalized model', async (t) => {
  const io = captureIo();
  t.is(await main(['check-config', '-f', `${fx}ok/full.conf`, '--json', '--config-id', 'x'], io), 0);
  const m = JSON.parse(io.out) as { vrrpInstances: Array<{ name: string }> };
  t.deepEqual(
    m.vrrpInstances.map((i) => i.name),
    ['VI_1', 'VI_2', 'VI_3'],
  );
});

test('invalid config: exit 1, located errors on stderr and a count', async (t) => {
  const io = captureIo();
  t.is(await main(['check-config', '-f', `${fx}broken/vrid-range.conf`], io), 1);
  t.is(
    io.err,
    `${fx}broken/vrid-range.conf:3:21: error: \`virtual_router_id\` must be an integer in 1..255 (got 256)\n` +
      `${fx}broken/vrid-range.conf: 1 error\n`,
  );
  t.is(io.out, '');
});

test('unreadable file: exit 2', async (t) => {
  const io = captureIo();
  t.is(await main(['check-config', '-f', `${fx}nope.conf`], io), 2);
  t.regex(io.err, /nope\.conf: error: cannot read configuration: no such file/);
});

test('usage error: exit 2', async (t) => {
  const io = captureIo();
  t.is(await main(['check-config', '--frobnicate'], io), 2);
  t.regex(io.err, /usage: lvsd check-config/);
});

test('--lenient: unsupported keywords are warnings and the exit is 0', async (t) => {
  const strict = captureIo();
  t.is(await main(['check-config', '-f', `${fx}broken/unsupported-keyword.conf`], strict), 1);
  const io = captureIo();
  t.is(await main(['check-config', '-f', `${fx}broken/unsupported-keyword.conf`, '--lenient'], io), 0);
  t.regex(
    io.err,
    /3:3: warning: `enable_dbus` is a keepalived keyword that lvsd does not support \(ignored\)/,
  );
  t.regex(io.out, /OK \(0 vrrp_instance, 0 virtual_server, 1 warning\)/);
});
