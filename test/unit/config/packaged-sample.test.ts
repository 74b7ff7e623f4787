// SPDX-License-Identifier: Apache-2.0
// The .deb's /etc/lvsd/lvsd.conf (packaging/lvsd.conf): as shipped it runs nothing; uncommented as
// its header says, it is a valid director of a pair, as either director.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

const sample = new URL('../../../../packaging/lvsd.conf', import.meta.url);

test('as shipped: valid, nothing configured', async (t) => {
  const io = captureIo();
  t.is(await main(['check-config', '-f', sample.pathname, '-i', 'lvs1'], io), 0, io.err);
  t.regex(io.out, /OK \(0 vrrp_instance, 0 virtual_server\)\n$/);
});

test('uncommented: one VRRP instance and one virtual server on either director', async (t) => {
  // The configuration lines: '#' then a word or an even indentation (the prose has '# ', the
  // commands in it '#   ').
  const text = readFileSync(sample, 'utf8')
    .split('\n')
    .map((l) => (/^#( {2})*\S/.test(l) ? l.slice(1) : l))
    .join('\n');
  t.not(text, readFileSync(sample, 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sample-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lvsd.conf');
  writeFileSync(file, text);
  for (const id of ['lvs1', 'lvs2']) {
    const io = captureIo();
    t.is(await main(['check-config', '-f', file, '--config-id', id], io), 0, io.err);
    t.regex(io.out, /OK \(1 vrrp_instance, 1 virtual_server\)\n$/);
    const js = captureIo();
    await main(['check-config', '-f', file, '--config-id', id, '--json'], js);
    const model = JSON.parse(js.out) as { vrrpInstances: Array<{ priority: number }> };
    t.is(model.vrrpInstances[0]!.priority, id === 'lvs1' ? 150 : 100);
  }
});
