// SPDX-License-Identifier: Apache-2.0
/**
 * The real file system as the script-security rule's port (security.ts `ScriptFiles`): lstat(2)
 * and readlink(2), never following a link, errors as their errno code.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import type { FileKind, Lstat, Readlink, ScriptFiles } from './security.js';

function kindOf(s: Stats): FileKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  return 'other';
}

function codeOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? String(err.message ?? e);
}

export const realScriptFiles: ScriptFiles = {
  lstat(path): Lstat {
    try {
      const s = lstatSync(path);
      return { ok: true, info: { kind: kindOf(s), uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 } };
    } catch (e) {
      return { ok: false, code: codeOf(e) };
    }
  },
  readlink(path): Readlink {
    try {
      return { ok: true, target: readlinkSync(path) };
    } catch (e) {
      return { ok: false, code: codeOf(e) };
    }
  },
};
