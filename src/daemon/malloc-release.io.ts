// SPDX-License-Identifier: Apache-2.0
/**
 * FreedMemoryRelease (malloc-release.ts) wired to this process: V8's major collections seen through
 * perf_hooks 'gc' entries, malloc_trim through the native addon, the real clock and timers.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { native } from '../net/raw-socket.io.js';
import { monotonicClock, realTimers } from './clock.js';
import { FreedMemoryRelease } from './malloc-release.js';

/** Call `onMajor` after each of this process's major (mark-compact) collections; returns the stop. */
export function watchMajorGcs(onMajor: () => void): () => void {
  const observer = new PerformanceObserver((list) => {
    let major = false;
    for (const e of list.getEntries()) {
      // a 'gc' entry's detail (Node >= 16) is absent from this @types/node's PerformanceEntry
      const kind = (e as { detail?: { kind?: number } | null }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major = true;
    }
    if (major) onMajor();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

/** malloc's freed pages given back after each of this process's major collections; returns the stop. */
export function releaseFreedMemory(): () => void {
  const release = new FreedMemoryRelease({
    trim: () => native().mallocTrim(),
    clock: monotonicClock,
    timers: realTimers,
  });
  const unwatch = watchMajorGcs(() => release.afterMajorGc());
  return () => {
    unwatch();
    release.stop();
  };
}
