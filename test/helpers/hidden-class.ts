// SPDX-License-Identifier: Apache-2.0
/**
 * How many V8 hidden classes (maps) a list of objects has: one per distinct shape is what code that
 * reads them many times wants. On Node 20 (V8 11) a copy by spread that adds properties
 * (`{ ...base, kind }`) gets a class of its own each time it runs, and every read of such objects is
 * a megamorphic lookup. Also whether a string is held as a tree of its parts (a cons string: strings
 * have maps too), and a collection of the young generation. Uses V8's natives syntax and `gc`,
 * switched on at run time for the functions compiled here.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- natives syntax compiles only in code made after the flag is set
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as <T extends object | string>(
  a: T,
  b: T,
) => boolean;

/** Distinct hidden classes among `objects`. */
export function hiddenClasses(objects: readonly object[]): number {
  const seen: object[] = [];
  for (const o of objects) if (!seen.some((s) => haveSameMap(s, o))) seen.push(o);
  return seen.length;
}

/** A one-byte string that is a tree of two parts (a cons string). */
const consSample = `cons-string-sample-${process.pid}`;

/** Whether V8 holds `s` as a tree of its parts (a one-byte cons string) now: each kind of string has its own map. */
export function isConsString(s: string): boolean {
  return haveSameMap(s, consSample);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (o: { type: 'minor' | 'major' }) => void;

/**
 * A collection of the young generation: it is the one that drops the tree of a cons string made flat
 * (a full collection leaves it), as happens to a key made flat when it is made.
 */
export function minorGc(): void {
  gc({ type: 'minor' });
}
