// SPDX-License-Identifier: Apache-2.0
/**
 * Failovers measured on the wire, shared by bench/failover.ts and bench/realtime.ts (root; network
 * namespaces on a bridge made by test/netns/harness.ts): repeated SIGKILLs of one master, and 200
 * instances failing over at once. Times from the dead master's last advert (sniffer with kernel
 * timestamps) to the VIP on the backup (`ip -ts monitor address`) and its first GARP.
 */
import {
  createLab,
  sleep,
  sniff,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Lab,
  type LabNode,
} from '../../test/netns/harness.js';
import { monitorAddresses as monitor } from './addr-monitor.js';
import { vrrpConf, type InstanceConf } from '../../test/netns/vrrp/conf.js';
import { manyInstances, type Impl } from './vrrp-cpu.js';
import { quantile } from './summary.js';

export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

/** One VRRP daemon in a lab node; `globals` are more global_defs lines; `lvsdBin` another build's bin/lvsd. */
export function start(
  impl: Impl,
  lab: Lab,
  node: LabNode,
  inst: InstanceConf[],
  globals: string[] = [],
  lvsdBin?: string,
): Daemon & { killHard(): Promise<void> } {
  const conf = vrrpConf(node, inst, globals);
  if (impl === 'keepalived') return startKeepalived(lab, node, conf);
  const d = startLvsd(lab, node, conf, lvsdBin);
  return {
    ...d,
    async killHard() {
      d.kill('SIGKILL');
      await d.exited();
    },
  };
}

export interface Trial {
  toVip: number;
  toGarp: number;
}

/** Repeated SIGKILL failovers of one pair (v3, advert_int 0.1, priorities 150/100). */
export async function sigkillFailovers(impl: Impl, trials: number, globals: string[] = []): Promise<Trial[]> {
  const lab = await createLab(2);
  try {
    const [n1, n2] = lab.nodes as [LabNode, LabNode];
    const vip = `10.${lab.net}.0.100`;
    const inst = (p: number): InstanceConf[] => [
      { priority: p, version: 3, advertInt: 0.1, vips: [`${vip}/32`], garpMasterDelay: 0 },
    ];
    const sn = await sniff(lab);
    const mon = monitor(lab, n2);
    const d2 = start(impl, lab, n2, inst(100), globals);
    const out: Trial[] = [];
    for (let i = 0; i < trials; i++) {
      const d1 = start(impl, lab, n1, inst(150), globals);
      try {
        await waitFor(
          'master on n1',
          async () => (await lab.hasAddress(n1, vip)) && !(await lab.hasAddress(n2, vip)),
          20_000,
        );
      } catch (e) {
        process.stderr.write(
          `${impl} trial ${i}: ${(e as Error).message}\n--- n1\n${d1.output().slice(-1500)}\n--- n2\n${d2.output().slice(-1500)}\n`,
        );
        await d1.killHard();
        continue;
      }
      await sleep(300 + Math.random() * 1000); // random phase of the advert timer
      const killAt = Date.now();
      await d1.killHard();
      await waitFor('VIP on n2', () => lab.hasAddress(n2, vip), 5000, 5);
      await sleep(50);
      const last = sn.frames
        .filter((f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.ts <= killAt + 5)
        .at(-1);
      const garp = sn.frames.find(
        (f) => f.kind === 'arp' && f.srcMac === n2.mac && f.target === vip && f.ts > killAt,
      );
      const add = mon.events.find((e) => !e.deleted && e.addr === vip && e.ts > killAt);
      if (!last || !garp || !add) {
        process.stderr.write(
          `${impl} trial ${i}: missing ${!last ? 'last advert' : !garp ? 'GARP' : 'VIP event'}\n`,
        );
        continue;
      }
      out.push({ toVip: add.ts - last.ts, toGarp: garp.ts - last.ts });
      process.stderr.write(
        `${impl} trial ${i}: VIP +${f1(add.ts - last.ts)} ms, GARP +${f1(garp.ts - last.ts)} ms\n`,
      );
    }
    d2.kill('SIGKILL');
    sn.stop();
    mon.stop();
    return out;
  } finally {
    await lab.destroy();
  }
}

export interface ManyResult {
  firstVipAfterKill: number;
  lastVipAfterKill: number;
  lastAdvertToVip: { min: number; p50: number; max: number };
  vips: number;
}

/**
 * 200 instances fail over at once (v3, advert_int 1). `globals` go to the backup side; `inspect`
 * reads the backup before it is stopped (its stats dump, whether it still runs); `extra` lines go
 * into every instance of both sides (a notify script); `lvsdBin`: another build's bin/lvsd.
 */
export async function manyFailover<T = undefined>(
  impl: Impl,
  opts: {
    globals?: string[];
    inspect?: (backup: Daemon) => Promise<T>;
    extra?: string[];
    lvsdBin?: string;
  } = {},
): Promise<ManyResult & { inspected?: T }> {
  const lab = await createLab(2);
  try {
    const [n1, n2] = lab.nodes as [LabNode, LabNode];
    const sn = await sniff(lab);
    const mon = monitor(lab, n2);
    const confs = (p: number) =>
      manyInstances(p, lab.net).map((i) => (opts.extra ? { ...i, extra: opts.extra } : i));
    // master side first, then the backups (200 simultaneous elections flap keepalived for a long time)
    const d1 = start(impl, lab, n1, confs(150), [], opts.lvsdBin);
    const lastVip = confs(150).at(-1)!.vips[0]!.split('/')[0]!;
    await waitFor('all masters on n1', () => lab.hasAddress(n1, lastVip), 60_000, 100);
    const d2 = start(impl, lab, n2, confs(100), opts.globals, opts.lvsdBin);
    await sleep(5000 + Math.random() * 1000);
    const killAt = Date.now();
    await d1.killHard();
    await waitFor('all VIPs on n2', async () => (await lab.addresses(n2)).length >= 200 + 2, 40_000, 20);
    await sleep(200);
    const perVrid: number[] = [];
    const adds = mon.events.filter((e) => !e.deleted && e.ts > killAt);
    for (const c of confs(150)) {
      const vip = c.vips[0]!.split('/')[0]!;
      const last = sn.frames
        .filter((f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.vrid === c.vrid && f.ts <= killAt + 5)
        .at(-1);
      const add = adds.find((e) => e.addr === vip);
      if (last && add) perVrid.push(add.ts - last.ts);
    }
    const addTimes = adds.map((e) => e.ts - killAt);
    const inspected = opts.inspect ? await opts.inspect(d2) : undefined;
    d2.kill('SIGKILL');
    sn.stop();
    mon.stop();
    return {
      firstVipAfterKill: Math.min(...addTimes),
      lastVipAfterKill: Math.max(...addTimes),
      lastAdvertToVip: { min: quantile(perVrid, 0), p50: quantile(perVrid, 0.5), max: quantile(perVrid, 1) },
      vips: perVrid.length,
      ...(inspected === undefined ? {} : { inspected }),
    };
  } finally {
    await lab.destroy();
  }
}
