// SPDX-License-Identifier: Apache-2.0
// A standby's reading kept for its reload (config/load-inputs.io.ts through load.io.ts
// FileReloader.current): handed over only while every file it read and every include pattern's
// expansion is as it was, on the real file system. Each way a file changes under a reading is
// told: its text (of the same size, its mtime set back), a file renamed over it, a file an include
// pattern now matches or no longer does, and a file read right after its change (not trusted).
import test from 'ava';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReloader, loadConfig } from '../../../src/config/load.io.js';
import { SETTLE_MS } from '../../../src/config/load-inputs.io.js';

function withTmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-inputs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const vs = (i: number, weight = 1): string =>
  `virtual_server 192.0.2.${i} 80 {\n  protocol TCP\n  real_server 10.0.0.${i} 80 {\n    weight ${weight}\n  }\n}\n`;

/** Past the time a change takes to be trusted in a reading. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, SETTLE_MS + 30));

const weights = (r: ReturnType<FileReloader['load']>): number[] =>
  (r.model?.virtualServers ?? []).flatMap((v) => v.realServers.map((rs) => rs.weight));

test('a settled reading is handed over while the file is as read; an edit of the same size under an old mtime is read again', async (t) => {
  const dir = withTmp(t);
  const file = join(dir, 'lvs.conf');
  writeFileSync(file, vs(1) + vs(2));
  await settle();
  const r = new FileReloader(file, { env: {} });
  const first = r.load();
  t.false(r.stale());
  t.is(r.current(), first, 'the same reading, not read again');
  t.is(r.last.way, 'ahead');
  const mtime = statSync(file).mtime;
  writeFileSync(file, vs(1) + vs(2, 7)); // the same size
  utimesSync(file, mtime, mtime); // and mtime set back (cp -p, rsync -t): ctime still moves
  const again = r.current();
  t.not(again, first);
  t.deepEqual(weights(again), [1, 7]);
  t.not(r.last.way, 'ahead');
});

test('a reading right after the change is not trusted; once the change settled, it is read again and then trusted', async (t) => {
  const dir = withTmp(t);
  const file = join(dir, 'lvs.conf');
  writeFileSync(file, vs(1));
  const r = new FileReloader(file, { env: {} });
  const first = r.load(); // within SETTLE_MS of its write
  t.false(r.stale(), 'not worth reading again before the change settled');
  const again = r.current();
  t.not(again, first, 'read again at the reload');
  await settle();
  t.true(r.stale(), 'worth reading again now: that reading may be trusted');
  const third = r.load();
  t.false(r.stale());
  t.is(r.current(), third);
  t.is(r.last.way, 'ahead');
});

test('a file renamed over the one read (an editor’s save) is read again', async (t) => {
  const dir = withTmp(t);
  const file = join(dir, 'lvs.conf');
  writeFileSync(file, vs(1));
  await settle();
  const r = new FileReloader(file, { env: {} });
  const first = r.load();
  writeFileSync(join(dir, 'lvs.conf.new'), vs(1, 3));
  const { mtime } = statSync(file);
  utimesSync(join(dir, 'lvs.conf.new'), mtime, mtime);
  renameSync(join(dir, 'lvs.conf.new'), file);
  await settle();
  t.true(r.stale());
  const again = r.current();
  t.not(again, first);
  t.deepEqual(weights(again), [3]);
});

test('included files: an edit of one, a file the pattern now matches, one it no longer does, are each read again', async (t) => {
  const dir = withTmp(t);
  mkdirSync(join(dir, 'conf.d'));
  const file = join(dir, 'lvs.conf');
  writeFileSync(file, `include ${join(dir, 'conf.d')}/*.conf\n`);
  writeFileSync(join(dir, 'conf.d', 'a.conf'), vs(1));
  await settle();
  const r = new FileReloader(file, { env: {} });
  let last = r.load();
  t.deepEqual(weights(last), [1]);
  t.deepEqual(r.last, { way: 'whole', parsed: 1 }, 'parsed whole: the included file’s statement');
  t.is(r.current(), last);
  const step = async (change: () => void, want: number[]): Promise<void> => {
    change();
    await settle();
    t.true(r.stale());
    const now = r.current();
    t.not(now, last);
    t.deepEqual(weights(now), want);
    t.deepEqual(weights(now), weights(await loadConfig(file, { env: {} })), 'as a fresh load reads it');
    await settle(); // (read within SETTLE_MS of the change: read once more to be trusted)
    last = r.load();
    t.is(r.current(), last);
  };
  await step(() => writeFileSync(join(dir, 'conf.d', 'a.conf'), vs(1, 5)), [5]);
  await step(() => writeFileSync(join(dir, 'conf.d', 'b.conf'), vs(2, 2)), [5, 2]);
  await step(() => rmSync(join(dir, 'conf.d', 'a.conf')), [2]);
  writeFileSync(join(dir, 'conf.d', 'c.conf.off'), vs(3)); // not matched: nothing read changed
  await settle();
  t.false(r.stale());
  t.is(r.current(), last);
});

test('a file that could not be read is never handed over, and is read again only once it changes', async (t) => {
  const dir = withTmp(t);
  const file = join(dir, 'lvs.conf');
  const r = new FileReloader(file, { env: {} });
  const missing = r.load();
  t.is(missing.model, undefined);
  t.false(r.stale(), 'nothing changed: not read again while waiting');
  t.not(r.current(), missing, 'read again at the reload');
  writeFileSync(file, vs(4));
  await settle();
  t.true(r.stale());
  t.deepEqual(weights(r.load()), [1]);
});
