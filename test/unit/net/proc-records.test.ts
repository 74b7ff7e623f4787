// SPDX-License-Identifier: Apache-2.0
// The addon's process-event records (native/proc_events.c layout) decoded by src/net/proc-records.ts.
import test from 'ava';
import { argvOf, decodeProcRecords, PROC_RECORD_HEADER } from '../../../src/net/proc-records.js';

/** One record as the addon writes it. */
function rec(kind: number, flags: number, pid: number, other: number, comm = '', cmdline = ''): Buffer {
  const cmd = Buffer.from(cmdline, 'utf8');
  const b = Buffer.alloc((PROC_RECORD_HEADER + cmd.length + 3) & ~3);
  b[0] = kind;
  b[1] = flags;
  b.writeUInt16LE(cmd.length, 2);
  b.writeInt32LE(pid, 4);
  b.writeInt32LE(other, 8);
  b.write(comm, 12, 15, 'utf8');
  cmd.copy(b, PROC_RECORD_HEADER);
  return b;
}

test('every record kind, in order, with padding after odd command lines', (t) => {
  const batch = Buffer.concat([
    rec(1, 1, 100, 0, 'haproxy', '/usr/sbin/haproxy\0-f\0x.cfg\0'),
    rec(2, 0, 101, 100),
    rec(3, 1, 101, 0, 'sleep', 'sleep\0'),
    rec(3, 0, 102, 0),
    rec(4, 1, 101, 0, 'renamed'),
    rec(5, 0, 101, 0),
    rec(6, 0, 0, 0),
    rec(7, 0, 0, 0),
    rec(7, 0, 0, 1),
  ]);
  const got = decodeProcRecords(batch).map((r) =>
    'cmdline' in r
      ? { ...r, cmdline: argvOf(r.cmdline) }
      : 'info' in r && r.info
        ? { ...r, info: { ...r.info, cmdline: argvOf(r.info.cmdline) } }
        : r,
  );
  t.deepEqual(got, [
    { kind: 'scan', pid: 100, comm: 'haproxy', cmdline: ['/usr/sbin/haproxy', '-f', 'x.cfg'] },
    { kind: 'fork', pid: 101, parent: 100 },
    { kind: 'exec', pid: 101, info: { comm: 'sleep', cmdline: ['sleep'] } },
    { kind: 'exec', pid: 102 },
    { kind: 'comm', pid: 101, comm: 'renamed' },
    { kind: 'exit', pid: 101 },
    { kind: 'overflow' },
    { kind: 'ack', error: 0 },
    { kind: 'ack', error: 1 },
  ]);
});

test('a 15-byte comm (the kernel maximum) is read whole', (t) => {
  const [r] = decodeProcRecords(rec(4, 1, 5, 0, 'abcdefghijklmno'));
  t.deepEqual(r, { kind: 'comm', pid: 5, comm: 'abcdefghijklmno' });
});

test('a truncated or unknown record ends the batch', (t) => {
  const good = rec(5, 0, 9, 0);
  t.deepEqual(decodeProcRecords(Buffer.concat([good, rec(9, 0, 1, 0)])), [{ kind: 'exit', pid: 9 }]);
  const cut = rec(1, 1, 3, 0, 'x', 'abcdef').subarray(0, PROC_RECORD_HEADER + 2);
  t.deepEqual(decodeProcRecords(Buffer.concat([good, cut])), [{ kind: 'exit', pid: 9 }]);
  t.deepEqual(decodeProcRecords(Buffer.alloc(0)), []);
});

test('argvOf: NUL-separated words; a rewritten command line without NULs is one word; empty is none', (t) => {
  t.deepEqual(argvOf(Buffer.from('a\0b c\0\0d\0')), ['a', 'b c', '', 'd']);
  t.deepEqual(argvOf(Buffer.from('nginx: worker process')), ['nginx: worker process']);
  t.deepEqual(argvOf(Buffer.alloc(0)), []);
});
