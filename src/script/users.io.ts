// SPDX-License-Identifier: Apache-2.0
/**
 * `USER [GROUP]` to ids from this machine's /etc/passwd and /etc/group (the rules are in users.ts).
 * Answers are reused for a few seconds: thousands of checkers made at start-up share one read of
 * the files, and a user created later is still picked up. Local files only (no NSS/LDAP).
 */
import { readFileSync } from 'node:fs';
import { resolveIds, type ResolvedIds } from './users.js';

/** How long an answer is reused. */
export const USER_CACHE_MS = 5000;

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // unreadable: every name is unknown, which is what the caller reports
  }
}

const answers = new Map<string, { at: number; ids: ResolvedIds }>();

export function lookupIds(user: string, group?: string): ResolvedIds {
  const key = `${user}\n${group ?? ''}`;
  const now = performance.now();
  const hit = answers.get(key);
  if (hit && now - hit.at < USER_CACHE_MS) return hit.ids;
  const ids = resolveIds(readText('/etc/passwd'), readText('/etc/group'), user, group);
  if (answers.size >= 1024) {
    for (const [k, v] of answers) if (now - v.at >= USER_CACHE_MS) answers.delete(k);
  }
  answers.set(key, { at: now, ids });
  return ids;
}
