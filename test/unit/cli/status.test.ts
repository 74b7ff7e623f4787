// SPDX-License-Identifier: Apache-2.0
// `lvsd status` against real unix control sockets served by startControlServer (no root needed).
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/commands/status.js';
import { captureIo } from '../../../src/cli/io.js';
import { startControlServer, type ControlServer } from '../../../src/daemon/control.js';
import { LvsdError } from '../../../src/core/errors.js';
import { silentLogger } from '../../fakes/silent-logger.js';

const vrrpStatus = {
  instances: [
    {
      name: 'VI_1',
      vrid: 51,
      family: 'inet',
      state: 'master',
      effectivePriority: 150,
      masterSrc: null,
      vipsHeld: ['3|10.0.0.100/32', '3|10.0.0.101/32'],
    },
    {
      name: 'VI_6',
      vrid: 52,
      family: 'inet6',
      state: 'backup',
      effectivePriority: 100,
      masterSrc: 'fe80::1',
      vipsHeld: [],
    },
  ],
};
const lvsStatus = {
  virtualServers: [
    {
      vs: '[10.0.0.100]:tcp:80',
      quorumUp: true,
      reals: [
        {
          rs: '[192.168.0.101]:tcp:80',
          alive: true,
          drained: false,
          weight: 1,
          checks: [{ kind: 'HTTP_GET', up: true }],
        },
        {
          rs: '[192.168.0.102]:tcp:80',
          alive: false,
          drained: false,
          weight: 0,
          checks: [{ kind: 'TCP_CHECK', up: false, lastFailure: 'connection refused' }],
        },
      ],
    },
  ],
};

type Socket = 'vrrp' | 'lvsd' | 'supervisor';

/** A new run directory whose control sockets (`NAME.sock`) answer with these values; closed at the end. */
async function serveAnswers(
  t: ExecutionContext,
  answers: Partial<Record<Socket, unknown>>,
): Promise<{ dir: string; servers: Partial<Record<Socket, ControlServer>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-status-'));
  const servers: Partial<Record<Socket, ControlServer>> = {};
  for (const [name, value] of Object.entries(answers) as Array<[Socket, unknown]>)
    servers[name] = await startControlServer(
      join(dir, `${name}.sock`),
      () => Promise.resolve(value),
      silentLogger,
    );
  t.teardown(async () => {
    for (const s of Object.values(servers)) await s.close();
  });
  return { dir, servers };
}

test('status asks both workers and prints instances and virtual servers', async (t) => {
  const { dir } = await serveAnswers(t, { vrrp: vrrpStatus, lvsd: lvsStatus });
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 0);
  t.regex(io.out, /^VI_1 +51 +IPv4 +MASTER +150 +- +10\.0\.0\.100\/32,10\.0\.0\.101\/32$/m);
  t.regex(io.out, /^VI_6 +52 +IPv6 +BACKUP +100 +fe80::1 +-$/m);
  // Virtual and real servers as `lvsd real drain VS RS` takes them (the worker sends keepalived's form).
  t.regex(io.out, /^tcp:10\.0\.0\.100:80 {2}quorum up$/m);
  t.regex(io.out, /-> 192\.168\.0\.101:80 +up +weight 1 +HTTP_GET:ok/);
  t.regex(io.out, /-> 192\.168\.0\.102:80 +DOWN +weight 0 +TCP_CHECK:fail \(connection refused\)/);

  const js = captureIo();
  t.is(await run(['--run-dir', dir, '--json'], js), 0);
  t.deepEqual(JSON.parse(js.out), { vrrp: vrrpStatus, lvs: lvsStatus });
});

test('a worker that does not answer is reported; none answering exits 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-status-'));
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 1);
  t.regex(io.out, /VRRP\n {2}not answering: cannot reach the daemon at .*vrrp\.sock/);
  const b = await startControlServer(join(dir, 'lvsd.sock'), () => Promise.resolve(lvsStatus), silentLogger);
  t.teardown(() => b.close());
  const io2 = captureIo();
  t.is(await run(['--run-dir', dir], io2), 0);
  t.regex(io2.out, /not answering/);
  t.regex(io2.out, /quorum up/);
});

test('a worker the supervisor does not run is "none configured", not "not answering"', async (t) => {
  const { dir, servers } = await serveAnswers(t, {
    supervisor: { pid: 1, workers: [{ name: 'lvs', pid: 2, ready: true }] },
    lvsd: lvsStatus,
  });
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 0);
  t.regex(io.out, /VRRP\n {2}none configured: no vrrp_instance/);
  t.notRegex(io.out, /not answering/);
  const js = captureIo();
  t.is(await run(['--run-dir', dir, '--json'], js), 0);
  t.deepEqual((JSON.parse(js.out) as { vrrp: unknown }).vrrp, { notConfigured: true });
  // the LVS worker is one the supervisor runs: when it does not answer, that is said
  await servers.lvsd?.close();
  const io2 = captureIo();
  t.is(await run(['--run-dir', dir], io2), 1);
  t.regex(io2.out, /LVS\n {2}not answering: /);
});

