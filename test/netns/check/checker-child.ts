// SPDX-License-Identifier: Apache-2.0
/**
 * Runs inside a test namespace (`ip netns exec NS node checker-child.js CONFIG-FILE`): builds every
 * checker of the config through the config layer and the real probe factory (probes.io.ts), runs
 * each probe once (in order, so the shared ICMP socket opens and closes as in the worker) and prints
 * one JSON line: an array of `{ real, type, result }`. Node cannot enter a namespace itself, so
 * checker tests run their probes through this child.
 */
import { readFileSync } from 'node:fs';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { realProbeFactory } from '../../../src/check/probes.io.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import { seededRng } from '../../fakes/seeded-rng.js';

const file = process.argv[2] ?? '';
const { model, diagnostics } = parseConfigText(readFileSync(file, 'utf8'), file, {
  configId: 'lvs1',
  env: {},
});
if (!model) throw new Error(diagnostics.map((d) => d.message).join('; '));
const factory = realProbeFactory(seededRng(7), new ScriptRunner());
const out: Array<{ real: string; type: string; result: unknown }> = [];
for (const vs of checkSpecFromModel(model).virtualServers)
  for (const rs of vs.reals)
    for (const c of rs.checkers) {
      const result = await factory(c, rs)();
      out.push({ real: `${rs.address}:${rs.port}`, type: c.kind, result });
    }
process.stdout.write(`${JSON.stringify(out)}\n`);
