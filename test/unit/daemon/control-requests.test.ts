// SPDX-License-Identifier: Apache-2.0
/** The workers' and the supervisor's control sockets take each request the CLI sends, and only those. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  controlRequest,
  parseSupervisorRequest,
  serveRequests,
  startControlServer,
  type ControlRequest,
} from '../../../src/daemon/control.js';
import { silentLogger } from '../../fakes/silent-logger.js';

test('a worker socket parses status, drain/enable, plan, drill and drill-release; rejects the malformed', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'lvsd-ctl-')), 'w.sock');
  const seen: ControlRequest[] = [];
  const server = await startControlServer(
    path,
    (req) => (seen.push(req), Promise.resolve('ok')),
    silentLogger,
  );
  t.teardown(() => server.close());
  const good: ControlRequest[] = [
    { cmd: 'status' },
    { cmd: 'drain', vs: 'tcp:10.0.0.1:80', rs: '192.168.0.1:80' },
    { cmd: 'plan', modelFile: '/run/lvsd/model.preview.json' },
    { cmd: 'drill', instances: ['VI_1'], back: true, timeoutMs: 15000 },
    { cmd: 'drill', instances: 'all', back: false, timeoutMs: 1000 },
    { cmd: 'drill-release', instances: 'all' },
  ];
  for (const req of good) t.deepEqual(await controlRequest(path, req), { ok: true, result: 'ok' });
  t.deepEqual(seen, good);
  const bad = [
    { cmd: 'drill', instances: 'VI_1', timeoutMs: 1 },
    { cmd: 'drill', instances: ['VI_1'] },
    { cmd: 'reload' },
  ];
  for (const req of bad) {
    const r = await controlRequest(path, req as unknown as ControlRequest);
    t.like(r, { ok: false, error: 'malformed request' });
  }
});

test('the supervisor socket takes status and reload (with dryRun and a file)', async (t) => {
  t.deepEqual(parseSupervisorRequest({ cmd: 'status' }), { cmd: 'status' });
  t.deepEqual(parseSupervisorRequest({ cmd: 'reload' }), { cmd: 'reload' });
  t.deepEqual(parseSupervisorRequest({ cmd: 'reload', dryRun: true, file: '/x.conf' }), {
    cmd: 'reload',
    dryRun: true,
    file: '/x.conf',
  });
  t.is(parseSupervisorRequest({ cmd: 'reload', file: 7 }), undefined);
  t.is(parseSupervisorRequest({ cmd: 'drain' }), undefined);
  const path = join(mkdtempSync(join(tmpdir(), 'lvsd-ctl-')), 's.sock');
  const server = await serveRequests(
    path,
    parseSupervisorRequest,
    (r) => Promise.resolve(r.cmd),
    silentLogger,
  );
  t.teardown(() => server.close());
  t.deepEqual(await controlRequest(path, { cmd: 'reload', dryRun: true }), { ok: true, result: 'reload' });
});
