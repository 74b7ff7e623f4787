// SPDX-License-Identifier: Apache-2.0
/**
 * A throw-away copy of this machine's own root file system to install a package into: an overlay
 * whose lower layer is `/` (read-only through the overlay) and whose upper layer is a tmpfs the
 * test owns, entered with chroot in a private mount namespace (`unshare --mount`), with its own
 * /proc, /run and /tmp and the host's /dev. dpkg, systemd-analyze and man then run against a
 * Debian system that has the package installed, and nothing reaches the host: every write lands
 * in the tmpfs, which `close()` unmounts. The upper layer outlives each `run`, so steps (install,
 * use, remove, purge) see each other's effects. No /run/systemd/system: maintainer scripts behave
 * as in a chroot or an image build (no daemon-reload, no start). Needs root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** The mounts made in the private namespace, then the step, run by bash inside the chroot. */
const enter = `set -e
mount --make-rprivate /
r=$LVSD_OVERLAY/root
mount -t overlay overlay -o lowerdir=/,upperdir=$LVSD_OVERLAY/upper,workdir=$LVSD_OVERLAY/work "$r"
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb \\
  /bin/bash -c "$1"`;

export class OverlayRoot {
  private constructor(readonly dir: string) {}

  /** A fresh overlay of `/` (a tmpfs mounted on a new directory under the temp dir). */
  static create(): OverlayRoot {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-overlay-'));
    must('mount', ['-t', 'tmpfs', '-o', 'mode=0700', 'tmpfs', dir]);
    for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d));
    return new OverlayRoot(dir);
  }

  /** Where a host file must be written to appear at `path` inside (the upper layer). */
  upperPath(path: string): string {
    return join(this.dir, 'upper', path);
  }

  /** Run a bash script inside; resolves with its exit code and output (never rejects on failure). */
  run(script: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('unshare', ['--mount', '--fork', 'bash', '-c', enter, 'enter', script], {
        env: { ...process.env, LVSD_OVERLAY: this.dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Unmount the tmpfs (everything done inside goes with it) and remove its directory. */
  close(): void {
    spawnSync('umount', [this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
