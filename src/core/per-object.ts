// SPDX-License-Identifier: Apache-2.0
/**
 * What is made of an object once, kept as long as the object lives (a WeakMap keyed by it): for
 * values derived from objects that are never changed once built (a Model's virtual servers, a
 * check spec, a VRRP instance's config). Memoisation, not state: a module using it stays pure.
 */

/**
 * `make` as a function that makes its value once per object and then gives the same one. Values
 * are objects, never `undefined`: one map lookup per call (as on an advert's receive path).
 */
export function perObject<K extends object, V extends object>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}
