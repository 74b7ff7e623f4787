// SPDX-License-Identifier: Apache-2.0
// Hostile configurations (issue 10, "Config loading is unbounded and blocking") and a runner that
// gives them to the real `bin/lvsd check-config` as an operator would, measuring the exit, the
// output, the wall time and the peak RSS (VmHWM, through test/fixtures/proc/peak-rss.mjs). Shared
// by hostile.test.ts and bench/config-hostile.ts.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

export interface HostileCase {
  name: string;
  /** Create the files in `dir`; returns the main file. */
  make(dir: string): string;
}

export const hostileCases: HostileCase[] = [
  {
    name: 'include of a FIFO',
    make(dir) {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      writeFileSync(join(dir, 'main.conf'), 'global_defs {\n  router_id x\n}\ninclude fifo\n');
      return join(dir, 'main.conf');
    },
  },
  {
    name: 'include of /dev/zero',
    make(dir) {
      writeFileSync(join(dir, 'main.conf'), 'global_defs {\n  router_id x\n}\ninclude /dev/zero\n');
      return join(dir, 'main.conf');
    },
  },
  {
    name: 'include fan-out bomb (9 files that each include *.conf)',
    make(dir) {
      for (let i = 1; i <= 9; i++) writeFileSync(join(dir, `f${i}.conf`), 'include *.conf\n');
      return join(dir, 'f1.conf');
    },
  },
  {
    name: 'a 100 MB file',
    make(dir) {
      // Sparse: created at once, and refused by its size before a byte is read.
      writeFileSync(join(dir, 'big.conf'), '');
      truncateSync(join(dir, 'big.conf'), 100 * 1000 * 1000);
      return join(dir, 'big.conf');
    },
  },
  {
    name: 'an include cycle',
    make(dir) {
      writeFileSync(join(dir, 'a.conf'), 'include b.conf\n');
      writeFileSync(join(dir, 'b.conf'), 'include a.conf\n');
      return join(dir, 'a.conf');
    },
  },
  {
    name: 'a 60 MB line of words (under the byte limit, over the word limit)',
    make(dir) {
      writeFileSync(join(dir, 'words.conf'), `x${' a'.repeat(30_000_000)}\n`);
      return join(dir, 'words.conf');
    },
  },
];

export interface CheckRun {
  /** The exit code, or the signal that ended the process. */
  exit: number | string;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak RSS in MB; undefined when the process did not exit normally. */
  peakMb: number | undefined;
}

/** `bin/lvsd check-config -f FILE` in its own process; killed (SIGKILL) after `killAfterMs`. */
export function runCheckConfig(file: string, scratch: string, killAfterMs = 10_000): Promise<CheckRun> {
  const rssFile = join(scratch, 'peak-rss');
  rmSync(rssFile, { force: true });
  const hook = new URL('test/fixtures/proc/peak-rss.mjs', `file://${root}`).href;
  const args = ['--import', hook, join(root, 'bin/lvsd'), 'check-config', '-f', file, '--config-id', 'lvs1'];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LVSD_PEAK_RSS_FILE: rssFile },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let peakMb: number | undefined;
      try {
        peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        peakMb = undefined;
      }
      resolve({
        exit: code ?? signal ?? 'unknown',
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
        peakMb,
      });
    });
  });
}

/** A scratch directory for one case. */
export function caseDir(base: string, i: number): string {
  const dir = join(base, `case-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
