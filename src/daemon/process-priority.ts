// SPDX-License-Identifier: Apache-2.0
/**
 * A process's CPU priority (nice value), every thread of it: Linux keeps one per thread and
 * setpriority(2) on a pid sets only the thread of that id, while V8's collector and compiler
 * threads work for the process too. For the validating children of a reload (validator-standby.ts
 * raises a standby at its `go`; check-config.ts lowers itself once nothing waits on what it does).
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest CPU priority: what runs at it yields to every other process of the same session. */
export const LOWEST_NICE = 19;

/**
 * Every thread of `pid` at `nice`; false when refused (raising a nice value needs CAP_SYS_NICE or
 * RLIMIT_NICE) or when the process is gone. A thread that ended meanwhile is not a refusal.
 */
export function setProcessPriority(pid: number, nice: number): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    threads = [String(pid)]; // no /proc: the main thread only
  }
  let set = 0;
  for (const tid of threads) {
    try {
      setPriority(Number(tid), nice);
      set++;
    } catch (e) {
      // (Node's SystemError: the errno's name is in `info`)
      if ((e as { info?: { code?: string } }).info?.code !== 'ESRCH') return false;
    }
  }
  return set > 0;
}
