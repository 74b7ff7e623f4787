// SPDX-License-Identifier: Apache-2.0
// Waiting for a process to have nothing left to do (a standby validator done reading the file,
// waiting for `go`): its CPU time in /proc/PID/stat unchanged for a while. For tests and benches.
import { readFileSync } from 'node:fs';

/** utime and stime of `pid` (clock ticks), as one string; '' once it is gone. */
function cpuTicks(pid: number): string {
  try {
    // fields after the command, which may hold spaces: state is the 1st, utime the 12th, stime the 13th
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '';
    return after.split(' ').slice(11, 13).join();
  } catch {
    return '';
  }
}

/** True once `pid` has used no CPU for `quietMs`; false after `timeoutMs` or when it is gone. */
export async function processIdle(pid: number, quietMs = 600, timeoutMs = 30_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let last = cpuTicks(pid);
  let since = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuTicks(pid);
    if (now === '') return false;
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs) return true;
  }
  return false;
}
