// SPDX-License-Identifier: Apache-2.0
/** Helpers for tests that run real child processes (no root needed). */
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process with this pid exists (a zombie counts: it has not been reaped yet). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Poll `cond` until it holds or `ms` pass; its last value. 20 s by default: forks of node take
 * seconds when ava runs other files beside this one on a loaded 2-core machine (a 5 s wait failed
 * once in CI). A hang still fails.
 */
export async function until(cond: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}
