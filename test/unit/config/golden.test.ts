// SPDX-License-Identifier: Apache-2.0
// Golden tests: every test/fixtures/conf/broken/NAME.conf gives exactly the diagnostics in
// NAME.expected (`file:line:col: error: message`, paths relative to the fixture directory).
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadConfig } from '../../../src/config/load.io.js';

const dir = fileURLToPath(new URL('../../../../test/fixtures/conf/broken/', import.meta.url));
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.conf'))
  .sort();

test('there are at least 30 broken configs', (t) => {
  t.true(cases.length >= 30, `${cases.length} cases`);
});

for (const name of cases) {
  test(`broken/${name}`, async (t) => {
    const { model, diagnostics } = await loadConfig(dir + name, { configId: 'lvs1', env: {} });
    const got = diagnostics.map((d) => formatDiagnostic(d).replaceAll(dir, ''));
    const expected = readFileSync(dir + name.replace(/\.conf$/, '.expected'), 'utf8')
      .trimEnd()
      .split('\n');
    t.deepEqual(got, expected);
    t.is(model, undefined);
    for (const d of diagnostics) {
      t.true(d.line >= 1 && d.col >= 1, `located: ${formatDiagnostic(d)}`);
      t.regex(d.code, /^LVSD_E_CONFIG_/);
    }
  });
}
