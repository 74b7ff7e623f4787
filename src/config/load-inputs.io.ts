// SPDX-License-Identifier: Apache-2.0
/**
 * What one load of a configuration read (each file, each include pattern's expansion), and whether
 * the file system still holds exactly that: a standby validator that read an edit while it waited
 * hands that reading over at its reload's `go` instead of reading the file again
 * (load.io.ts `FileReloader.current`, cli/commands/check-config.ts).
 *
 * "Still" is told by each file's device, inode, size, mtime and ctime as its descriptor had them
 * when it was read (`versionOf`), and each pattern expanding to the same entries. Any change to
 * a file moves its ctime to the kernel's time of the change (no call sets ctime; `touch -d`,
 * `cp -p` and rsync's `-t` set mtime only), and a file replaced by a rename is another inode. The
 * one change a version can miss is one in the same clock tick as the version was taken (the
 * kernel's file times are coarse: a tick is 1–10 ms): a file changed less than `SETTLE_MS` before
 * its reading is recorded as not to be trusted, and read again at the reload (git's "racily clean"
 * index entries, the same rule). I/O: stat and directory listings.
 */
import { statSync } from 'node:fs';
import type { GlobOutcome, ReadOutcome, SourceHost } from './include.js';

/** How long before its reading a file's last change must be for the reading to be trusted. */
export const SETTLE_MS = 50;

/** A file's state now: its version and ctime, undefined when absent. */
function fileState(path: string): { version: string; ctimeNs: bigint } | undefined {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  return st && { version: versionOf(st), ctimeNs: st.ctimeNs };
}

/** The version of a stat (bigint: the times to the nanosecond). */
export function versionOf(st: {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** Whether a file changed at `ctimeNs` may be trusted as read at `readAtMs` (see above). */
export function settledAt(ctimeNs: bigint, readAtMs: number): boolean {
  return ctimeNs <= BigInt(Math.floor(readAtMs - SETTLE_MS)) * 1_000_000n;
}

/**
 * How the inputs of a load stand now: `same`; `changed` (a reading now would see the change, and
 * could be trusted: each changed file's change at least `SETTLE_MS` old); `changing` (a file
 * changed within `SETTLE_MS`: its writer may not be done).
 */
export type InputsNow = 'same' | 'changed' | 'changing';

interface FileInput {
  path: string;
  /** Its version as read, or as found after a read that failed ('absent': none). */
  version: string;
  /** Read whole, its version settled: the reading stands for the file while the version does. */
  trusted: boolean;
  /** Read, but changed too recently to be trusted: worth reading again. */
  unsettled: boolean;
}

interface GlobInput {
  pattern: string;
  maxEntries: number;
  /** What it expanded to (all of it but the count of entries read). */
  expanded: string;
}

const expandedOf = (g: GlobOutcome): string =>
  JSON.stringify([g.paths, g.directories, g.missing, g.truncated]);

/** The inputs of one load, as it records them. */
export class LoadInputs {
  readonly #files: FileInput[] = [];
  readonly #globs: GlobInput[] = [];

  /** A file's reading (`ok` with `version` when it could be told apart from a later state). */
  read(path: string, r: ReadOutcome): void {
    const version = r.ok ? r.version : undefined;
    this.#files.push({
      path,
      version: version ?? fileState(path)?.version ?? 'absent',
      trusted: version !== undefined,
      unsettled: r.ok && version === undefined,
    });
  }

  glob(pattern: string, maxEntries: number, g: GlobOutcome): void {
    this.#globs.push({ pattern, maxEntries, expanded: expandedOf(g) });
  }

  /** Whether every file was read whole and settled: the reading may stand for them. */
  get trusted(): boolean {
    return this.#files.length > 0 && this.#files.every((f) => f.trusted);
  }

  /**
   * How the files and expansions stand now against what was recorded (stat and directory
   * listings); `nowMs`: the wall clock (the files' times are of it). A file read too soon after its
   * change counts as changed once that change settled: read again, it may be trusted.
   */
  now(glob: SourceHost['glob'], nowMs = Date.now()): InputsNow {
    let changing = false;
    for (const f of this.#files) {
      const st = fileState(f.path);
      if ((st?.version ?? 'absent') === f.version && !f.unsettled) continue;
      if (st && !settledAt(st.ctimeNs, nowMs)) changing = true;
      else return 'changed';
    }
    if (changing) return 'changing';
    for (const g of this.#globs)
      if (expandedOf(glob(g.pattern, g.maxEntries)) !== g.expanded) return 'changed';
    return 'same';
  }
}

/** `host`, every file it reads and pattern it expands recorded in `into()`'s inputs. */
export function recordingHost(host: SourceHost, into: () => LoadInputs): SourceHost {
  return {
    readFile(path, maxBytes) {
      const r = host.readFile(path, maxBytes);
      into().read(path, r);
      return r;
    },
    glob(pattern, maxEntries) {
      const g = host.glob(pattern, maxEntries);
      into().glob(pattern, maxEntries, g);
      return g;
    },
  };
}
