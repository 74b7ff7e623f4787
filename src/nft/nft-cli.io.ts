// SPDX-License-Identifier: Apache-2.0
/**
 * The nftables CLI as lvsd runs it: one script on stdin (`nft -f -`), which nftables applies as
 * one transaction, all or nothing. Found by absolute path: a bare `nft` can resolve to another
 * program of that name on PATH (npm puts node_modules/.bin first, and ava depends on @vercel/nft).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const nftPath: string =
  ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => existsSync(p)) ?? 'nft';

/** Run `nft -f -` with `script`; rejects with nft's error text. */
export function runNftScript(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nftPath, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(err.trim() || `nft exited ${code}`)),
    );
    child.stdin.end(script);
  });
}
