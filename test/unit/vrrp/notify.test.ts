// SPDX-License-Identifier: Apache-2.0
/** Notify FIFO line format (keepalived's) and a real FIFO + script run through the Notifier (no root). */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
  openSync,
  readSync,
  closeSync,
  constants,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../fakes/silent-logger.js';
import { fifoLine } from '../../../src/vrrp/notify.js';
import { Notifier } from '../../../src/vrrp/notifier.io.js';

test('FIFO lines follow keepalived', (t) => {
  t.is(fifoLine('INSTANCE', 'VI_1', 'MASTER', 150), 'INSTANCE "VI_1" MASTER 150\n');
  t.is(fifoLine('GROUP', 'G1', 'BACKUP', 0), 'GROUP "G1" BACKUP 0\n');
});

test('state change writes the FIFO line and runs the state script and `notify` with arguments', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const out = join(dir, 'out');
  const script = join(dir, 'n.sh');
  writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> ${out}\n`);
  chmodSync(script, 0o755);
  const n = new Notifier({ log: silentLogger, fifos: [fifo], timeoutMs: 5000 });
  // a reader opened after the writer: lvsd opened the FIFO O_RDWR, so neither side blocks
  const rfd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  n.stateChanged(
    { kind: 'INSTANCE', name: 'VI_1', master: { argv: [script, 'own'] }, any: { argv: [script] } },
    'MASTER',
    150,
  );
  const buf = Buffer.alloc(256);
  const len = readSync(rfd, buf);
  closeSync(rfd);
  t.is(buf.subarray(0, len).toString(), 'INSTANCE "VI_1" MASTER 150\n');
  for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 2); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const lines = readFileSync(out, 'utf8').trim().split('\n').sort();
  t.deepEqual(lines, [`${script} INSTANCE VI_1 MASTER 150`, `${script} own`].sort());
  t.is(n.counters.started, 2);
  await n.close();
});

test('a script that outlives the timeout is killed and counted', async (t) => {
  const n = new Notifier({ log: silentLogger, timeoutMs: 50 });
  n.run({ argv: ['/bin/sleep', '5'] }, []);
  t.is(n.pending, 1);
  for (let i = 0; i < 100 && n.pending > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(n.pending, 0);
  t.is(n.counters.timedOut, 1);
});

test('a missing script is counted as failed and does not throw', async (t) => {
  const n = new Notifier({ log: silentLogger });
  t.notThrows(() => n.run({ argv: ['/nonexistent/lvsd-script'] }, []));
  for (let i = 0; i < 50 && n.counters.failed === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(n.counters.failed, 1);
});

test('onStateChange hears every state change (the VRRP worker reports them to the supervisor)', (t) => {
  const heard: string[] = [];
  const n = new Notifier({
    log: silentLogger,
    onStateChange: (tg, st, prio) => heard.push(`${tg.kind} ${tg.name} ${st} ${prio}`),
  });
  n.stateChanged({ kind: 'INSTANCE', name: 'VI_1' }, 'MASTER', 150);
  n.stateChanged({ kind: 'GROUP', name: 'G1' }, 'BACKUP', 0);
  n.stateChanged({ kind: 'INSTANCE', name: 'VI_1' }, 'STOP', 0);
  t.deepEqual(heard, ['INSTANCE VI_1 MASTER 150', 'GROUP G1 BACKUP 0', 'INSTANCE VI_1 STOP 0']);
});
