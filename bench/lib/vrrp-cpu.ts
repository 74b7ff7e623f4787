// SPDX-License-Identifier: Apache-2.0
/**
 * CPU of 200 VRRP masters and 200 backups at 1 s adverts (v3), one implementation on both nodes of
 * a namespace pair: the masters' node and the backups' node measured apart, every thread of every
 * process of the node counted (/proc/PID/task/TID/schedstat: a process's own schedstat is its
 * main thread only, which leaves out Node's GC and compiler threads). Used by bench/failover.ts and
 * bench/vrrp-cpu.ts.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLab,
  sleep,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Lab,
  type LabNode,
  repoRoot,
} from '../../test/netns/harness.js';
import { vrrpConf, type InstanceConf } from '../../test/netns/vrrp/conf.js';
import { checkoutLabel } from './summary.js';

export type Impl = 'lvsd' | 'keepalived';

/** One side of a VRRP comparison: this build's lvsd, another built checkout's (`bin`), or keepalived. */
export interface VrrpSide {
  label: string;
  impl: Impl;
  bin?: string;
}

/** This build's lvsd, `other`'s (a built checkout) when given, and keepalived, labelled by commit. */
export function vrrpSides(other?: string): VrrpSide[] {
  return [
    { label: `lvsd (${checkoutLabel(repoRoot)})`, impl: 'lvsd' },
    ...(other
      ? [{ label: `lvsd (${checkoutLabel(other)})`, impl: 'lvsd' as const, bin: join(other, 'bin', 'lvsd') }]
      : []),
    { label: 'keepalived', impl: 'keepalived' },
  ];
}

/** 200 instances (VRIDs 1-200, one VIP each) at this priority. */
export function manyInstances(prio: number, net: number): InstanceConf[] {
  return Array.from({ length: 200 }, (_, k) => ({
    name: `VI_${k + 1}`,
    vrid: k + 1,
    priority: prio,
    version: 3 as const,
    advertInt: 1,
    vips: [`10.${net}.${1 + (k >> 8)}.${(k % 250) + 1}/32`],
    garpMasterDelay: 0,
  }));
}

/** `lvsdBin`: another built checkout's bin/lvsd in place of this one's. */
export function startVrrp(
  impl: Impl,
  lab: Lab,
  node: LabNode,
  inst: InstanceConf[],
  lvsdBin?: string,
): Daemon {
  const conf = vrrpConf(node, inst);
  return impl === 'keepalived' ? startKeepalived(lab, node, conf) : startLvsd(lab, node, conf, lvsdBin);
}

/** sum_exec_runtime (ns) of every thread of a process (0 once it is gone). */
export function processCpuNs(pid: number): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return 0;
  }
  return ns;
}

/** The pids of the processes in a namespace (keepalived: parent + VRRP child). */
export function namespacePids(ns: string): number[] {
  return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

export interface VrrpCpu {
  /** % of one CPU, all threads of all processes of the node. */
  master: number;
  backup: number;
}

/** Masters on one node, backups on the other (started once the masters hold their VIPs), then a window. */
export async function manyCpu(impl: Impl, windowS: number, lvsdBin?: string): Promise<VrrpCpu> {
  const lab = await createLab(2);
  try {
    const [n1, n2] = lab.nodes as [LabNode, LabNode];
    startVrrp(impl, lab, n1, manyInstances(150, lab.net), lvsdBin);
    const lastVip = manyInstances(150, lab.net).at(-1)!.vips[0]!.split('/')[0]!;
    await waitFor('all masters on n1', () => lab.hasAddress(n1, lastVip), 60_000, 100);
    startVrrp(impl, lab, n2, manyInstances(100, lab.net), lvsdBin);
    await sleep(8000); // settle: backups up, past the 5 s second GARP burst
    const p1 = namespacePids(n1.ns);
    const p2 = namespacePids(n2.ns);
    const sum = (ps: number[]) => ps.reduce((a, p) => a + processCpuNs(p), 0);
    const [a1, a2] = [sum(p1), sum(p2)];
    await sleep(windowS * 1000);
    const [b1, b2] = [sum(p1), sum(p2)];
    return { master: ((b1 - a1) / 1e9 / windowS) * 100, backup: ((b2 - a2) / 1e9 / windowS) * 100 };
  } finally {
    await lab.destroy();
  }
}
