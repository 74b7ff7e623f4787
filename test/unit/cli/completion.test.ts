// SPDX-License-Identifier: Apache-2.0
// `lvsd completion bash`: the script bash reads, completing as an operator types (bash runs it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

const script = await (async () => {
  const io = captureIo();
  if ((await main(['completion', 'bash'], io)) !== 0) throw new Error(io.err);
  return io.out;
})();

/** What bash offers after `words` (the last one is the word being completed). */
function complete(dir: string, ...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source ./lvsd.bash; COMP_WORDS=(lvsd ${quoted}); COMP_CWORD=${words.length}; _lvsd; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('the script is valid bash and registers itself for lvsd', (t) => {
  t.is(spawnSync('bash', ['-n'], { input: script }).status, 0);
  t.regex(script, /^complete -F _lvsd lvsd$/m);
});

test('completes commands, subcommands, options and their values', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-compl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'lvsd.bash'), script);
  writeFileSync(join(dir, 'lvs-nat.conf'), '');
  mkdirSync(join(dir, 'run-a'));
  t.deepEqual(complete(dir, ''), [
    'run',
    'check-config',
    'status',
    'reload',
    'drill',
    'real',
    'drain',
    'undrain',
    'ipvs',
    'completion',
    'help',
  ]);
  t.deepEqual(complete(dir, 're'), ['reload', 'real']);
  t.deepEqual(complete(dir, 'real', ''), ['drain', 'enable']);
  t.deepEqual(complete(dir, 'help', 'ch'), ['check-config']);
  t.deepEqual(complete(dir, 'check-config', '--'), [
    '--file',
    '--config-id',
    '--json',
    '--lenient',
    '--host',
    '--help',
  ]);
  t.deepEqual(complete(dir, 'check-config', '-f', 'lvs-'), ['lvs-nat.conf']);
  t.deepEqual(complete(dir, 'status', '--run-dir', 'r'), ['run-a']);
  // An option's value is skipped when finding the command: `-f FILE` then the options again.
  t.deepEqual(complete(dir, 'run', '-f', 'x.conf', '--vr'), ['--vrrp-only']);
  t.deepEqual(complete(dir, 'real', 'drain', '--run-dir', 'run-a', '--so'), ['--socket']);
  t.deepEqual(complete(dir, 'completion', ''), ['bash']);
  // lvsd ipvs completes ipvsadm's options, from the table its parser reads.
  t.deepEqual(complete(dir, 'ipvs', '-A', '-t', '10.0.0.1:80', '-s', 'w'), ['wrr', 'wlc']);
  t.true(complete(dir, 'ipvs', '--').includes('--add-service'));
  t.deepEqual(complete(dir, 'ipvs', '--start-daemon', ''), ['master', 'backup']);
  // Hidden options (internal to the daemon) are not offered.
  t.false(complete(dir, 'check-config', '--').includes('--result-json'));
  t.false(complete(dir, 'run', '--').includes('--model'));
});
