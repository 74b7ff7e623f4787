// SPDX-License-Identifier: Apache-2.0
/**
 * One expensive read shared by the callers that ask close together (pure: the clock is injected):
 * a call while a read is under way joins it, and a call within `maxAgeMs` of the last read's end
 * gets its result. A failed read is not kept. Why not p-memoize: that caches by argument for a
 * time; this is one argument-less read whose concurrent callers must share the one in flight.
 * Used for the kernel's IPVS counters at a metrics scrape (a full dump with stats on the checkers'
 * event loop; the kernel refreshes those counters every 2 s anyway).
 */
import type { Clock } from './clock.js';

export function recentResult<T>(read: () => Promise<T>, maxAgeMs: number, clock: Clock): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  let last: { at: number; value: T } | undefined;
  return () => {
    if (inFlight) return inFlight;
    if (last && clock.now() - last.at < maxAgeMs) return Promise.resolve(last.value);
    const p = read().then(
      (value) => {
        last = { at: clock.now(), value };
        inFlight = undefined;
        return value;
      },
      (e: unknown) => {
        inFlight = undefined;
        throw e;
      },
    );
    inFlight = p;
    return p;
  };
}
