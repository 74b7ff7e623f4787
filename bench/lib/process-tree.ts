// SPDX-License-Identifier: Apache-2.0
/** A daemon's processes, for the benches that measure them all (cold-start, footprint). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** `pid` and all its descendants, `pid` first (from one `ps` listing). */
export function processTree(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of rows)
      if (out.has(pp) && !out.has(p)) {
        out.add(p);
        grew = true;
      }
  }
  return [...out];
}

/** A process's resident set in kB (VmRSS: what `ps -o rss` shows); 0 once it is gone. */
export function rssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
