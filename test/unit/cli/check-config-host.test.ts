// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd check-config --host`: the host checks `lvsd run` makes, on this machine, with located
 * messages; an error exits 1, warnings exit 0 and are printed; without `--host` the file alone is
 * checked. Runs as any user: the unsafe script is given `user root`, so its path (the test user's
 * files, or a 0777 file as root) is unsafe either way.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-check-host-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function checkConfig(...argv: string[]) {
  const io = captureIo();
  const code = await main(['check-config', ...argv], io);
  return { code, out: io.out, err: io.err };
}

const waiting = [
  'vrrp_instance V {',
  '  interface lvsdnoif0',
  '  virtual_router_id 7',
  '  virtual_ipaddress {',
  '    192.0.2.7/24',
  '  }',
  '}',
  '',
].join('\n');

test('--host: a missing interface is a located warning, exit 0; without --host nothing is said', async (t) => {
  const conf = join(scratch(t), 'w.conf');
  writeFileSync(conf, waiting);
  const host = await checkConfig('-f', conf, '--host');
  t.is(host.code, 0);
  t.is(
    host.err,
    `${conf}:1:1: warning: vrrp_instance \`V\`: interface lvsdnoif0 does not exist on this machine (the instance waits for it)\n`,
  );
  t.is(host.out, `${conf}: OK (1 vrrp_instance, 0 virtual_server, 1 warning)\n`);
  const plain = await checkConfig('-f', conf);
  t.deepEqual(plain, { code: 0, out: `${conf}: OK (1 vrrp_instance, 0 virtual_server)\n`, err: '' });
});

test('--host: an unsafe root script under enable_script_security and a missing one exit 1, located', async (t) => {
  const dir = scratch(t);
  const script = join(dir, 'open.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o777);
  const conf = join(dir, 's.conf');
  writeFileSync(
    conf,
    [
      'global_defs {',
      '  enable_script_security',
      '}',
      'vrrp_script open {',
      `  script "${script}"`,
      '  user root',
      '}',
      'vrrp_script gone {',
      `  script "${dir}/gone.sh"`,
      '  user root',
      '}',
      waiting,
    ].join('\n'),
  );
  const host = await checkConfig('-f', conf, '--host');
  t.is(host.code, 1);
  t.is(host.out, '');
  const lines = host.err.trimEnd().split('\n');
  t.is(lines.length, 4, host.err);
  t.regex(
    lines[0] ?? '',
    new RegExp(
      `^${conf}:5:10: error: vrrp_script \`open\`: Unsafe permissions found for script '${script}' - disabling\\. \\(${dir}`,
    ),
  );
  t.is(lines[1], `${conf}:9:10: error: vrrp_script \`gone\`: cannot run ${dir}/gone.sh: no such file`);
  t.regex(lines[2] ?? '', new RegExp(`^${conf}:12:1: warning: vrrp_instance \`V\`: interface lvsdnoif0`));
  t.is(lines[3], `${conf}: 2 errors`);
  // the file itself is valid: only the host refuses it
  t.is((await checkConfig('-f', conf)).code, 0);
  // --json prints no model for a refused host
  const json = await checkConfig('-f', conf, '--host', '--json');
  t.is(json.code, 1);
  t.is(json.out, '');
});

test('--host is in the usage', async (t) => {
  const help = await checkConfig('--help');
  t.is(help.code, 0);
  t.regex(help.out, /--host +also check this machine as `lvsd run` does/);
});
