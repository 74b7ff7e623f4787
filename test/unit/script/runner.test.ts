// SPDX-License-Identifier: Apache-2.0
/**
 * The exit-status mapping, the scripts' environment and output capture (pure parts, then through
 * real runs of the runner: no root needed).
 */
import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoundedCapture } from '../../../src/script/capture.js';
import { DEFAULT_SCRIPT_PATH, SCRIPT_ENV_NAMES, scriptEnvironment } from '../../../src/script/env.js';
import {
  describeOutcome,
  outcomeOf,
  succeeded,
  type RawEnd,
  type ScriptOutcome,
} from '../../../src/script/outcome.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import { noDefaultUserMessage } from '../../../src/script/security.js';
import { resolveIds } from '../../../src/script/users.js';
import { baseTree, dir, fakeFiles, file, groups, passwd } from '../../fakes/fake-files.js';

type Row = readonly [name: string, end: RawEnd, kind: ScriptOutcome['kind'], text: string, ok: boolean];
const outcomes: readonly Row[] = [
  ['exit 0', { code: 0, signal: null }, 'exit', 'exit 0', true],
  ['exit 1', { code: 1, signal: null }, 'exit', 'exit 1', false],
  ['exit 255', { code: 255, signal: null }, 'exit', 'exit 255', false],
  ['a signal of its own', { code: null, signal: 'SIGSEGV' }, 'signal', 'killed by SIGSEGV', false],
  ['killed on timeout', { code: null, signal: 'SIGTERM', killedFor: 'timeout' }, 'timeout', 'timeout', false],
  // a script that catches SIGTERM and exits 0 after its timeout still timed out
  ['timed out, then exit 0', { code: 0, signal: null, killedFor: 'timeout' }, 'timeout', 'timeout', false],
  [
    'aborted by its owner',
    { code: null, signal: 'SIGKILL', killedFor: 'abort' },
    'aborted',
    'aborted',
    false,
  ],
  ['spawn error', { code: null, signal: null, spawnError: 'ENOENT' }, 'error', 'ENOENT', false],
];

for (const [name, end, kind, text, ok] of outcomes) {
  test(`outcome: ${name}`, (t) => {
    const o = outcomeOf(end);
    t.is(o.kind, kind);
    t.is(describeOutcome(o), text);
    t.is(succeeded(o), ok);
  });
}

test('environment: PATH only, lvsd`s own or the default', (t) => {
  t.deepEqual(SCRIPT_ENV_NAMES, ['PATH']);
  t.deepEqual(scriptEnvironment('/opt/bin:/usr/bin'), { PATH: '/opt/bin:/usr/bin' });
  t.deepEqual(scriptEnvironment(undefined), { PATH: DEFAULT_SCRIPT_PATH });
  t.deepEqual(scriptEnvironment(''), { PATH: DEFAULT_SCRIPT_PATH });
});

test('capture bounds: the first N bytes kept, the rest counted', (t) => {
  const c = new BoundedCapture(5);
  c.push(Buffer.from('abc'));
  c.push(Buffer.from('defgh'));
  c.push(Buffer.from('ij'));
  t.deepEqual(c.result(), { text: 'abcde', keptBytes: 5, droppedBytes: 5 });
  const none = new BoundedCapture(0);
  none.push(Buffer.from('xyz'));
  t.deepEqual(none.result(), { text: '', keptBytes: 0, droppedBytes: 3 });
  const chunk = Buffer.from('reused');
  const copy = new BoundedCapture(100);
  copy.push(chunk);
  chunk.fill(0); // the caller reuses its buffer: what was kept must not change
  t.is(copy.result().text, 'reused');
});

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-runner-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a script sees exactly the runner`s environment, never the daemon`s', async (t) => {
  process.env['LVSD_SECRET_FOR_TEST'] = 'leaked';
  t.teardown(() => delete process.env['LVSD_SECRET_FOR_TEST']);
  const o = await new ScriptRunner().run({ argv: ['/usr/bin/env'] }, { timeoutMs: 5000, captureBytes: 4096 });
  t.like(o, { kind: 'exit', code: 0 });
  t.is(o.output?.stdout.text, `PATH=${scriptEnvironment(process.env['PATH']).PATH}\n`);
  const custom = new ScriptRunner({ env: { PATH: '/usr/bin:/bin' } });
  const c = await custom.run({ argv: ['/usr/bin/env'] }, { timeoutMs: 5000, captureBytes: 4096 });
  t.is(c.output?.stdout.text, 'PATH=/usr/bin:/bin\n');
});

test('output capture: off by default; on, each stream bounded and the rest counted', async (t) => {
  const dir = scratch(t);
  const script = join(dir, 'chatty.sh');
  // 100,000 bytes on stdout, then a short line on stderr
  writeFileSync(script, '#!/bin/sh\nhead -c 100000 /dev/zero | tr "\\0" x\necho oops >&2\nexit 3\n');
  chmodSync(script, 0o755);
  const runner = new ScriptRunner();
  t.deepEqual(await runner.run({ argv: [script] }, { timeoutMs: 5000 }), { kind: 'exit', code: 3 });
  const o = await runner.run({ argv: [script] }, { timeoutMs: 5000, captureBytes: 1000 });
  t.deepEqual(o, {
    kind: 'exit',
    code: 3,
    output: {
      stdout: { text: 'x'.repeat(1000), keptBytes: 1000, droppedBytes: 99_000 },
      stderr: { text: 'oops\n', keptBytes: 5, droppedBytes: 0 },
    },
  });
});

