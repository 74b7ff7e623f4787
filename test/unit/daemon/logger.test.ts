// SPDX-License-Identifier: Apache-2.0
// The daemon logger (winston Console transport: process.stdout, asynchronous on a pipe) must not block the event loop when nobody reads its output (a full pipe), and
// must deliver every line in order once the reader catches up. Spawns a real child process.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const loggerUrl = new URL('../../../src/daemon/logger.js', import.meta.url).href;

test('a full stdout pipe does not stall timers; all lines arrive in order later', async (t) => {
  const marker = join(mkdtempSync(join(tmpdir(), 'lvsd-log-')), 'timer-fired');
  const n = 20000; // ~1.5 MB of log lines: far more than a pipe buffer (64 KiB)
  const code = `
    const { createLogger } = await import(${JSON.stringify(loggerUrl)});
    const { writeFileSync } = await import('node:fs');
    const log = createLogger({ name: 't' });
    for (let i = 0; i < ${n}; i++) log.info('line ' + i, { pad: 'x'.repeat(40) });
    setTimeout(() => writeFileSync(${JSON.stringify(marker)}, 'ok'), 10);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.pause(); // nobody reads: the pipe fills up
  let fired = false;
  for (let i = 0; i < 250 && !fired; i++) {
    await sleep(20);
    fired = existsSync(marker);
  }
  t.true(fired, 'the timer fired while the log pipe was full');
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stdout.resume();
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(exitCode, 0);
  const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
  t.is(lines.length, n);
  t.is(lines[0], 'info: line 0 proc=t pad=' + 'x'.repeat(40));
  t.true(
    lines.every((l, i) => l.startsWith(`info: line ${i} `)),
    'in order',
  );
});

test('winston loads 50 ms after the first line written, not at it, not on import or for dropped lines; output is winston’s', async (t) => {
  const code = `
    const { createRequire } = await import('node:module');
    const require = createRequire(${JSON.stringify(loggerUrl)});
    const winstonLoaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/winston/'));
    const { createLogger } = await import(${JSON.stringify(loggerUrl)});
    const log = createLogger({ name: 't' });
    const child = log.child({ vrid: 7 });
    log.debug('dropped at info');
    process.stderr.write('before=' + winstonLoaded() + '\\n');
    const fields = { why: 'a b', n: 1 };
    child.info('hello world', fields);
    fields.n = 2; // a line waiting for winston keeps its fields as they were
    process.stderr.write('at=' + winstonLoaded() + '\\n');
    createLogger({ level: 'debug' }).debug('kept at debug');
    await Promise.resolve();
    process.stderr.write('microtask=' + winstonLoaded() + '\\n');
    setImmediate(() => process.stderr.write('turn=' + winstonLoaded() + '\\n'));
    setTimeout(() => {
      process.stderr.write('after=' + winstonLoaded() + '\\n');
      log.notice('then at once');
    }, 100);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(exitCode, 0, err);
  t.is(err, 'before=false\nat=false\nmicrotask=false\nturn=false\nafter=true\n');
  t.is(
    out,
    'info: hello world vrid=7 proc=t why="a b" n=1\ndebug: kept at debug\nnotice: then at once proc=t\n',
  );
});

test('lines logged just before process.exit(), before winston loaded, are written', async (t) => {
  const code = `
    const { createLogger } = await import(${JSON.stringify(loggerUrl)});
    const log = createLogger({ name: 't' });
    log.error('first and last', { code: 7 });
    log.child({ vrid: 1 }).warn('and this');
    process.exit(4);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(exitCode, 4);
  t.is(out, 'error: first and last proc=t code=7\nwarning: and this vrid=1 proc=t\n');
});

test('the lines of one event-loop turn leave in one write; lines pending at process.exit() are written', async (t) => {
  const code = `
    const { createLogger } = await import(${JSON.stringify(loggerUrl)});
    let writes = 0;
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = (...a) => { writes++; return orig(...a); };
    const log = createLogger({ name: 't' });
    for (let i = 0; i < 1000; i++) log.info('a' + i);
    // winston loads 50 ms after the first line and takes them; their one write is at the next turn
    setTimeout(() => setImmediate(() => {
      process.stderr.write('writes=' + writes + '\\n');
      log.warn('last words');
      process.exit(3);
    }), 100);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(exitCode, 3, err);
  t.is(err, 'writes=1\n');
  const lines = out.trimEnd().split('\n');
  t.is(lines.length, 1001);
  t.is(lines[999], 'info: a999 proc=t');
  t.is(lines[1000], 'warning: last words proc=t');
});

test('syslog priorities: a <N> prefix when stdout is the journal (JOURNAL_STREAM names it), a priority field in JSON, and LVSD_LOG_LEVEL filters by priority', async (t) => {
  const code = (journal: string, format: string) => `
    const { createLogger } = await import(${JSON.stringify(loggerUrl)});
    const log = createLogger({ name: 't', level: 'notice', journal: ${journal}, format: ${JSON.stringify(format)} });
    log.error('e'); log.warn('w'); log.notice('n'); log.info('dropped at notice'); log.debug('dropped');`;
  const out = async (journal: string, format: string): Promise<string[]> => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code(journal, format)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((r) => child.on('exit', r));
    return Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
  };
  t.deepEqual(await out('true', 'text'), [
    '<3>error: e proc=t',
    '<4>warning: w proc=t',
    '<5>notice: n proc=t',
  ]);
  t.deepEqual(await out('false', 'text'), ['error: e proc=t', 'warning: w proc=t', 'notice: n proc=t']);
  const json = (await out('false', 'json')).map(
    (l) => JSON.parse(l) as { level: string; priority: number; message: string },
  );
  t.deepEqual(
    json.map((j) => [j.level, j.priority, j.message]),
    [
      ['error', 3, 'e'],
      ['warning', 4, 'w'],
      ['notice', 5, 'n'],
    ],
  );
});

test('stdoutIsJournal: only when JOURNAL_STREAM is the device:inode of stdout', async (t) => {
  const { stdoutIsJournal } = (await import(loggerUrl)) as {
    stdoutIsJournal: (env: NodeJS.ProcessEnv) => boolean;
  };
  t.false(stdoutIsJournal({}));
  t.false(stdoutIsJournal({ JOURNAL_STREAM: '0:0' }));
  const { fstatSync } = await import('node:fs');
  const st = fstatSync(1);
  t.true(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }));
});