test('a worker applying its first configuration is "starting", not "not answering"', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-status-'));
  const starting = await startControlServer(
    join(dir, 'lvsd.sock'),
    () =>
      Promise.reject(
        new LvsdError('LVSD_E_STARTING', 'the lvs worker is starting: applying its configuration'),
      ),
    silentLogger,
  );
  t.teardown(() => starting.close());
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 1, 'no worker answered with a status');
  t.regex(io.out, /LVS\n {2}starting: applying its configuration\n/);
  t.notRegex(io.out, /LVS\n {2}not answering/);
  const js = captureIo();
  await run(['--run-dir', dir, '--json'], js);
  t.like((JSON.parse(js.out) as { lvs: unknown }).lvs, { starting: true });
});

test('a worker the supervisor started but that is not ready is "starting"; one without a process is waiting to be restarted', async (t) => {
  const { dir, servers } = await serveAnswers(t, {
    supervisor: {
      pid: 1,
      workers: [
        { name: 'vrrp', pid: 41, ready: false, restarts: 0 },
        { name: 'lvs', ready: false, restarts: 3 },
      ],
    },
  });
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 1);
  t.regex(io.out, /VRRP\n {2}starting: applying its configuration \(pid 41\)\n/);
  t.regex(io.out, /LVS\n {2}not running: waiting to be restarted \(restarts: 3\)\n/);
  const js = captureIo();
  await run(['--run-dir', dir, '--json'], js);
  const parsed = JSON.parse(js.out) as { vrrp: { starting?: boolean }; lvs: { starting?: boolean } };
  t.true(parsed.vrrp.starting);
  t.is(parsed.lvs.starting, undefined);
  // once ready, a silent worker is not answering again
  await servers.supervisor?.close();
  const io2 = captureIo();
  await run(['--run-dir', dir], io2);
  t.regex(io2.out, /VRRP\n {2}not answering: /);
});

test('usage errors exit 2', async (t) => {
  const io = captureIo();
  t.is(await run(['--bogus'], io), 2);
  t.regex(io.err, /usage: lvsd status/);
});

test('an instance held by a --no-back drill and the last drill are shown', async (t) => {
  const held = {
    instances: [{ ...vrrpStatus.instances[0], state: 'backup', effectivePriority: 1, drillHold: true }],
    lastDrill: [
      {
        instance: 'VI_1',
        ok: true,
        peer: '10.0.0.2',
        peerMasterMs: 12.4,
        vipsGoneMs: 13,
        vipsAnswerMs: 40,
        answers: { '10.0.0.100': { mac: '02:00:00:00:00:02', tcp: [{ port: 80, ok: true }] } },
      },
    ],
    lastDrillAgoMs: 61_400,
  };
  const { dir } = await serveAnswers(t, { vrrp: held });
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 0);
  t.regex(io.out, /^VI_1 +51 +IPv4 +BACKUP \(drill hold\) +1 /m);
  t.regex(io.out, /^Last drill, 61 s ago\ndrill VI_1: handed over to 10\.0\.0\.2\n/m);
  t.regex(io.out, /peer advertised as master after +12 ms/);
  t.regex(io.out, /10\.0\.0\.100 -> 02:00:00:00:00:02, tcp\/80 ok/);
});

test('the worker’s scheduling is shown when it is realtime, niced, overrun or refused', async (t) => {
  const proc = {
    policy: 'SCHED_RR',
    rtPriority: 40,
    nice: -5,
    rlimitRttimeUs: 200000,
    overruns: 1,
    refused: ['setrlimit(RLIMIT_RTTIME, 300000 us): setrlimit(RLIMIT_RTTIME): Operation not permitted'],
    gc: { count: 3, maxPauseMs: 5.31, totalMs: 9 },
  };
  const lvsPlain = { ...lvsStatus, process: { policy: 'SCHED_OTHER', nice: 0, overruns: 0, refused: [] } };
  const { dir } = await serveAnswers(t, { vrrp: { ...vrrpStatus, process: proc }, lvsd: lvsPlain });
  const io = captureIo();
  t.is(await run(['--run-dir', dir], io), 0);
  t.regex(
    io.out,
    /^ {2}worker: SCHED_RR 40, nice -5, RLIMIT_RTTIME 200 ms, 1 overrun, longest GC pause 5\.3 ms$/m,
  );
  t.regex(io.out, /^ {2}refused by the kernel: setrlimit\(RLIMIT_RTTIME, 300000 us\)/m);
  t.is(io.out.match(/worker:/g)?.length, 1, 'a worker running as started says nothing');
});
