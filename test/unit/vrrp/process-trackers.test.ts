// SPDX-License-Identifier: Apache-2.0
// The vrrp_track_process runner (src/vrrp/process-trackers.io.ts) on a fake connector, scan and
// timers: initial scan, events, delays, lost events (rescan, bigger buffer), and the fallback to a
// rescan every second when the kernel gives no process events.
import test from 'ava';
import { Buffer } from 'node:buffer';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import type { ProcRecord } from '../../../src/net/proc-records.js';
import type { ProcConnectorOptions } from '../../../src/net/proc-connector.io.js';
import {
  PROCESS_ACK_MS,
  PROCESS_POLL_MS,
  PROCESS_RESCAN_MS,
  startProcessTrackers,
  type ProcessTrackerDeps,
} from '../../../src/vrrp/process-trackers.io.js';
import type { QuorumChange } from '../../../src/vrrp/process-tracking.js';
import { silentLogger } from '../../fakes/silent-logger.js';

function model(body: string): Model {
  const r = parseConfigText(
    `vrrp_track_process tp {\n${body}\n}\nvrrp_track_process unused {\n  process x\n}\n`,
    'mem.conf',
    { configId: 'lvs1', env: {}, lenient: false },
  );
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
}

const scanned = (pid: number, comm: string, cmd = `${comm}\0`): ProcRecord => ({
  kind: 'scan',
  pid,
  comm,
  cmdline: Buffer.from(cmd),
});

/** Fake time, timers, connector and /proc. */
function fakes(opts: { openFails?: boolean } = {}) {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextId = 1;
  const world = {
    procs: [] as ProcRecord[],
    onRecords: undefined as ((r: ProcRecord[]) => void) | undefined,
    opened: undefined as ProcConnectorOptions | undefined,
    closed: false,
    rcvBuf: 212992,
    scans: 0,
  };
  const deps: ProcessTrackerDeps = {
    now: () => now,
    setTimer: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (id) => timers.delete(id as number),
    open: (o) => {
      if (opts.openFails) throw new Error('proc connector: Operation not permitted');
      world.opened = o;
      world.onRecords = o.onRecords;
      return {
        stats: () => ({
          messages: 0,
          overflows: 0,
          viaInitialNetns: false,
          rcvBufBytes: world.closed ? -1 : world.rcvBuf,
        }),
        setRcvBuf: (bytes) => void (world.rcvBuf = bytes * 2),
        close: () => void (world.closed = true),
      };
    },
    scan: (cmdlineMax) => {
      world.scans++;
      return world.procs.map((p) =>
        p.kind === 'scan' ? { ...p, cmdline: p.cmdline.subarray(0, cmdlineMax) } : p,
      );
    },
  };
  /** Advance the fake time, running due timers in order. */
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  const send = (...r: ProcRecord[]) => world.onRecords?.(r);
  return { deps, world, advance, send };
}

test('first scan at start, then events; a terminate_delay runs on the timers; stop closes the socket', (t) => {
  const f = fakes();
  f.world.procs = [scanned(10, 'haproxy'), scanned(11, 'bash')];
  const seen: QuorumChange[] = [];
  const r = startProcessTrackers(
    model('  process haproxy\n  terminate_delay 1'),
    (n) => n === 'tp',
    (c) => seen.push(c),
    silentLogger,
    f.deps,
  );
  if (!r) return t.fail();
  t.deepEqual(seen, [{ name: 'tp', up: true }], 'the scan result, before any event');
  t.is(f.world.opened?.cmdlineMax, 0, 'no command line read without full_command');
  f.send({ kind: 'ack', error: 0 }, { kind: 'exit', pid: 10 });
  f.advance(999);
  t.is(seen.length, 1);
  f.advance(1);
  t.deepEqual(seen.at(-1), { name: 'tp', up: false });
  f.send(
    { kind: 'fork', pid: 20, parent: 11 },
    { kind: 'exec', pid: 20, info: { comm: 'haproxy', cmdline: Buffer.alloc(0) } },
  );
  t.deepEqual(seen.at(-1), { name: 'tp', up: true });
  t.like(r.counters, {
    mode: 'events',
    events: 3,
    rescans: 0,
    trackers: [{ name: 'tp', count: 1, up: true }],
  });
  f.advance(PROCESS_ACK_MS * 5);
  t.is(r.counters.mode, 'events', 'acknowledged: no fallback');
  r.stop();
  t.true(f.world.closed);
  f.send({ kind: 'exit', pid: 20 });
  t.is(seen.length, 3, 'nothing after stop');
});

