// SPDX-License-Identifier: Apache-2.0
// perObject: a value made once per object, the same one given again; another object, another value.
import test from 'ava';
import { perObject } from '../../../src/core/per-object.js';

test('made once per object, given again as made', (t) => {
  let made = 0;
  const sorted = perObject((xs: number[]) => {
    made++;
    return [...xs].sort((a, b) => a - b);
  });
  const a = [3, 1, 2];
  const first = sorted(a);
  t.deepEqual(first, [1, 2, 3]);
  t.is(sorted(a), first, 'the same array, not made again');
  t.is(made, 1);
  const b = [3, 1, 2];
  t.not(sorted(b), first, 'an equal object is another object');
  t.is(made, 2);
});
