// SPDX-License-Identifier: Apache-2.0
/**
 * VM test helper for the checker tests (root, inside scripts/ipvs-vm.sh): a director namespace
 * and a "reals" namespace joined by a veth pair, with busybox httpd servers on real addresses
 * that a test can stop and start. All traffic stays inside these namespaces.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../helpers/netns.js';
import { createNetns, spawnHttpd } from '../helpers/netns.js';

export interface Lab {
  director: Netns;
  reals: Netns;
  dir: string;
  /** Start an HTTP server on ADDR:80 in the reals namespace (serves index.html). */
  startHttp(addr: string): Promise<void>;
  stopHttp(addr: string): Promise<void>;
  close(): void;
}

/** Wait until a TCP port answers inside a namespace. */
async function waitListening(ns: Netns, addr: string, port: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const r = await ns.run('bash', ['-c', `exec 3<>/dev/tcp/${addr}/${port}`]);
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${addr}:${port} not listening in ${ns.name}`);
}

/** Director 10.9.0.1/24 (d0) <-> reals 10.9.0.2..N/24 (r0). */
export function createLab(realAddrs: string[]): Lab {
  const director = createNetns('d');
  const reals = createNetns('r');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-vmcheck-'));
  const servers = new Map<string, ChildProcess>();
  const close = (): void => {
    for (const p of servers.values()) p.kill('SIGKILL');
    servers.clear();
    director.close();
    reals.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const veth = `v${process.pid % 100000}`;
    execFileSync('ip', [
      'link',
      'add',
      `${veth}a`,
      'netns',
      director.name,
      'type',
      'veth',
      'peer',
      'name',
      `${veth}b`,
      'netns',
      reals.name,
    ]);
    execFileSync('ip', ['-n', director.name, 'link', 'set', `${veth}a`, 'name', 'd0']);
    execFileSync('ip', ['-n', reals.name, 'link', 'set', `${veth}b`, 'name', 'r0']);
    execFileSync('ip', ['-n', director.name, 'addr', 'add', '10.9.0.1/24', 'dev', 'd0']);
    execFileSync('ip', ['-n', director.name, 'link', 'set', 'd0', 'up']);
    for (const a of realAddrs) execFileSync('ip', ['-n', reals.name, 'addr', 'add', `${a}/24`, 'dev', 'r0']);
    execFileSync('ip', ['-n', reals.name, 'link', 'set', 'r0', 'up']);
    const www = join(dir, 'www');
    execFileSync('mkdir', ['-p', www]);
    writeFileSync(join(www, 'index.html'), 'ok\n');
  } catch (e) {
    close();
    throw e;
  }
  return {
    director,
    reals,
    dir,
    async startHttp(addr) {
      servers.set(addr, spawnHttpd(reals, join(dir, 'www'), `${addr}:80`));
      await waitListening(director, addr, 80);
    },
    async stopHttp(addr) {
      const p = servers.get(addr);
      servers.delete(addr);
      if (!p) return;
      const gone = new Promise((res) => p.once('exit', res));
      p.kill('SIGTERM');
      await gone;
    },
    close,
  };
}

/** `ipvsadm -Sn` lines of the namespace, sorted (the kernel's list order depends on history). */
export async function savedTable(ns: Netns): Promise<string[]> {
  return (await ns.ipvsadm('-Sn'))
    .split('\n')
    .filter((l) => l.length > 0)
    .sort();
}

/** Poll until `savedTable` equals `want`; returns the ms it took, or throws with the last table. */
export async function waitTable(ns: Netns, want: string[], timeoutMs: number): Promise<number> {
  const start = Date.now();
  let last: string[] = [];
  while (Date.now() - start < timeoutMs) {
    last = await savedTable(ns);
    if (JSON.stringify(last) === JSON.stringify([...want].sort())) return Date.now() - start;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(
    `IPVS table did not become\n${[...want].sort().join('\n')}\nwithin ${timeoutMs} ms; last:\n${last.join('\n')}`,
  );
}
