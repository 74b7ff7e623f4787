// SPDX-License-Identifier: Apache-2.0
// Processes of the machine as tests and benches look for them in /proc: by their command line (a
// supervisor's children, a standby validator), and waiting for one to have nothing left to do (a
// standby validator done reading the file, waiting for `go`: its CPU time unchanged for a while).
import { readFileSync, readdirSync } from 'node:fs';

/**
 * The fields of a /proc stat file (`/proc/PID/stat`, `/proc/PID/task/TID/stat`) after the command,
 * which may hold spaces: state is the 1st, utime the 12th, stime the 13th, nice the 17th.
 */
export function statFields(path: string): string[] {
  return (readFileSync(path, 'utf8').split(') ')[1] ?? '').split(' ');
}

/** The nice value of each thread of `pid`; undefined once it has exited. */
export function threadNices(pid: number): number[] | undefined {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) =>
      Number(statFields(`/proc/${pid}/task/${tid}/stat`)[16]),
    );
  } catch {
    return undefined;
  }
}

/**
 * utime and stime of `pid` (clock ticks), as one string, and whether it is runnable; '' once it is
 * gone.
 */
function cpuTicks(pid: number): { ticks: string; runnable: boolean } {
  try {
    const after = statFields(`/proc/${pid}/stat`);
    return { ticks: after.slice(11, 13).join(), runnable: after[0] === 'R' };
  } catch {
    return { ticks: '', runnable: false };
  }
}

/**
 * True once `pid` has used no CPU for `quietMs` and is not waiting for a CPU (a starved process
 * uses none either: a nice-19 one on a busy machine); false after `timeoutMs` or when it is gone.
 */
export async function processIdle(pid: number, quietMs = 600, timeoutMs = 30_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let last = cpuTicks(pid).ticks;
  let since = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuTicks(pid);
    if (now.ticks === '') return false;
    if (now.ticks !== last || now.runnable) [last, since] = [now.ticks, Date.now()];
    else if (Date.now() - since >= quietMs) return true;
  }
  return false;
}

/** Pids of live processes whose command line mentions `needle` (namespaces share the pid space). */
export function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
      if (cmd.includes(needle) && state !== 'Z') out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The validating child waiting for the next reload of `file` (daemon/validator-standby.ts), if one is. */
export function standbyValidator(file: string): number | undefined {
  return processesWith('--result-wait').find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(file);
    } catch {
      return false;
    }
  });
}
