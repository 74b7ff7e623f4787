// SPDX-License-Identifier: Apache-2.0
// The kernel's IPVS counters as metrics: a table dumped with stats (bigint counters, as the driver
// decodes them) becomes a JSON-safe snapshot, then per virtual and real server series labelled in
// the form `lvsd real drain` takes, rendered by prom-client.
import test from 'ava';
import type { IpvsServiceState, IpvsStats } from '../../../src/ipvs/model.js';
import { noSchedulerFlags, zeroStats } from '../../../src/ipvs/model.js';
import { ipvsStatsFamilies, ipvsStatsSnapshot } from '../../../src/metrics/ipvs-stats.js';
import { renderMetrics } from '../../../src/metrics/render.js';

const stats = (conns: bigint, pkts: bigint, bytes: bigint): IpvsStats => ({
  ...zeroStats(),
  conns,
  inPkts: pkts,
  outPkts: pkts - 1n,
  inBytes: bytes,
  outBytes: 2n ** 40n + bytes,
});

const dest = { method: 'masq' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0, persistConns: 0 };
const table: IpvsServiceState[] = [
  {
    service: {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.100', port: 80 },
      scheduler: 'wrr',
      flags: noSchedulerFlags,
    },
    stats: stats(30n, 180n, 12_000n),
    destinations: [
      {
        ...dest,
        family: 'inet',
        address: '192.0.2.11',
        port: 80,
        activeConns: 2,
        inactiveConns: 5,
        stats: stats(10n, 60n, 4000n),
      },
      { ...dest, family: 'inet', address: '192.0.2.12', port: 80, activeConns: 0, inactiveConns: 1 },
    ],
  },
  {
    service: {
      key: { kind: 'fwmark', family: 'inet6', fwmark: 7 },
      scheduler: 'rr',
      flags: noSchedulerFlags,
    },
    destinations: [
      {
        ...dest,
        family: 'inet6',
        address: '2001:db8::11',
        port: 0,
        activeConns: 0,
        inactiveConns: 0,
        stats: stats(1n, 1n, 1n),
      },
    ],
  },
];

/** `series{labels} value` lines of an exposition, by their text before the value. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

test('a table dumped with stats: a JSON-safe snapshot, servers in the form lvsd real drain takes', (t) => {
  const snap = ipvsStatsSnapshot(table);
  t.deepEqual(JSON.parse(JSON.stringify(snap)), snap, 'plain numbers: it crosses the control socket as is');
  t.deepEqual(
    snap.virtualServers.map((v) => [v.vs, v.reals.map((r) => r.rs)]),
    [
      ['tcp:192.0.2.100:80', ['192.0.2.11:80', '192.0.2.12:80']],
      ['fwmark:7', ['[2001:db8::11]:0']],
    ],
  );
  t.is(snap.virtualServers[0]?.counters.outBytes, 2 ** 40 + 12_000);
  t.deepEqual(snap.virtualServers[0]?.reals[1]?.counters, {
    conns: 0,
    inPkts: 0,
    outPkts: 0,
    inBytes: 0,
    outBytes: 0,
  });
});

test('each virtual and real server counter is one series, packets and bytes by direction', async (t) => {
  const s = series(await renderMetrics([ipvsStatsFamilies(ipvsStatsSnapshot(table))]));
  const vs = 'virtual_server="tcp:192.0.2.100:80"';
  const rs = `${vs},real_server="192.0.2.11:80"`;
  for (const [name, value] of [
    [`lvsd_ipvs_virtual_server_connections_total{${vs}}`, 30],
    [`lvsd_ipvs_virtual_server_packets_total{${vs},direction="in"}`, 180],
    [`lvsd_ipvs_virtual_server_packets_total{${vs},direction="out"}`, 179],
    [`lvsd_ipvs_virtual_server_bytes_total{${vs},direction="in"}`, 12_000],
    [`lvsd_ipvs_virtual_server_bytes_total{${vs},direction="out"}`, 2 ** 40 + 12_000],
    [`lvsd_ipvs_real_server_connections_total{${rs}}`, 10],
    [`lvsd_ipvs_real_server_packets_total{${rs},direction="in"}`, 60],
    [`lvsd_ipvs_real_server_bytes_total{${rs},direction="out"}`, 2 ** 40 + 4000],
    [`lvsd_ipvs_real_server_active_connections{${rs}}`, 2],
    [`lvsd_ipvs_real_server_inactive_connections{${rs}}`, 5],
    [`lvsd_ipvs_real_server_connections_total{${vs},real_server="192.0.2.12:80"}`, 0],
    ['lvsd_ipvs_virtual_server_connections_total{virtual_server="fwmark:7"}', 0],
    ['lvsd_ipvs_real_server_connections_total{virtual_server="fwmark:7",real_server="[2001:db8::11]:0"}', 1],
  ] as const)
    t.is(s.get(name), value, name);
  t.is([...s.keys()].filter((k) => k.startsWith('lvsd_ipvs_')).length, 2 * 5 + 3 * 7);
  t.deepEqual(
    ipvsStatsFamilies({ virtualServers: [] }).flatMap((f) => f.values),
    [],
  );
});
