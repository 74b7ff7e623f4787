// SPDX-License-Identifier: Apache-2.0
/**
 * What answers at a VIP, seen from this director (the failover drill's probe, src/vrrp/drill.ts):
 * a TCP connect to each virtual server port on it, and the neighbour entry the VIP resolves to
 * (`ip -j neigh show to VIP dev IF`; the connect, or a datagram to the discard port when there is
 * no virtual server, makes the kernel resolve it).
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type { VipAnswer } from '../vrrp/drill.js';

const run = promisify(execFile);

function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ port: number; ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean, error?: string): void => {
      s.destroy();
      resolve({ port, ok, ...(error !== undefined ? { error } : {}) });
    };
    s.setTimeout(timeoutMs, () => done(false, 'timeout'));
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
  });
}

function nudge(host: string): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.send(Buffer.alloc(0), 9, host, () => {
      s.close();
      resolve();
    });
    s.once('error', () => {
      s.close();
      resolve();
    });
  });
}

async function neighbour(vip: string, ifname: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('ip', ['-j', 'neigh', 'show', 'to', vip, 'dev', ifname]);
    const entries = JSON.parse(stdout || '[]') as Array<{ lladdr?: string; state?: string[] }>;
    return entries.find((e) => e.lladdr && !e.state?.includes('FAILED'))?.lladdr;
  } catch {
    return undefined;
  }
}

export async function probeVip(vip: string, ifname: string, ports: readonly number[]): Promise<VipAnswer> {
  const tcp = await Promise.all(ports.map((p) => tcpConnect(vip, p, 1000)));
  if (ports.length === 0) await nudge(vip);
  const mac = await neighbour(vip, ifname);
  return { ...(mac !== undefined ? { mac } : {}), tcp };
}
