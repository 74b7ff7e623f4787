// SPDX-License-Identifier: Apache-2.0
/**
 * The model files a validating child writes in the supervisor's run directory, under names of its
 * own, for the supervisor to rename into place (run-config.ts `placeModelFiles`) or remove: paths
 * only, and their removal.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicTempPath } from './files.js';

/** Model files a validating child wrote: model.json's path and model.vrrp.json's. */
export interface WrittenModelFiles {
  whole: string;
  vrrp: string;
  /**
   * A delta it wrote first (daemon/model-file.ts: the virtual servers model.json lacks, `lines` of
   * them), answering before `whole` is written (`ValidationResult.wholeWritten`).
   */
  delta?: { path: string; lines: number };
}

/** Where a child may write its model files (a standby may write a delta too). */
export interface PendingModelFiles {
  whole: string;
  vrrp: string;
  delta: string;
}

let pendingSeq = 0;

/** Paths in `dir` of its own for a child's model files (swept at start: `isPendingModelFile`). */
export function pendingModelFiles(dir: string): PendingModelFiles {
  const id = `${process.pid}-${++pendingSeq}`;
  const at = (kind: string): string => join(dir, `model${kind}.pending-${id}.json`);
  return { whole: at(''), vrrp: at('.vrrp'), delta: at('.delta') };
}

/** Whether a run directory's entry is a child's model file left by a supervisor that died. */
export const isPendingModelFile = (name: string): boolean =>
  /^model(\.vrrp|\.delta)?\.pending-[0-9]+-[0-9]+\.json/.test(name);

/** Remove a child's model files (refused, failed, or not used). */
export function discardWritten(w: WrittenModelFiles | undefined): void {
  if (w === undefined) return;
  for (const p of [w.whole, w.vrrp, w.delta?.path]) if (p !== undefined) rmSync(p, { force: true });
}

/**
 * Remove every file a child that gave no model files may have left: those it was to write, and
 * the temporary files of a write it was killed in (files.ts writeChunksAtomic), by its `pid`.
 */
export function discardPending(p: PendingModelFiles, pid: number): void {
  for (const path of [p.whole, p.vrrp, p.delta]) {
    rmSync(atomicTempPath(path, pid), { force: true });
    rmSync(path, { force: true });
  }
}