test('full_command: enough of the command line is read to tell a longer one apart', (t) => {
  const f = fakes();
  f.world.procs = [scanned(1, 'x', 'nginx\0-g\0on\0'), scanned(2, 'x', 'nginx\0-g\0onwards\0')];
  const seen: QuorumChange[] = [];
  const r = startProcessTrackers(
    model('  process nginx -g on\n  quorum_max 1'),
    (n) => n === 'tp',
    (c) => seen.push(c),
    silentLogger,
    f.deps,
  );
  t.is(f.world.opened?.cmdlineMax, 'nginx'.length + 1 + 3 + 3 + 2);
  t.deepEqual(seen, [{ name: 'tp', up: true }]);
  t.like(r?.counters.trackers[0], { count: 1 });
});

test('lost events: the buffer doubles and /proc is scanned again shortly after', (t) => {
  const f = fakes();
  const seen: QuorumChange[] = [];
  const r = startProcessTrackers(
    model('  process haproxy'),
    (n) => n === 'tp',
    (c) => seen.push(c),
    silentLogger,
    f.deps,
  );
  f.send({ kind: 'ack', error: 0 });
  f.world.procs = [scanned(5, 'haproxy')];
  f.send({ kind: 'overflow' }, { kind: 'overflow' });
  t.is(f.world.rcvBuf, 212992 * 4, 'doubled once per batch (the kernel reports twice what was set)');
  t.is(f.world.scans, 1);
  f.advance(PROCESS_RESCAN_MS);
  t.is(f.world.scans, 2);
  t.deepEqual(seen, [
    { name: 'tp', up: false },
    { name: 'tp', up: true },
  ]);
  t.like(r?.counters, { mode: 'events', rescans: 1 });
});

for (const [name, openFails] of [
  ['the socket cannot be opened', true],
  ['the kernel does not answer the listen request', false],
] as const) {
  test(`${name}: lvsd rescans /proc every second instead`, (t) => {
    const f = fakes({ openFails });
    const seen: QuorumChange[] = [];
    const r = startProcessTrackers(
      model('  process haproxy'),
      (n) => n === 'tp',
      (c) => seen.push(c),
      silentLogger,
      f.deps,
    );
    t.deepEqual(seen, [{ name: 'tp', up: false }]);
    f.world.procs = [scanned(5, 'haproxy')];
    f.advance(PROCESS_ACK_MS + PROCESS_POLL_MS);
    t.like(r?.counters, { mode: 'poll' });
    t.deepEqual(seen.at(-1), { name: 'tp', up: true });
    if (!openFails) t.true(f.world.closed, 'the silent socket is closed');
    const scans = f.world.scans;
    f.advance(PROCESS_POLL_MS * 3);
    t.is(f.world.scans, scans + 3);
    r?.stop();
    f.advance(PROCESS_POLL_MS * 3);
    t.is(f.world.scans, scans + 3, 'no scan after stop');
  });
}

test('nothing runs when no instance tracks a process', (t) => {
  const f = fakes();
  t.is(
    startProcessTrackers(
      model('  process haproxy'),
      () => false,
      () => undefined,
      silentLogger,
      f.deps,
    ),
    undefined,
  );
  t.is(f.world.opened, undefined);
  t.is(f.world.scans, 0);
});
