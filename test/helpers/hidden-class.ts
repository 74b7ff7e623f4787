// SPDX-License-Identifier: Apache-2.0
/**
 * How many V8 hidden classes (maps) a list of objects has: one per distinct shape is what code that
 * reads them many times wants. On Node 20 (V8 11) a copy by spread that adds properties
 * (`{ ...base, kind }`) gets a class of its own each time it runs, and every read of such objects is
 * a megamorphic lookup. Uses V8's natives syntax, switched on for the functions compiled here.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- natives syntax compiles only in code made after the flag is set
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: object, b: object) => boolean;

/** Distinct hidden classes among `objects`. */
export function hiddenClasses(objects: readonly object[]): number {
  const seen: object[] = [];
  for (const o of objects) if (!seen.some((s) => haveSameMap(s, o))) seen.push(o);
  return seen.length;
}
