// SPDX-License-Identifier: Apache-2.0
// The LVS worker gives malloc's freed pages back to the kernel after V8's major collections
// (src/daemon/malloc-release.ts): the spacing of the trims with a fake clock, and for real that a
// major collection is acted on and that native mallocTrim returns pages freed in the middle of the heap.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { FreedMemoryRelease } from '../../../src/daemon/malloc-release.js';
import { releaseFreedMemory } from '../../../src/daemon/malloc-release.io.js';
import { FakeClock } from '../../fakes/fake-clock.js';

function release(clock: FakeClock, answers: boolean[] = []): { r: FreedMemoryRelease; trims: number[] } {
  const trims: number[] = [];
  const r = new FreedMemoryRelease({
    trim: () => {
      trims.push(clock.now());
      return answers.shift() ?? true;
    },
    clock,
    timers: clock,
    spacingMs: 10_000,
  });
  return { r, trims };
}

test('the first major collection trims at once; those within the spacing are one trim at its end', (t) => {
  const clock = new FakeClock(1000);
  const { r, trims } = release(clock, [true, false]);
  r.afterMajorGc();
  t.deepEqual(trims, [1000]);
  clock.advance(2000);
  r.afterMajorGc();
  clock.advance(3000);
  r.afterMajorGc(); // already held: no second timer
  t.deepEqual(trims, [1000]);
  clock.advance(4999);
  t.deepEqual(trims, [1000]);
  clock.advance(1);
  t.deepEqual(trims, [1000, 11_000]);
  t.deepEqual(r.counters(), { trims: 2, released: 1 });
  clock.advance(20_000);
  r.afterMajorGc(); // the spacing has passed: at once again
  t.deepEqual(trims, [1000, 11_000, 31_000]);
});

test('stop drops a held trim', (t) => {
  const clock = new FakeClock(0);
  const { r, trims } = release(clock);
  r.afterMajorGc();
  clock.advance(1000);
  r.afterMajorGc();
  r.stop();
  clock.advance(60_000);
  t.deepEqual(trims, [0]);
});

test('releaseFreedMemory trims after a major collection it is told of, and stops listening at stop', (t) => {
  let listener: (() => void) | undefined;
  let removed = 0;
  const handle = releaseFreedMemory((l) => {
    listener = l;
    return () => void removed++;
  });
  t.deepEqual(handle.counters(), { trims: 0, released: 0 });
  listener?.(); // the first major collection: a real malloc_trim(0) through the addon, at once
  t.is(handle.counters().trims, 1);
  handle.stop();
  t.is(removed, 1);
});

test('mallocTrim gives back the pages of buffers freed between live ones (free() alone keeps them)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-trim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const addon = new URL('../../../src/net/raw-socket.io.js', import.meta.url).href;
  const script = join(dir, 'child.mjs');
  // 24 MB of 64 KB buffers (malloc's heap: below its mmap threshold), each followed by a 16 KB one
  // that stays alive: what they free is 384 holes between live allocations, none of it the heap's
  // top, which free() would give back by itself
  writeFileSync(
    script,
    [
      `import { native } from '${addon}';`,
      "import { readFileSync } from 'node:fs';",
      "const rss = () => Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;",
      'let big = [];',
      'const pins = [];',
      'for (let i = 0; i < 384; i++) {',
      '  big.push(Buffer.allocUnsafeSlow(65536).fill(i & 255));',
      '  pins.push(Buffer.allocUnsafeSlow(16384).fill(1));',
      '}',
      'big = null;',
      'gc(); gc();',
      'await new Promise((r) => setTimeout(r, 200));',
      'const before = rss();',
      'const released = native().mallocTrim();',
      'const after = rss();',
      'console.log(JSON.stringify({ before, after, released, pins: pins.length }));',
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, ['--expose-gc', '--single-threaded-gc', script], {
    encoding: 'utf8',
  });
  t.is(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { before: number; after: number; released: boolean };
  const mb = 2 ** 20;
  t.true(m.released, 'malloc_trim said it gave memory back');
  t.true(m.before - m.after >= 12 * mb, `RSS ${m.before / mb} -> ${m.after / mb} MB`);
});
