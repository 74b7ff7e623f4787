// SPDX-License-Identifier: Apache-2.0
// The fork() channel from a worker to its supervisor, when the supervisor has just died: a send must
// not become an 'error' event nobody handles. Real processes (no root): the write really fails with
// EPIPE because the worker's event loop has not yet seen the channel close.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const workerIpc = fileURLToPath(new URL('../../../src/daemon/worker-ipc.js', import.meta.url));

test('a worker whose supervisor was SIGKILLed reports a state over the dead channel and lives on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-ipc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // the worker: waits, without turning its event loop, until its parent is gone, then reports
  // (as the VRRP worker reports STOP while it releases), and says whether it is still alive
  writeFileSync(
    join(dir, 'worker.mjs'),
    `import { readFileSync } from 'node:fs';
import { reportVrrpState } from ${JSON.stringify(workerIpc)};
const parent = Number(process.argv[2]);
process.stdout.write('ready\\n'); // a pipe: written at once, before the loop below
for (;;) {
  let s;
  try { s = readFileSync('/proc/' + parent + '/status', 'utf8'); } catch { break; }
  if (/^State:\\s+Z/m.test(s)) break;
}
const connectedBefore = process.connected;
const sent = reportVrrpState('VI_1', 'STOP');
setTimeout(() => { process.stdout.write('alive connectedBefore=' + connectedBefore + ' sent=' + sent + '\\n'); process.exit(0); }, 300);
`,
  );
  // the supervisor stand-in: forks the worker, prints its pid, then waits to be killed
  writeFileSync(
    join(dir, 'parent.mjs'),
    `import { fork } from 'node:child_process';
const w = fork(${JSON.stringify(join(dir, 'worker.mjs'))}, [String(process.pid)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
process.stdout.write('worker ' + w.pid + '\\n');
setInterval(() => {}, 1000);
`,
  );
  const parent = spawn(process.execPath, [join(dir, 'parent.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  parent.stdout.on('data', (b: Buffer) => (out += b.toString()));
  parent.stderr.on('data', (b: Buffer) => (out += b.toString()));
  // the worker's output comes through the same pipes, which it inherited; they close when it exits
  const closed = new Promise<void>((resolve) => parent.stdout.once('close', () => resolve()));
  // the worker loaded and waiting (its channel still open): only now does its supervisor die
  for (let i = 0; i < 400 && !/^ready$/m.test(out); i++) await new Promise((r) => setTimeout(r, 25));
  t.regex(out, /^ready$/m);
  parent.kill('SIGKILL');
  await closed;
  t.notRegex(out, /Unhandled 'error' event|EPIPE/, out);
  // the write met the dead channel (connected was still true): not a send skipped as disconnected
  t.regex(out, /alive connectedBefore=true sent=true/, out);
});
