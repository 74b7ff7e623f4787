// SPDX-License-Identifier: Apache-2.0
/**
 * FreedMemoryRelease (malloc-release.ts) wired to this process: V8's major collections as the
 * worker's GC observer reports them (gc-pauses.ts), malloc_trim through the native addon, the real
 * clock and timers.
 */
import { native } from '../net/raw-socket.io.js';
import { monotonicClock, realTimers } from './clock.js';
import type { AfterMajorGc } from './gc-pauses.js';
import { FreedMemoryRelease, type FreedMemoryCounters } from './malloc-release.js';

export interface FreedMemoryReleaseHandle {
  /** How many trims ran and how many gave pages back (the LVS worker's status and dump). */
  counters(): FreedMemoryCounters;
  stop(): void;
}

/** malloc's freed pages given back after each of this process's major collections. */
export function releaseFreedMemory(afterMajorGc: AfterMajorGc): FreedMemoryReleaseHandle {
  const release = new FreedMemoryRelease({
    trim: () => native().mallocTrim(),
    clock: monotonicClock,
    timers: realTimers,
  });
  const unwatch = afterMajorGc(() => release.afterMajorGc());
  return {
    counters: () => release.counters(),
    stop: () => {
      unwatch();
      release.stop();
    },
  };
}
