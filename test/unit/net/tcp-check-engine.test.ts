// SPDX-License-Identifier: Apache-2.0
/**
 * The native TCP check engine against real sockets on loopback (127.0.0.0/8 only): connected,
 * refused, deadline, source binding, quiet successes, parking until resume, removal, lateness
 * counting and stop. No root needed.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import test from 'ava';
import type { ProbeResult } from '../../../src/check/result.js';
import type { TcpCheckEngine } from '../../../src/check/tcp-engine.js';
import { nativeTcpEngine } from '../../../src/net/tcp-check-engine.io.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Server {
  port: number;
  accepted: string[];
  close(): Promise<void>;
}

async function server(host = '127.0.0.1'): Promise<Server> {
  const accepted: string[] = [];
  const s = net.createServer((c) => {
    accepted.push(`${c.remoteAddress}:${c.remotePort}`);
    c.on('error', () => {});
    c.destroy();
  });
  await new Promise<void>((r) => s.listen(0, host, r));
  return {
    port: (s.address() as net.AddressInfo).port,
    accepted,
    close: () => new Promise((r) => s.close(() => r())),
  };
}

async function closedPort(): Promise<number> {
  const s = await server();
  await s.close();
  return s.port;
}

/**
 * A listener whose accept queue is full and never drained (a child process that blocks right after
 * listen with backlog 1, plus four connections to fill the queue): further SYNs are dropped, so a
 * connect there hits its deadline, on loopback.
 */
