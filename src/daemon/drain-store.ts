// SPDX-License-Identifier: Apache-2.0
/**
 * Where operator drains (`lvsd real drain`) are kept across restarts: a small JSON file in the state
 * directory (`$LVSD_STATE_DIR`, default /var/lib/lvsd, systemd's StateDirectory), written atomically
 * (temporary file + rename) on every change. An unreadable file is reported and ignored: a drain
 * lost is better than a worker that cannot start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DrainStore } from '../check/manager.js';
import type { Logger } from '../core/log.js';

interface DrainFile {
  version: 1;
  /** Real identities as the manager keys them (`service id#address|port`). */
  drained: string[];
}

export function defaultDrainPath(env: Record<string, string | undefined> = process.env): string {
  return join(env['LVSD_STATE_DIR'] ?? '/var/lib/lvsd', 'drains.json');
}

export function fileDrainStore(path: string, log: Logger): DrainStore {
  return {
    load(): string[] {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          log.warn('drain state not read; starting without drains', { path, error: (e as Error).message });
        return [];
      }
      try {
        const f = JSON.parse(text) as Partial<DrainFile>;
        if (f.version !== 1 || !Array.isArray(f.drained) || !f.drained.every((k) => typeof k === 'string'))
          throw new Error('not a version 1 drain file');
        return f.drained;
      } catch (e) {
        log.warn('drain state unreadable; starting without drains', { path, error: (e as Error).message });
        return [];
      }
    },
    save(keys: readonly string[]): void {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      const f: DrainFile = { version: 1, drained: [...keys].sort() };
      writeFileSync(tmp, JSON.stringify(f, null, 2) + '\n', { mode: 0o640 });
      renameSync(tmp, path);
    },
  };
}
