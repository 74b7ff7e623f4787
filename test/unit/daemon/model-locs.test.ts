// SPDX-License-Identifier: Apache-2.0
// A model file's reader gives the source locations of what it parses one string per config path,
// not a copy each (JSON.parse's way): model-locs.ts, through parseModelText.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { withFingerprints } from '../../../src/config/fingerprints.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { modelFileText, parseModelText } from '../../../src/daemon/model-file.js';
import { shareLocPaths } from '../../../src/daemon/model-locs.js';
import { stringCopies } from '../../helpers/heap-strings.js';

const SERVICES = 20;
const REALS = 5;

/** model.json's text of SERVICES x REALS reals with TCP_CHECK, read from `path`. */
function modelText(path: string): string {
  const real = (i: number) => `  real_server 10.0.${i}.1 80 {\n    TCP_CHECK {\n    }\n  }\n`;
  let text = '';
  for (let v = 0; v < SERVICES; v++) {
    text += `virtual_server 192.0.2.${v} 80 {\n  protocol TCP\n`;
    for (let r = 0; r < REALS; r++) text += real(r);
    text += '}\n';
  }
  const parsed = parseConfigText(text, path);
  if (!parsed.model) throw new Error(parsed.diagnostics[0]?.message);
  return modelFileText(withFingerprints(parsed.model));
}

test('every location read from a model file names its path with one string', async (t) => {
  const path = `/etc/lvsd/locs-${randomBytes(6).toString('hex')}.conf`;
  const text = modelText(path);
  const lines = text.split('\n').slice(1, 1 + SERVICES);
  // the control: each virtual server, each real and each checker has a location of its own
  const plain = lines.map((l) => JSON.parse(l) as unknown);
  const locs = SERVICES * (1 + 2 * REALS);
  t.true((await stringCopies(path)) >= locs, 'JSON.parse makes a copy for every location');
  plain.length = 0;
  const before = await stringCopies(path);
  const model: Model = parseModelText(text);
  t.is(model.virtualServers.length, SERVICES);
  t.is(model.virtualServers[3]!.realServers[2]!.loc.file, path);
  const copies = await stringCopies(path);
  // one in the header's list of files read, one that every location of every virtual server shares
  t.is(copies, before + 2, `the model shares one (${before} before it was read, ${copies} after)`);
  t.is(model.virtualServers.length, SERVICES, 'the model lived through the count');
});

test('shareLocPaths leaves the data as it was, locations anywhere in it', (t) => {
  const data = () => ({
    loc: { file: 'a.conf', line: 1, col: 1 },
    list: [{ loc: { file: 'b.conf', line: 2, col: 3 } }, null, 4, 'loc'],
    deep: { inner: { loc: { file: 'a.conf', line: 9, col: 9 } }, loc: { line: 1 } },
  });
  const paths = new Map<string, string>();
  const d = data();
  shareLocPaths(d, paths);
  t.deepEqual(d, data());
  t.deepEqual([...paths.keys()].sort(), ['a.conf', 'b.conf']);
});
