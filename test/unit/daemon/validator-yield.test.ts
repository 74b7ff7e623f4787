// SPDX-License-Identifier: Apache-2.0
// A validating child, once it has answered, yields the CPU to the workers (check-config.ts
// `yieldToTheWorkers`): what it still does (model.json written whole after a delta, its exit) waits
// on nothing, and on a director with busy cores it took CPU from the LVS worker applying the model
// (bench/results/reload-delta.md). Real processes: the child's threads are read from /proc while it
// writes model.json whole, after its answer.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOWEST_NICE } from '../../../src/daemon/process-priority.js';
import { placeModelFiles, writeModelFiles } from '../../../src/daemon/run-config.js';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';
import { StandbyValidator } from '../../../src/daemon/validator-standby.js';
import { processIdle, threadNices } from '../../fakes/process-idle.js';

test('after its answer, a child writing model.json whole runs at the lowest priority', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-yield-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lvs.conf');
  // large enough that model.json whole takes the child a while after its answer
  const edit = (w: number): void =>
    writeFileSync(
      file,
      Array.from({ length: 3000 }, (_v, i) => {
        const a = `${(i >> 8) & 255}.${i & 255}`;
        return `virtual_server 10.1.${a} 80 {\n  protocol TCP\n  real_server 10.2.${a} 80 {\n    weight ${i === 7 ? w : 1}\n    TCP_CHECK {\n    }\n  }\n}\n`;
      }).join(''),
    );
  edit(1);
  const e = { configFile: file, configId: 'yield', lenient: false, filesDir: dir };
  const modelPath = join(dir, 'model.json');
  const start = await validateConfigInChild({ ...e, view: 'files', filesDir: undefined });
  if (!start.files) return t.fail(JSON.stringify(start.diagnostics));
  writeModelFiles(modelPath, start.files);
  const s = new StandbyValidator(e);
  t.teardown(() => s.close());
  s.prepare();
  const pid = s.waitingPid!;
  t.true(await processIdle(pid), 'the standby read the file and waits');
  edit(5);
  const r = await s.validate(e);
  if (!r.written?.delta) return t.fail(JSON.stringify(r.diagnostics));
  // answered with a delta: from here on it writes model.json whole, then exits
  const seen: number[][] = [];
  for (let nices = threadNices(pid); nices !== undefined; nices = threadNices(pid)) {
    seen.push(nices);
    if (nices.every((n) => n === LOWEST_NICE)) break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  t.true(await r.wholeWritten!, 'the child wrote model.json');
  placeModelFiles(modelPath, r);
  t.true(seen.length > 0, 'seen before its exit');
  t.deepEqual(
    [...new Set(seen.at(-1))],
    [LOWEST_NICE],
    `every thread at nice ${LOWEST_NICE} (lvsd's own: ${getPriority()})`,
  );
  return undefined;
});
