// SPDX-License-Identifier: Apache-2.0
// Hostile inputs to the real `lvsd check-config` (issue 10 item 5): a FIFO include, a /dev/zero
// include, an include fan-out bomb, a 100 MB file, a cycle, and a 60 MB line of words. Each must end
// with exit 1 and a located error, never hang or abort, and keep the peak RSS within 512 MB. The
// child is killed after 10 s (a hang guard, not a timing assertion: each takes well under 2 s here;
// bench/config-hostile.ts records the times).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseDir, hostileCases, runCheckConfig } from '../../fixtures/conf/hostile.js';

const base = mkdtempSync(join(tmpdir(), 'lvsd-hostile-'));
test.after.always(() => rmSync(base, { recursive: true, force: true }));

/** `file:line:col: error: message` with line and column from 1. */
const located = /^\/\S+:[1-9]\d*:[1-9]\d*: error: .+$/m;

hostileCases.forEach((c, i) => {
  // One at a time: the 60 MB case alone is memory enough on a shared machine.
  test.serial(`check-config: ${c.name}: exit 1, a located error, no abort, peak RSS <= 512 MB`, async (t) => {
    const dir = caseDir(base, i);
    const main = c.make(dir);
    const r = await runCheckConfig(main, dir);
    rmSync(dir, { recursive: true, force: true });
    t.log(`${r.ms.toFixed(0)} ms, peak RSS ${r.peakMb?.toFixed(0)} MB`);
    t.is(r.exit, 1, r.stderr.slice(0, 2000));
    t.regex(r.stderr, located);
    t.notRegex(r.stderr, /^lvsd: |FATAL|Abort|RangeError|heap/m);
    t.not(r.peakMb, undefined, 'the process exited normally (its exit hook ran)');
    t.true((r.peakMb ?? Infinity) <= 512, `peak RSS ${r.peakMb} MB`);
  });
});
