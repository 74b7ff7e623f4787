// SPDX-License-Identifier: Apache-2.0
/**
 * The one notify-FIFO writer on real files (no root): creates a missing FIFO 0600, a reader gets
 * keepalived-format lines (VRRP's and the checkers'), anything but a FIFO at the path is refused
 * and left unchanged, a full FIFO drops and counts.
 */
import test from 'ava';
import {
  closeSync,
  constants,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/log.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import { makeFifo } from '../../../src/net/raw-socket.io.js';
import { NotifyFifos, openNotifyFifo } from '../../../src/script/fifo.io.js';
import { Notifier } from '../../../src/vrrp/notifier.io.js';

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger that records error/warn messages. */
function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = {
    ...silentLogger,
    error: (msg, f) => void lines.push(`error ${msg} ${String(f?.['reason'] ?? '')}`),
    warn: (msg) => void lines.push(`warn ${msg}`),
  };
  return { log, lines };
}

/** Everything a non-blocking reader can read now. */
function drain(fd: number): string {
  const buf = Buffer.alloc(1 << 16);
  let text = '';
  for (;;) {
    let n = 0;
    try {
      n = readSync(fd, buf);
    } catch {
      return text; // EAGAIN: empty
    }
    if (n === 0) return text;
    text += buf.subarray(0, n).toString();
  }
}

test('a missing FIFO is created 0600 and a reader gets keepalived-format lines', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'notify.fifo');
  const n = new Notifier({ log: silentLogger, fifos: [path] });
  const st = lstatSync(path);
  t.true(st.isFIFO());
  t.is(st.mode & 0o777, 0o600);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  t.teardown(() => closeSync(reader));
  n.stateChanged({ kind: 'INSTANCE', name: 'VI_1' }, 'MASTER', 150);
  n.stateChanged({ kind: 'GROUP', name: 'G1' }, 'BACKUP', 0);
  t.is(drain(reader), 'INSTANCE "VI_1" MASTER 150\nGROUP "G1" BACKUP 0\n');
  await n.close();
  // the checkers' lines go through the same writer
  const lvs = new NotifyFifos([path], silentLogger);
  lvs.write('RS [192.168.1.10]:tcp:80 [10.0.0.1]:tcp:80 UP\n');
  t.is(drain(reader), 'RS [192.168.1.10]:tcp:80 [10.0.0.1]:tcp:80 UP\n');
  t.deepEqual(lvs.counters, { written: 1, dropped: 0 });
  lvs.close();
});

test('an existing FIFO is opened as it is (not re-created); without a reader a write neither blocks nor fails', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'fifo');
  makeFifo(path, 0o640);
  const r = openNotifyFifo(path);
  t.like(r, { ok: true, created: false });
  if (r.ok) closeSync(r.fd);
  t.is(statSync(path).mode & 0o777, 0o640 & ~process.umask());
  const w = new NotifyFifos([path], silentLogger);
  t.is(w.write('INSTANCE "VI_1" BACKUP 100\n'), 0);
  w.close();
});

test('a regular file at the path is refused and left unchanged', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'notify.fifo');
  writeFileSync(path, 'precious\n', { mode: 0o644 });
  const before = statSync(path);
  const r = openNotifyFifo(path);
  t.deepEqual(r, { ok: false, reason: 'a regular file is at the path, not a FIFO' });
  const { log, lines } = recorder();
  const w = new NotifyFifos([path], log);
  t.is(w.open, 0);
  t.is(w.write('INSTANCE "VI_1" MASTER 100\n'), 0);
  t.deepEqual(lines, [`error notify FIFO not used a regular file is at the path, not a FIFO`]);
  const after = statSync(path);
  t.is(readFileSync(path, 'utf8'), 'precious\n');
  t.is(after.mtimeMs, before.mtimeMs);
  t.is(after.ino, before.ino);
  t.is(after.mode, before.mode);
});

test('a symlink at the path is refused (to a regular file or to a FIFO) and its target left unchanged', (t) => {
  const dir = scratch(t);
  const target = join(dir, 'target');
  writeFileSync(target, 'precious\n');
  const link = join(dir, 'notify.fifo');
  symlinkSync(target, link);
  t.deepEqual(openNotifyFifo(link), { ok: false, reason: 'a symbolic link is at the path, not a FIFO' });
  t.is(readFileSync(target, 'utf8'), 'precious\n');
  t.true(lstatSync(link).isSymbolicLink());
  const fifo = join(dir, 'real.fifo');
  makeFifo(fifo, 0o600);
  const toFifo = join(dir, 'link-to-fifo');
  symlinkSync(fifo, toFifo);
  t.deepEqual(openNotifyFifo(toFifo), { ok: false, reason: 'a symbolic link is at the path, not a FIFO' });
  // a dangling symlink is not followed to create a FIFO where it points
  const dangling = join(dir, 'dangling');
  symlinkSync(join(dir, 'nowhere'), dangling);
  t.like(openNotifyFifo(dangling), { ok: false });
  t.throws(() => lstatSync(join(dir, 'nowhere')));
});

test('a directory or a missing parent is refused', (t) => {
  const dir = scratch(t);
  t.deepEqual(openNotifyFifo(dir), { ok: false, reason: 'a directory is at the path, not a FIFO' });
  t.deepEqual(openNotifyFifo(join(dir, 'no', 'fifo')), { ok: false, reason: 'cannot create it: ENOENT' });
});

test('a full FIFO drops the line and counts it; lines flow again once the reader catches up', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'fifo');
  const { log, lines } = recorder();
  const w = new NotifyFifos([path], log);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  t.teardown(() => closeSync(reader));
  const line = `INSTANCE "${'V'.repeat(100)}" MASTER 100\n`;
  let written = 0;
  while (w.write(line) === 0) written++; // fill the pipe buffer (64 KiB by default)
  t.true(written > 100);
  t.is(w.write(line), 1);
  t.deepEqual(w.counters, { written, dropped: 2 });
  t.deepEqual(lines, ['warn notify FIFO full, lines dropped'], 'one warning per run of drops');
  const text = drain(reader);
  t.is(text, line.repeat(written), 'no partial line reached the reader');
  t.is(w.write(line), 0);
  t.is(drain(reader), line);
  t.is(w.counters.written, written + 1);
  w.close();
});