async function blackhole(): Promise<{ port: number; fillers: net.Socket[]; child: ChildProcess }> {
  const code = `const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{process.send(s.address().port);Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20000)})`;
  const child = fork('-e', [code], { execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  child.unref();
  const port = await new Promise<number>((r) => child.once('message', (m) => r(Number(m))));
  child.disconnect();
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const f = net.connect(port, '127.0.0.1');
    f.on('error', () => {});
    fillers.push(f);
  }
  await sleep(100);
  return { port, fillers, child };
}

function collect(): {
  results: Array<{ id: number; result: ProbeResult; late: number }>;
  engine: (resume?: (e: TcpCheckEngine, id: number, r: ProbeResult) => void) => TcpCheckEngine;
} {
  const results: Array<{ id: number; result: ProbeResult; late: number }> = [];
  return {
    results,
    engine: (resume) => {
      const e: TcpCheckEngine = nativeTcpEngine(
        (id, result, late) => {
          results.push({ id, result, late });
          resume?.(e, id, result);
        },
        { threads: 2, lateMs: 50 },
      );
      return e;
    },
  };
}

test('connected and refused are reported; a reported check waits for resume', async (t) => {
  const srv = await server();
  const { results, engine } = collect();
  const e = engine();
  e.add(1, { host: '127.0.0.1', port: srv.port, family: 4 }, 500, 50, 0);
  e.add(2, { host: '127.0.0.1', port: await closedPort(), family: 4 }, 500, 50, 0);
  await sleep(300);
  // Parked after the first report: no resume, so exactly one probe each.
  t.deepEqual(results.map((r) => [r.id, r.result]).sort(), [
    [1, { ok: true }],
    [2, { ok: false, reason: 'ECONNREFUSED' }],
  ]);
  t.is(srv.accepted.length, 1);
  e.resume(2, 0, false);
  await sleep(200);
  t.is(results.filter((r) => r.id === 2).length, 2, 'resumed: probed once more, then parked again');
  e.stop();
  await srv.close();
});

test('quiet successes are not reported but probed every interval; failures always are', async (t) => {
  const srv = await server();
  const { results, engine } = collect();
  const e = engine((eng, id, r) => eng.resume(id, 50, r.ok));
  e.add(7, { host: '127.0.0.1', port: srv.port, family: 4 }, 500, 50, 0);
  await sleep(600);
  t.is(results.length, 1, 'only the first success reached JavaScript');
  t.true(srv.accepted.length >= 5, `probed every ~50 ms: ${srv.accepted.length} connections`);
  t.true(e.stats(false).runs >= 5);
  await srv.close();
  await sleep(200);
  const failures = results.filter((r) => !r.result.ok);
  t.true(failures.length >= 2, 'each failure is reported');
  t.deepEqual(failures[0]?.result, { ok: false, reason: 'ECONNREFUSED' });
  e.stop();
});

test('a connect that gets no answer ends at its deadline with reason "timeout"', async (t) => {
  const hole = await blackhole();
  const { results, engine } = collect();
  const e = engine();
  const t0 = Date.now();
  e.add(3, { host: '127.0.0.1', port: hole.port, family: 4 }, 300, 1000, 0);
  while (results.length === 0 && Date.now() - t0 < 3000) await sleep(20);
  const took = Date.now() - t0;
  t.deepEqual(results[0]?.result, { ok: false, reason: 'timeout' });
  t.true(took >= 290 && took < 2000, `deadline respected: ${took} ms`);
  e.stop();
  for (const f of hole.fillers) f.destroy();
  hole.child.kill('SIGKILL');
});

test('bindto and bind_port are applied: a free local source works, a taken port or foreign address fails at bind', async (t) => {
  // Sources are asserted through bind's own errors: the probe's RST close resets the accepted
  // connection before a Node server could read its peer address.
  const srv = await server();
  const taken = await server('127.0.0.9');
  const { results, engine } = collect();
  const e = engine();
  e.add(1, { host: '127.0.0.1', port: srv.port, family: 4, localAddress: '127.0.0.9' }, 500, 1000, 0);
  e.add(
    2,
    { host: '127.0.0.1', port: srv.port, family: 4, localAddress: '127.0.0.9', localPort: taken.port },
    500,
    1000,
    0,
  );
  // Not a local address: bind fails, nothing is sent.
  e.add(3, { host: '127.0.0.1', port: srv.port, family: 4, localAddress: '192.0.2.77' }, 500, 1000, 0);
  await sleep(200);
  const byId = new Map(results.map((r) => [r.id, r.result]));
  t.deepEqual(byId.get(1), { ok: true });
  t.deepEqual(byId.get(2), { ok: false, reason: 'EADDRINUSE' });
  t.deepEqual(byId.get(3), { ok: false, reason: 'EADDRNOTAVAIL' });
  t.is(srv.accepted.length, 1);
  e.stop();
  await srv.close();
  await taken.close();
});

test('IPv6 loopback works', async (t) => {
  const srv = await server('::1');
  const { results, engine } = collect();
  const e = engine();
  e.add(5, { host: '::1', port: srv.port, family: 6 }, 500, 1000, 0);
  await sleep(200);
  t.deepEqual(results[0]?.result, { ok: true });
  e.stop();
  await srv.close();
});

test('remove stops the probes; add with a known id replaces the check', async (t) => {
  const a = await server();
  const b = await server();
  const { engine } = collect();
  const e = engine((eng, id) => eng.resume(id, 30, true));
  e.add(1, { host: '127.0.0.1', port: a.port, family: 4 }, 500, 30, 0);
  await sleep(200);
  e.add(1, { host: '127.0.0.1', port: b.port, family: 4 }, 500, 30, 0);
  await sleep(50);
  const aCount = a.accepted.length;
  await sleep(200);
  t.is(a.accepted.length, aCount, 'the replaced target is no longer probed');
  t.true(b.accepted.length >= 3);
  t.is(e.stats(false).checks, 1);
  e.remove(1);
  await sleep(50);
  const bCount = b.accepted.length;
  await sleep(200);
  t.is(b.accepted.length, bCount, 'removed: no more probes');
  t.is(e.stats(false).checks, 0);
  e.stop();
  await a.close();
  await b.close();
});

test('probes that cannot start on time are counted late (the lateness metric)', async (t) => {
  const hole = await blackhole();
  const srv = await server();
  const results: number[] = [];
  // One slot per thread, one thread: a probe stuck on the black hole delays the other one.
  const e = nativeTcpEngine((id) => results.push(id), { threads: 1, maxInFlightPerThread: 1, lateMs: 50 });
  e.add(1, { host: '127.0.0.1', port: hole.port, family: 4 }, 400, 1000, 0);
  await sleep(30);
  e.add(2, { host: '127.0.0.1', port: srv.port, family: 4 }, 400, 1000, 0);
  await sleep(700);
  const s = e.stats(true);
  t.deepEqual(results.sort(), [1, 2]);
  t.is(s.lateRuns, 1);
  t.true(s.maxLatenessMs >= 300, `late by ${s.maxLatenessMs} ms`);
  t.is(e.stats(false).maxLatenessMs, 0, 'a new window starts empty');
  t.is(s.maxInFlight, 1);
  t.is(s.localErrors, 0);
  e.stop();
  for (const f of hole.fillers) f.destroy();
  hole.child.kill('SIGKILL');
  await srv.close();
});

test('after stop nothing is probed or reported, and calls are refused', async (t) => {
  const srv = await server();
  const { results, engine } = collect();
  const e = engine((eng, id) => eng.resume(id, 20, false));
  e.add(1, { host: '127.0.0.1', port: srv.port, family: 4 }, 500, 20, 0);
  await sleep(150);
  e.stop();
  const n = results.length;
  // connects made before stop() may still reach the listener's accept callback a little later (the
  // kernel completed them; the event loop had not run yet): let those land, then nothing more may
  // come while a running engine would have probed every 20 ms
  await sleep(300);
  const settled = srv.accepted.length;
  await sleep(300);
  t.is(results.length, n, 'nothing reported after stop');
  t.is(srv.accepted.length, settled, 'nothing probed after stop');
  t.throws(() => e.stats(false));
  t.notThrows(() => e.stop(), 'stop is idempotent');
  await srv.close();
});

test('out of descriptors is the director’s problem: probes are deferred and counted, never reported as failures', async (t) => {
  // A child with a 64-descriptor limit fills its table, so the engine's socket() gets EMFILE.
  const engineJs = new URL('../../../src/net/tcp-check-engine.io.js', import.meta.url).pathname;
  const srv = await server();
  const script = `
    import { openSync, closeSync } from 'node:fs';
    const { nativeTcpEngine } = await import(${JSON.stringify(engineJs)});
    const results = [];
    const e = nativeTcpEngine((id, r) => { results.push(r); e.resume(id, 20, r.ok); }, { threads: 1 });
    const fds = [];
    try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch {}
    for (let i = 0; i < 5; i++) e.add(i, { host: '127.0.0.1', port: ${srv.port}, family: 4 }, 500, 20, 0);
    await new Promise((r) => setTimeout(r, 300));
    const starved = e.stats(false);
    for (const fd of fds) closeSync(fd);
    await new Promise((r) => setTimeout(r, 400));
    const after = e.stats(false);
    e.stop();
    console.log(JSON.stringify({ starved, after, results }));
  `;
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      'bash',
      ['-c', `ulimit -n 64 && exec "${process.execPath}" --input-type=module -e "$0"`, script],
      { encoding: 'utf8' },
      (err, stdout) => (err ? reject(new Error(err.message)) : resolve(stdout)),
    ),
  );
  const r = JSON.parse(out) as {
    starved: { localErrors: number; lastLocalError: string };
    after: { localErrors: number };
    results: Array<{ ok: boolean }>;
  };
  t.true(r.starved.localErrors > 0, 'deferred while starved');
  t.is(r.starved.lastLocalError, 'EMFILE');
  t.true(r.results.length >= 5, 'every check got its result once descriptors were back');
  t.true(
    r.results.every((x) => x.ok),
    'no real was blamed',
  );
  await srv.close();
});

test('the young-probe cap paces bursts, and a probe to a dead real stops counting after 100 ms', async (t) => {
  const hole = await blackhole();
  const srv = await server();
  const got: Array<[number, number]> = [];
  const t0 = Date.now();
  const e = nativeTcpEngine((id) => got.push([id, Date.now() - t0]), { threads: 1, maxYoungPerThread: 1 });
  e.add(1, { host: '127.0.0.1', port: hole.port, family: 4 }, 1500, 5000, 0);
  await sleep(20);
  e.add(2, { host: '127.0.0.1', port: srv.port, family: 4 }, 1500, 5000, 0);
  while (got.length < 2 && Date.now() - t0 < 3000) await sleep(10);
  const live = got.find(([id]) => id === 2)?.[1] ?? Infinity;
  const dead = got.find(([id]) => id === 1)?.[1] ?? Infinity;
  t.true(live >= 90, `the live probe waited for the dead one's youth: ${live} ms`);
  t.true(live < dead, `and did not wait for its deadline (live ${live} ms, dead ${dead} ms)`);
  e.stop();
  for (const f of hole.fillers) f.destroy();
  hole.child.kill('SIGKILL');
  await srv.close();
});
