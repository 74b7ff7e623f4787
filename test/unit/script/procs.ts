// SPDX-License-Identifier: Apache-2.0
/**
 * Test helpers for script runs: find live processes by a marker in their command line (/proc),
 * this process's unreaped script runs, and a polling wait with a deadline.
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

/**
 * Zombie children of this process that lead their own process group, as every script run does:
 * runs the runner failed to reap. (Other test files share this process and have children of
 * their own, in this process's group.)
 */
export function zombieRuns(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields?.[0] === 'Z' && Number(fields[1]) === process.pid && fields[2] === name)
      out.push(Number(name));
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