test('outcomes of real runs: exit code, own signal, spawn errors, unknown user, appended args', async (t) => {
  const dir = scratch(t);
  const runner = new ScriptRunner();
  const run = (argv: string[], args: string[] = []) => runner.run({ argv }, { timeoutMs: 5000, args });
  t.deepEqual(await run(['/bin/sh', '-c', 'exit 7']), { kind: 'exit', code: 7 });
  t.deepEqual(await run(['/bin/sh', '-c', 'kill -USR1 $$']), { kind: 'signal', signal: 'SIGUSR1' });
  t.deepEqual(await run([join(dir, 'missing')]), { kind: 'error', error: 'ENOENT' });
  const notExec = join(dir, 'not-exec.sh');
  writeFileSync(notExec, '#!/bin/sh\nexit 0\n');
  t.deepEqual(await run([notExec]), { kind: 'error', error: 'EACCES' });
  t.deepEqual(await run([]), { kind: 'error', error: 'empty command' });
  t.deepEqual(await runner.run({ argv: ['/bin/true'], user: 'lvsd-no-such-user' }, { timeoutMs: 5000 }), {
    kind: 'error',
    error: 'no such user lvsd-no-such-user',
  });
  t.deepEqual(await run(['/bin/sh', '-c', 'test "$1 $2" = "a b c"', 'sh'], ['a', 'b c']), {
    kind: 'exit',
    code: 0,
  });
});

test('keepalived`s `</path` file test runs through /bin/sh', async (t) => {
  const dir = scratch(t);
  const runner = new ScriptRunner();
  const present = join(dir, 'present');
  writeFileSync(present, '');
  t.deepEqual(await runner.run({ argv: [`<${present}`] }, { timeoutMs: 5000 }), { kind: 'exit', code: 0 });
  const absent = await runner.run({ argv: [`<${join(dir, 'absent')}`] }, { timeoutMs: 5000 });
  t.is(absent.kind, 'exit');
  t.false(succeeded(absent));
});

test('a script that ignores SIGTERM is killed with SIGKILL after the grace', async (t) => {
  const runner = new ScriptRunner({ termGraceMs: 200 });
  const o = await runner.run(
    { argv: ['/bin/sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done'] },
    { timeoutMs: 100 },
  );
  t.deepEqual(o, { kind: 'timeout' });
});

test('an AbortSignal kills the run', async (t) => {
  const ctl = new AbortController();
  const runner = new ScriptRunner();
  const end = runner.run({ argv: ['/bin/sleep', '30'] }, { timeoutMs: 60_000, signal: ctl.signal });
  t.is(runner.running, 1);
  ctl.abort();
  t.deepEqual(await end, { kind: 'aborted' });
  t.is(runner.running, 0);
  t.deepEqual(await runner.run({ argv: ['/bin/true'] }, { timeoutMs: 1000, signal: ctl.signal }), {
    kind: 'aborted',
  });
});

test('stop lets runs finish within waitMs before killing them', async (t) => {
  const runner = new ScriptRunner();
  const quick = runner.run({ argv: ['/bin/sh', '-c', 'sleep 0.1; exit 4'] }, { timeoutMs: 60_000 });
  await runner.stop({ waitMs: 5000 });
  t.deepEqual(await quick, { kind: 'exit', code: 4 });
});

test('enable_script_security at run time: refused runs never start, and say why (fake files)', async (t) => {
  const files = fakeFiles({ ...baseTree, '/open': dir(0o777), '/open/s.sh': file(0o755) });
  const lookup = (user: string, group?: string) => resolveIds(passwd, groups, user, group);
  const root = { uid: 0, gid: 0 };
  const runner = new ScriptRunner({ scriptSecurity: true, files, lookup, self: root });
  // /open/s.sh does not exist on this machine: a start would end in ENOENT, a refusal does not
  t.deepEqual(await runner.run({ argv: ['/open/s.sh'], user: 'root' }, { timeoutMs: 5000 }), {
    kind: 'error',
    refused: true,
    error: "Unsafe permissions found for script '/open/s.sh' - disabling. (/open is writable by others)",
  });
  // no user, no script_user, no keepalived_script: refused, never run as lvsd (root)
  t.deepEqual(await runner.run({ argv: ['/usr/bin/true'] }, { timeoutMs: 5000 }), {
    kind: 'error',
    refused: true,
    error: noDefaultUserMessage('/usr/bin/true', 'no such user keepalived_script'),
  });
  // checked, not refused: what cannot run is an ordinary error with keepalived's message
  t.deepEqual(await runner.run({ argv: ['/usr/bin/lvsd-nosuch'], user: 'root' }, { timeoutMs: 5000 }), {
    kind: 'error',
    error: 'Script /usr/bin/lvsd-nosuch cannot be accessed - No such file or directory',
  });
  t.true(files.asked.includes('/open'));
  // the option off (a reload): no check, the run is started (and here fails to exec)
  runner.scriptSecurity = false;
  const asked = files.asked.length;
  t.like(await runner.run({ argv: ['/open/s.sh'], user: 'root' }, { timeoutMs: 5000 }), { kind: 'error' });
  t.is(files.asked.length, asked);
});
