// SPDX-License-Identifier: Apache-2.0
/**
 * The real FULLNAT dependencies: the nftables CLI, `ip -j route get`, and /proc for the IPVS
 * conntrack sysctl. nft by absolute path (src/nft/nft-cli.io.ts says why).
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { nftPath } from '../nft/nft-cli.io.js';
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

export const realFullNatDeps: FullNatDeps = {
  nft: (args, input) => runCmd(nftPath, args, input),
  readSysctl: (p) => readFile(p, 'utf8'),
  writeSysctl: (p, v) => writeFile(p, v),
  routeSource: async (address) => parseRouteSource(await runCmd('ip', ['-j', 'route', 'get', address])),
};
