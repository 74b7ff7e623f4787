// SPDX-License-Identifier: Apache-2.0
// Runs a real child process (no root needed): runWorker (src/daemon/worker.ts) with a stand-in engine
// whose start waits for the test. The worker's control socket must answer from before its engine
// starts ("starting", LVSD_E_STARTING), and with the engine's status before anything is announced:
// a BGP route out while `lvsd status` said the LVS worker was not answering was seen in the VM.
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlRequest } from '../../../src/daemon/control.js';
import { until } from '../../helpers/processes.js';

const workerModule = fileURLToPath(new URL('../../../src/daemon/worker.js', import.meta.url));
const controlModule = fileURLToPath(new URL('../../../src/daemon/control.js', import.meta.url));

/** A worker whose engine starts when `go` exists and whose announce asks its own socket for status. */
function standIn(dir: string): string {
  const path = join(dir, 'worker.mjs');
  writeFileSync(
    path,
    `import { appendFileSync, existsSync } from 'node:fs';
     import { join } from 'node:path';
     import { runWorker } from ${JSON.stringify(workerModule)};
     import { controlRequest } from ${JSON.stringify(controlModule)};
     const dir = ${JSON.stringify(dir)};
     const say = (s) => appendFileSync(join(dir, 'log'), s + '\\n');
     const sock = join(dir, 'lvsd.sock');
     const engine = {
       reload: async () => ({}),
       preview: async () => ({}),
       stop: async () => say('stop'),
       snapshot: () => ({ standIn: 'running' }),
       announce: async () => say('announce ' + JSON.stringify(await controlRequest(sock, { cmd: 'status' }, 5000))),
     };
     const code = await runWorker(
       { configFile: join(dir, 'lvsd.conf'), configId: undefined, io: { stderr: (s) => say('stderr ' + s) } },
       {
         name: 'lvs',
         controlPath: () => sock,
         dumpFile: 'check-status.json',
         start: async () => {
           say('start');
           while (!existsSync(join(dir, 'go'))) await new Promise((r) => setTimeout(r, 20));
           return engine;
         },
       },
     );
     say('exit ' + code);
     process.exit(code);`,
  );
  return path;
}

test('the control socket answers "starting" during the start, and the engine status before it announces', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-worker-start-'));
  writeFileSync(
    join(dir, 'lvsd.conf'),
    'vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1/32\n  }\n}\n',
  );
  const lines = (): string[] =>
    existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').trim().split('\n') : [];
  const child: ChildProcess = spawn(process.execPath, [standIn(dir)], {
    env: { ...process.env, LVSD_RUN_DIR: dir },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  t.true(await until(() => lines().includes('start')), lines().join('\n'));

  // the engine is starting: the socket is there and says so (before: no socket until the start ended)
  const starting = await controlRequest(join(dir, 'lvsd.sock'), { cmd: 'status' }, 5000);
  t.like(starting, { ok: false, code: 'LVSD_E_STARTING' });
  t.false(
    lines().some((l) => l.startsWith('announce')),
    'nothing announced while starting',
  );

  writeFileSync(join(dir, 'go'), '');
  t.true(await until(() => lines().some((l) => l.startsWith('announce'))), lines().join('\n'));
  const announced = lines().find((l) => l.startsWith('announce ')) ?? '';
  // at its announcement the socket already answered with the engine's status
  t.like(JSON.parse(announced.slice('announce '.length)), { ok: true, result: { standIn: 'running' } });

  child.kill('SIGTERM');
  t.is(await exited, 0);
  t.deepEqual(lines().slice(-2), ['stop', 'exit 0']);
});
