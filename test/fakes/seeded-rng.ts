// SPDX-License-Identifier: Apache-2.0
/** A small seedable PRNG (mulberry32) as the `Rng` port, for deterministic jitter in tests. */
import type { Rng } from '../../src/core/clock.js';

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
