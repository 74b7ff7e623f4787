// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run keywords`: write docs/keywords.md from the keyword tables (src/config/keywords/ledger.ts).
 * `--check` exits 1 when the committed file differs (the unit test checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildLedger, renderLedger } from '../src/config/keywords/ledger.js';

const path = fileURLToPath(new URL('../../docs/keywords.md', import.meta.url));
const text = renderLedger(buildLedger());
if (process.argv.includes('--check')) {
  const same = readFileSync(path, 'utf8') === text;
  if (!same) process.stderr.write(`${path} is stale: run npm run keywords\n`);
  process.exit(same ? 0 : 1);
}
writeFileSync(path, text);
process.stdout.write(`wrote ${path}\n`);
