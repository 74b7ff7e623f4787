// SPDX-License-Identifier: Apache-2.0
/**
 * `ip -ts monitor address` in a namespace of a netns lab (test/netns/harness.ts): address add and
 * delete events with their timestamps, for benches that time when a VIP appears or leaves. `ip`
 * stamps an event when it reads it, so it runs SCHED_FIFO 60 (above the daemons' realtime 40):
 * with the CPUs busy (bench/realtime.ts) a normal `ip` stamped events late.
 */
import type { ChildProcess } from 'node:child_process';
import type { Lab, LabNode } from '../../test/netns/harness.js';

export interface AddrEvent {
  /** Wall-clock ms of the event (ip's userspace timestamp). */
  ts: number;
  addr: string;
  deleted: boolean;
}

export function monitorAddresses(lab: Lab, node: LabNode): { events: AddrEvent[]; stop(): void } {
  const c: ChildProcess = lab.spawn(node.ns, ['chrt', '-f', '60', 'ip', '-ts', 'monitor', 'address']);
  const events: AddrEvent[] = [];
  let buf = '';
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\] (Deleted )?.*inet6? ([0-9a-f.:]+)\//.exec(line);
      if (!m) continue;
      const ts = Date.parse(`${m[1]}Z`) + Number(`0.${m[2]}`) * 1000;
      events.push({ ts, addr: m[4] ?? '', deleted: m[3] !== undefined });
    }
  });
  return { events, stop: () => c.kill('SIGKILL') };
}
