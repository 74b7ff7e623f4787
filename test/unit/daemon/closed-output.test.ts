// SPDX-License-Identifier: Apache-2.0
// A daemon process whose stdout reader has gone (a `| tee` that ended, a log collector restarted)
// goes on: its next log lines meet EPIPE, and it must neither crash nor stop answering signals. The
// bundled `lvsd run --vrrp-only` (no instances; a writable run directory is all it needs, any user).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a worker whose stdout reader has gone logs on without crashing, and stops cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-closed-output-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'lvsd.conf'), 'global_defs {\n  router_id closed-output\n}\n');
  const child = spawn(
    process.execPath,
    [`${root}bin/lvsd`, 'run', '--vrrp-only', '-f', join(dir, 'lvsd.conf'), '--run-dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // the first line, then the reader goes away
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  // lines logged after that (SIGUSR1: a stats dump and its log line) meet the closed pipe
  for (let i = 0; i < 3; i++) {
    child.kill('SIGUSR1');
    await sleep(300);
  }
  t.true(existsSync(join(dir, 'vrrp-stats.json')), 'the dump was written');
  t.is(child.exitCode, null, `still running; stderr: ${err}`);
  child.kill('SIGTERM');
  t.is(await exited, 0, err);
  t.notRegex(err, /EPIPE|Unhandled 'error'/);
});
