// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel's own IPVS counters as metrics: per virtual server and per real server, the
 * connections scheduled, packets and bytes in and out since the service or destination was added
 * (ip_vs's stats, what `ipvsadm -Ln --stats` shows), and each real's active and inactive
 * connections. The LVS worker dumps its table with stats for each scrape (`ipvs-stats` on
 * `lvsd.sock`) and sends it as an `IpvsStatsSnapshot` (plain numbers: JSON has no bigint, and
 * Prometheus samples are doubles anyway). Servers are labelled in lvsd's form (`tcp:10.0.0.1:80`,
 * `fwmark:5`; `10.0.0.2:80`, `[2001:db8::2]:80`), what `lvsd real drain` takes. Pure.
 */
import type { IpvsServiceState, IpvsStats, ServiceKey } from '../ipvs/model.js';
import { formatAddrPort } from '../ipvs/model.js';
import { family, sample, type MetricFamily } from './family.js';

/** The counters kept per service and per destination (the rates the kernel estimates are left out). */
export interface IpvsCounters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export interface IpvsStatsSnapshot {
  virtualServers: Array<{
    vs: string;
    counters: IpvsCounters;
    reals: Array<{ rs: string; activeConns: number; inactiveConns: number; counters: IpvsCounters }>;
  }>;
}

/** lvsd's form of a virtual server: `tcp:10.0.0.1:80`, `udp:[2001:db8::1]:53`, `fwmark:5`. */
export function virtualServerLabel(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `fwmark:${key.fwmark}`;
  return `${key.protocol}:${formatAddrPort(key.family, key.address, key.port)}`;
}

function counters(s: IpvsStats | undefined): IpvsCounters {
  return {
    conns: Number(s?.conns ?? 0n),
    inPkts: Number(s?.inPkts ?? 0n),
    outPkts: Number(s?.outPkts ?? 0n),
    inBytes: Number(s?.inBytes ?? 0n),
    outBytes: Number(s?.outBytes ?? 0n),
  };
}

/** The snapshot of a table dumped with stats (`IpvsKernel.dump({ stats: true })`). */
export function ipvsStatsSnapshot(table: readonly IpvsServiceState[]): IpvsStatsSnapshot {
  return {
    virtualServers: table.map((s) => ({
      vs: virtualServerLabel(s.service.key),
      counters: counters(s.stats),
      reals: s.destinations.map((d) => ({
        rs: formatAddrPort(d.family, d.address, d.port),
        activeConns: d.activeConns,
        inactiveConns: d.inactiveConns,
        counters: counters(d.stats),
      })),
    })),
  };
}

/** One kind of server's counter families (`lvsd_ipvs_<who>_connections_total`, …). */
function counterFamilies(who: 'virtual_server' | 'real_server', what: string) {
  return {
    conns: family(
      `lvsd_ipvs_${who}_connections_total`,
      'counter',
      `Connections the kernel scheduled to this ${what} (ip_vs stats).`,
    ),
    packets: family(
      `lvsd_ipvs_${who}_packets_total`,
      'counter',
      `Packets the kernel forwarded for this ${what}, by direction: in (from clients), out (replies).`,
    ),
    bytes: family(
      `lvsd_ipvs_${who}_bytes_total`,
      'counter',
      `Bytes the kernel forwarded for this ${what}, by direction: in (from clients), out (replies).`,
    ),
  };
}

function addCounters(
  f: ReturnType<typeof counterFamilies>,
  c: IpvsCounters,
  labels: Record<string, string>,
): void {
  sample(f.conns, c.conns, labels);
  sample(f.packets, c.inPkts, { ...labels, direction: 'in' });
  sample(f.packets, c.outPkts, { ...labels, direction: 'out' });
  sample(f.bytes, c.inBytes, { ...labels, direction: 'in' });
  sample(f.bytes, c.outBytes, { ...labels, direction: 'out' });
}

export function ipvsStatsFamilies(s: IpvsStatsSnapshot): MetricFamily[] {
  const vsf = counterFamilies('virtual_server', 'virtual server');
  const rsf = counterFamilies('real_server', 'real server of this virtual server');
  const active = family(
    'lvsd_ipvs_real_server_active_connections',
    'gauge',
    'Active (established) connections the kernel holds to this real server.',
  );
  const inactive = family(
    'lvsd_ipvs_real_server_inactive_connections',
    'gauge',
    'Inactive connections (other TCP states, UDP) the kernel holds to this real server.',
  );
  for (const vs of s.virtualServers) {
    addCounters(vsf, vs.counters, { virtual_server: vs.vs });
    for (const r of vs.reals) {
      const l = { virtual_server: vs.vs, real_server: r.rs };
      addCounters(rsf, r.counters, l);
      sample(active, r.activeConns, l);
      sample(inactive, r.inactiveConns, l);
    }
  }
  return [...Object.values(vsf), ...Object.values(rsf), active, inactive];
}
