// SPDX-License-Identifier: Apache-2.0
/**
 * Small pieces the benchmarks' reports share: the median and quantiles of a sample, a checkout named by its commit,
 * the machine and keepalived's version, and writing a report into bench/results/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile by nearest rank (q = 0: the least, 1: the largest); NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

/**
 * A built checkout of lvsd as an A/B report names it: its commit, marked `+ changes` when its work
 * tree differs from it; its path when it is not a git checkout.
 */
export function checkoutLabel(dir: string): string {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + changes' : ''}`;
  } catch {
    return dir;
  }
}

/** Write `md` as bench/results/NAME.md of the checkout (this file runs as dist/bench/lib/summary.js) and print it. */
export function writeReport(name: string, md: string): void {
  const dir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}${name}.md`, md);
  console.log(md);
}

/** The 1, 5 and 15 minute load averages as a report prints them. */
export function loadAverage(digits = 2): string {
  return loadavg()
    .map((x) => x.toFixed(digits))
    .join(' ');
}

/** keepalived's version line (`Keepalived v2.2.7 (01/16,2022)`; it prints it on stderr, exit 0). */
export function keepalivedVersion(): string {
  const r = spawnSync('keepalived', ['--version'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() || 'keepalived ?';
}

/** The machine as the side-by-side reports name it: CPUs, kernel, Node, and keepalived's version. */
export function machineAndKeepalived(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()}, Node ${process.version}; ${keepalivedVersion()}`;
}
