// SPDX-License-Identifier: Apache-2.0
/**
 * The proc connector (src/net/proc-connector.io.ts, native/proc_events.c) after its receive queue
 * overran, on the real kernel: with the smallest queue the kernel allows and the event loop blocked
 * while 300 processes start and end, the kernel drops events and marks the socket's error. That must
 * reach vrrp_track_process as an `overflow` record (it then scans /proc again), and the socket must go
 * on: a process started afterwards still arrives as exec and exit records. (libuv stops a poll handle
 * on a socket error: left so, every later process event was missed and a tracked process could die
 * unseen.) Host namespace: the proc connector listens from the initial one. Needs root; CI runs as root.
 */
import { execFileSync, spawn } from 'node:child_process';
import test from 'ava';
import { openProcConnector } from '../../../src/net/proc-connector.io.js';

test('an overrun proc connector says so, and goes on delivering process events', async (t) => {
  const kinds: string[] = [];
  const pids = new Map<number, string[]>();
  const pc = openProcConnector({
    rcvBufBytes: 1,
    force: true,
    cmdlineMax: 0,
    onRecords: (records) => {
      for (const r of records) {
        kinds.push(r.kind);
        if ('pid' in r) pids.set(r.pid, [...(pids.get(r.pid) ?? []), r.kind]);
      }
    },
  });
  try {
    const until = async (ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((res) => setTimeout(res, 10));
    };
    // blocked: the kernel queues 600+ events (exec, exit of 300 processes) and drops what does not fit
    execFileSync('bash', ['-c', 'for i in $(seq 300); do /bin/true; done']);
    await until(() => kinds.includes('overflow'));
    t.true(kinds.includes('overflow'), 'the overrun reached the tracker as an overflow record');
    t.true(pc.stats().overflows >= 1);
    // room again (the tracker doubles it after an overflow), so the machine's other processes cannot
    // overrun it a second time and hide the one below
    pc.setRcvBuf(4 << 20, true);
    const child = spawn('/bin/sleep', ['0.2']);
    const pid = child.pid ?? -1;
    await new Promise((res) => child.once('exit', res));
    await until(() => (pids.get(pid) ?? []).includes('exit'));
    t.deepEqual(
      (pids.get(pid) ?? []).filter((k) => k === 'exec' || k === 'exit'),
      ['exec', 'exit'],
      'a process started after the overrun is still seen',
    );
  } finally {
    pc.close();
  }
});
