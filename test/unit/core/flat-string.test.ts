// SPDX-License-Identifier: Apache-2.0
// Keys kept as long as a configuration runs are flat strings, not trees of the parts they were built
// from (V8's cons strings): flatString, realKey.
import test from 'ava';
import { flatString } from '../../../src/core/flat-string.js';
import { realKey } from '../../../src/check/types.js';
import { isConsString, minorGc } from '../../helpers/hidden-class.js';

const vsId = (i: number): string => `tcp|inet|192.0.2.${i}|80`;

test('a string built in steps stays a tree unless made flat; flatString makes it flat', (t) => {
  const built: string[] = [];
  const flat: string[] = [];
  for (let i = 0; i < 20; i++) {
    built.push(`${vsId(i)}#10.0.0.${i}|${8000 + i}`);
    flat.push(flatString(`${vsId(i)}#10.0.0.${i}|${8000 + i}`));
  }
  minorGc();
  t.true(built.every(isConsString), 'the control: a template literal is a tree of its parts');
  t.false(flat.some(isConsString));
  t.deepEqual(flat, built, 'the same strings to JavaScript');
});

test('realKey gives a flat key', (t) => {
  const keys = Array.from({ length: 20 }, (_, i) =>
    realKey(vsId(i), { address: `10.0.0.${i}`, port: 8000 + i }),
  );
  minorGc();
  t.false(keys.some(isConsString));
  t.is(keys[3], 'tcp|inet|192.0.2.3|80#10.0.0.3|8003');
});
