// SPDX-License-Identifier: Apache-2.0
/**
 * The real FULLNAT dependencies: the nftables CLI, `ip -j route get`, and /proc for the IPVS
 * conntrack sysctl.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseRouteSource, type FullNatDeps } from './fullnat.js';

function runCmd(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(err.trim() || `nft exited ${code}`)),
    );
    child.stdin.end(input ?? '');
  });
}

/**
 * The nftables CLI by absolute path: a bare `nft` can resolve to another program of that name on
 * PATH (npm puts node_modules/.bin first, and ava depends on @vercel/nft, whose bin is `nft`).
 */
export const nftBinary: string =
  ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => existsSync(p)) ?? 'nft';

export const realFullNatDeps: FullNatDeps = {
  nft: (args, input) => runCmd(nftBinary, args, input),
  readSysctl: (p) => readFile(p, 'utf8'),
  writeSysctl: (p, v) => writeFile(p, v),
  routeSource: async (address) => parseRouteSource(await runCmd('ip', ['-j', 'route', 'get', address])),
};
