// SPDX-License-Identifier: Apache-2.0
/**
 * Test helpers for script runs: find live processes by a marker in their command line (/proc),
 * the runs they belong to, which of those are unreaped, and a polling wait with a deadline.
 */
import { readdirSync, readFileSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** Pids of live processes whose command line contains `marker` (zombies have none). */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = read(`/proc/${name}/cmdline`);
    if (cmdline?.replaceAll('\0', ' ').includes(marker)) out.push(Number(name));
  }
  return out;
}

/** A process's state and process group, from /proc/PID/stat (undefined once it is gone). */
function stateAndGroup(pid: string): { state: string; ppid: number; pgrp: number; comm: string } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0] ?? '',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    comm: stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1),
  };
}

/**
 * Watches /proc every 10 ms for processes whose command line has `marker` and collects their
 * process groups: every script run leads its own group, so these are the pids of the runs (the
 * shell), seen while their sleeps lived. `scan()` looks at once (before the caller kills them);
 * `stop()` returns them.
 */
export function watchRuns(marker: string): { scan(): void; stop(): Set<number> } {
  const groups = new Set<number>();
  const look = (): void => {
    for (const pid of processesWith(marker)) {
      const p = stateAndGroup(String(pid));
      if (p) groups.add(p.pgrp);
    }
  };
  look();
  const timer = setInterval(look, 10);
  return {
    scan: look,
    stop() {
      clearInterval(timer);
      look();
      return groups;
    },
  };
}

/**
 * Which of `runs` (pids of script runs) are zombie children of this process: runs the runner
 * failed to reap. Only these runs are looked at: other test files share this process (ava's
 * worker threads), and a child of a file that has ended stays a zombie for good, as no thread
 * waits for it any more. Each as `pid (comm)`, for the failure message.
 */
export function zombieRuns(runs: ReadonlySet<number>): string[] {
  const out: string[] = [];
  for (const pid of runs) {
    const p = stateAndGroup(String(pid));
    if (p?.state === 'Z' && p.ppid === process.pid) out.push(`${pid} ${p.comm}`);
  }
  return out;
}

/** Poll `cond` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function waitUntil(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A `sleep` length unique to this test process and `kind`, to find its processes by. */
export function sleepMarker(kind: number): string {
  return `30.${process.pid}${kind}7`;
}

/** The script every orphan test times out: a shell with a child in the background and one in front. */
export function orphanMaker(marker: string): string[] {
  return ['/bin/sh', '-c', `sleep ${marker} & sleep ${marker}`];
}
