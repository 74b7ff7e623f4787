// SPDX-License-Identifier: Apache-2.0
/**
 * Differential corpus: named IPVS rule sets covering every scheduler (with flags), every forwarding
 * method (masq, droute, tunnel ipip/gue/gre with port and checksum options), IPv4 and IPv6,
 * TCP/UDP/SCTP, fwmark (v4 and v6), persistence with netmask/prefix, pe sip, thresholds and weight 0.
 * Shared by the driver's VM test and the `lvsd ipvs` CLI VM tests. Each set also renders as the
 * `ipvsadm -R` input that programs the same table (written independently of src/, as the oracle).
 */
import type {
  IpvsDestination,
  IpvsProtocol,
  IpvsService,
  IpvsTable,
  SchedulerFlags,
  ServiceKey,
  TunnelInfo,
} from '../../../src/ipvs/model.js';
import type { IpFamily } from '../../../src/core/addr.js';
import { compareDestinations, compareServices, ipvsadmSchedulers } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';

export interface CorpusSet {
  name: string;
  /** The table, services and destinations in canonical order. */
  table: IpvsTable;
  /** Extra `ipvsadm -Ln` views worth comparing for this set. */
  views: ('thresholds' | 'tun-info')[];
}

export const allSchedulers = ipvsadmSchedulers;

const noFlags: SchedulerFlags = { flag1: false, flag2: false, flag3: false, onePacket: false };

function flags(f: Partial<SchedulerFlags>): SchedulerFlags {
  return { ...noFlags, ...f };
}

function vs(protocol: IpvsProtocol, address: string, port: number): ServiceKey {
  return { kind: 'addr', family: address.includes(':') ? 'inet6' : 'inet', protocol, address, port };
}

function fwm(fwmark: number, family: IpFamily = 'inet'): ServiceKey {
  return { kind: 'fwmark', family, fwmark };
}

function svc(
  key: ServiceKey,
  scheduler: string,
  extra: Partial<Omit<IpvsService, 'key' | 'scheduler'>> = {},
): IpvsService {
  return { key, scheduler, flags: noFlags, ...extra };
}

function rs(
  address: string,
  port: number,
  method: IpvsDestination['method'] = 'masq',
  weight = 1,
  extra: { upper?: number; lower?: number; tunnel?: TunnelInfo } = {},
): IpvsDestination {
  const d: IpvsDestination = {
    family: address.includes(':') ? 'inet6' : 'inet',
    address,
    port,
    method,
    weight,
    upperThreshold: extra.upper ?? 0,
    lowerThreshold: extra.lower ?? 0,
  };
  if (method === 'tunnel') d.tunnel = extra.tunnel ?? { type: 'ipip' };
  return d;
}

function entry(service: IpvsService, destinations: IpvsDestination[]): IpvsTable[number] {
  return { service, destinations };
}

function canonical(table: IpvsTable): IpvsTable {
  return [...table]
    .map((e) => ({ service: e.service, destinations: [...e.destinations].sort(compareDestinations) }))
    .sort((a, b) => compareServices(a.service.key, b.service.key));
}

/**
 * ipvsadm forces the real port to the virtual port for -g/-i on non-fwmark services (the kernel
 * does not); corpus tables follow that rule so both programmings can be compared.
 */
function set(name: string, table: IpvsTable, views: CorpusSet['views'] = []): CorpusSet {
  for (const e of table) {
    const k = e.service.key;
    for (const d of e.destinations) {
      if (k.kind === 'addr' && d.method !== 'masq' && d.port !== k.port) {
        throw new Error(
          `corpus ${name}: ${d.method} real ${d.address}:${d.port} must use the virtual port ${k.port}`,
        );
      }
    }
  }
  return { name, table: canonical(table), views };
}

const three = (port: number, method: IpvsDestination['method'] = 'masq'): IpvsDestination[] => [
  rs('10.1.0.11', port, method, 1),
  rs('10.1.0.12', port, method, 2),
  rs('10.1.0.13', port, method, 3),
];

const v6three = (port: number, method: IpvsDestination['method'] = 'masq'): IpvsDestination[] => [
  rs('2001:db8:1::11', port, method, 1),
  rs('2001:db8:1::12', port, method, 2),
  rs('2001:db8:1::13', port, method, 3),
];

const sets: CorpusSet[] = [
  ...allSchedulers.map((s) =>
    set(`sched-${s}-tcp4-masq`, [entry(svc(vs('tcp', '10.0.0.1', 80), s), three(8080))]),
  ),
  set('sh-fallback-port', [
    entry(
      svc(vs('tcp', '10.0.0.2', 80), 'sh', { flags: flags({ flag1: true, flag2: true }) }),
      three(80, 'droute'),
    ),
  ]),
  set('sh-fallback', [
    entry(svc(vs('tcp', '10.0.0.2', 443), 'sh', { flags: flags({ flag1: true }) }), three(443, 'droute')),
  ]),
  set('mh-fallback-port', [
    entry(
      svc(vs('tcp', '10.0.0.3', 80), 'mh', { flags: flags({ flag1: true, flag2: true }) }),
      three(80, 'droute'),
    ),
  ]),
  set('mh-port', [
    entry(svc(vs('udp', '10.0.0.3', 53), 'mh', { flags: flags({ flag2: true }) }), three(53, 'droute')),
  ]),
  set('rr-flag-1-2-3', [
    entry(
      svc(vs('tcp', '10.0.0.4', 80), 'rr', { flags: flags({ flag1: true, flag2: true, flag3: true }) }),
      three(80),
    ),
  ]),
  set('wlc-flag-3', [
    entry(svc(vs('tcp', '10.0.0.4', 81), 'wlc', { flags: flags({ flag3: true }) }), three(81)),
  ]),
  set('udp-ops-rr', [
    entry(svc(vs('udp', '10.0.0.5', 53), 'rr', { flags: flags({ onePacket: true }) }), three(53)),
  ]),
  set('udp-ops-mh-port', [
    entry(
      svc(vs('udp', '10.0.0.5', 514), 'mh', { flags: flags({ onePacket: true, flag2: true }) }),
      three(514, 'droute'),
    ),
  ]),
  set('droute-v4', [entry(svc(vs('tcp', '10.0.0.6', 80), 'wrr'), three(80, 'droute'))]),
  set('tunnel-ipip-v4', [entry(svc(vs('tcp', '10.0.0.7', 80), 'wrr'), three(80, 'tunnel'))], ['tun-info']),
  ...(['nocsum', 'csum', 'remcsum'] as const).map((checksum, i) =>
    set(
      `tunnel-gue-${checksum}`,
      [
        entry(svc(vs('tcp', '10.0.0.8', 80 + i), 'rr'), [
          rs('10.1.0.21', 80 + i, 'tunnel', 1, { tunnel: { type: 'gue', port: 6080 + i, checksum } }),
          rs('10.1.0.22', 80 + i, 'tunnel', 2, { tunnel: { type: 'gue', port: 6080, checksum } }),
        ]),
      ],
      ['tun-info'],
    ),
  ),
  ...(['nocsum', 'csum'] as const).map((checksum, i) =>
    set(
      `tunnel-gre-${checksum}`,
      [
        entry(svc(vs('tcp', '10.0.0.9', 80 + i), 'wlc'), [
          rs('10.1.0.31', 80 + i, 'tunnel', 1, { tunnel: { type: 'gre', checksum } }),
          rs('10.1.0.32', 80 + i, 'tunnel', 1, { tunnel: { type: 'gre', checksum } }),
        ]),
      ],
      ['tun-info'],
    ),
  ),
  set(
    'tunnel-mixed-kinds',
    [
      entry(svc(vs('udp', '10.0.0.10', 4789), 'sh'), [
        rs('10.1.0.41', 4789, 'tunnel', 1),
        rs('10.1.0.42', 4789, 'tunnel', 1, { tunnel: { type: 'gue', port: 5555, checksum: 'csum' } }),
        rs('10.1.0.43', 4789, 'tunnel', 1, { tunnel: { type: 'gre', checksum: 'nocsum' } }),
      ]),
    ],
    ['tun-info'],
  ),
  set('masq-v6', [entry(svc(vs('tcp', '2001:db8::1', 80), 'wlc'), v6three(8080))]),
  set('droute-v6', [entry(svc(vs('tcp', '2001:db8::1', 443), 'wrr'), v6three(443, 'droute'))]),
  set(
    'tunnel-ipip-v6',
    [entry(svc(vs('tcp', '2001:db8::2', 80), 'rr'), v6three(80, 'tunnel'))],
    ['tun-info'],
  ),
  set(
    'tunnel-gue-v6',
    [
      entry(svc(vs('udp', '2001:db8::2', 53), 'rr'), [
        rs('2001:db8:1::21', 53, 'tunnel', 1, { tunnel: { type: 'gue', port: 6080, checksum: 'nocsum' } }),
      ]),
    ],
    ['tun-info'],
  ),
  set('udp-v6', [entry(svc(vs('udp', '2001:db8::3', 53), 'lc'), v6three(53))]),
  set('sctp-v4', [entry(svc(vs('sctp', '10.0.0.11', 3868), 'rr'), three(3868))]),
  set('sctp-v6', [entry(svc(vs('sctp', '2001:db8::4', 3868), 'wrr'), v6three(3868, 'droute'))]),
  set('fwmark-v4-masq', [entry(svc(fwm(1), 'wlc'), [rs('10.1.0.51', 80), rs('10.1.0.52', 80)])]),
  set('fwmark-v4-droute', [
    entry(svc(fwm(2), 'rr'), [rs('10.1.0.51', 0, 'droute'), rs('10.1.0.52', 0, 'droute')]),
  ]),
  set('fwmark-v6-droute', [
    entry(svc(fwm(3, 'inet6'), 'sh'), [rs('2001:db8:1::51', 0, 'droute'), rs('2001:db8:1::52', 0, 'droute')]),
  ]),
  set(
    'fwmark-v6-gre',
    [
      entry(svc(fwm(4, 'inet6'), 'mh', { flags: flags({ flag1: true }) }), [
        rs('2001:db8:1::61', 0, 'tunnel', 1, { tunnel: { type: 'gre', checksum: 'csum' } }),
      ]),
    ],
    ['tun-info'],
  ),
  set('fwmark-v4-and-v6-same-mark', [
    entry(svc(fwm(5), 'rr'), [rs('10.1.0.71', 0, 'droute')]),
    entry(svc(fwm(5, 'inet6'), 'rr'), [rs('2001:db8:1::71', 0, 'droute')]),
  ]),
  set('persist-v4', [
    entry(
      svc(vs('tcp', '10.0.0.12', 443), 'wlc', { persistence: { timeout: 300, netmask: '255.255.255.255' } }),
      three(443),
    ),
  ]),
  set('persist-v4-mask-24', [
    entry(
      svc(vs('tcp', '10.0.0.12', 444), 'rr', { persistence: { timeout: 600, netmask: '255.255.255.0' } }),
      three(444),
    ),
  ]),
  set('persist-v4-mask-16', [
    entry(
      svc(vs('udp', '10.0.0.12', 500), 'sh', { persistence: { timeout: 30, netmask: '255.255.0.0' } }),
      three(500),
    ),
  ]),
  set('persist-v6', [
    entry(
      svc(vs('tcp', '2001:db8::5', 443), 'wlc', { persistence: { timeout: 120, netmask: 128 } }),
      v6three(443),
    ),
  ]),
  set('persist-v6-prefix-64', [
    entry(
      svc(vs('tcp', '2001:db8::5', 444), 'lc', { persistence: { timeout: 900, netmask: 64 } }),
      v6three(444),
    ),
  ]),
  set('persist-fwmark-v4-mask', [
    entry(svc(fwm(10), 'wrr', { persistence: { timeout: 3600, netmask: '255.255.255.128' } }), [
      rs('10.1.0.81', 0, 'droute'),
    ]),
  ]),
  set('persist-fwmark-v6-prefix-48', [
    entry(svc(fwm(11, 'inet6'), 'rr', { persistence: { timeout: 60, netmask: 48 } }), [
      rs('2001:db8:1::81', 0, 'droute'),
    ]),
  ]),
  set('persist-port-zero', [
    entry(
      svc(vs('tcp', '10.0.0.13', 0), 'rr', { persistence: { timeout: 300, netmask: '255.255.255.255' } }),
      [rs('10.1.0.91', 0, 'droute')],
    ),
  ]),
  set('pe-sip', [
    entry(
      svc(vs('udp', '10.0.0.14', 5060), 'rr', {
        persistence: { timeout: 60, netmask: '255.255.255.255' },
        persistenceEngine: 'sip',
      }),
      three(5060),
    ),
  ]),
  set(
    'thresholds-v4',
    [
      entry(svc(vs('tcp', '10.0.0.15', 80), 'wlc'), [
        rs('10.1.0.101', 80, 'masq', 1, { upper: 100, lower: 10 }),
        rs('10.1.0.102', 80, 'masq', 5, { upper: 2000, lower: 0 }),
        rs('10.1.0.103', 80, 'masq', 5, { upper: 7, lower: 7 }),
      ]),
    ],
    ['thresholds'],
  ),
  set(
    'thresholds-v6-droute',
    [
      entry(svc(vs('tcp', '2001:db8::6', 80), 'ovf'), [
        rs('2001:db8:1::101', 80, 'droute', 10, { upper: 50, lower: 5 }),
      ]),
    ],
    ['thresholds'],
  ),
  set('weight-zero', [
    entry(svc(vs('tcp', '10.0.0.16', 80), 'wrr'), [
      rs('10.1.0.111', 80, 'masq', 0),
      rs('10.1.0.112', 80, 'masq', 1),
    ]),
  ]),
  set('weight-max', [entry(svc(vs('tcp', '10.0.0.16', 81), 'wrr'), [rs('10.1.0.113', 81, 'droute', 65535)])]),
  set(
    'mixed-methods',
    [
      entry(svc(vs('tcp', '10.0.0.17', 80), 'wlc'), [
        rs('10.1.0.121', 80, 'masq', 1),
        rs('10.1.0.122', 80, 'droute', 1),
        rs('10.1.0.123', 80, 'tunnel', 1),
      ]),
    ],
    ['tun-info'],
  ),
  set('empty-service', [entry(svc(vs('tcp', '10.0.0.18', 80), 'rr'), [])]),
  set('same-vip-three-protocols', [
    entry(svc(vs('tcp', '10.0.0.19', 53), 'rr'), [rs('10.1.0.131', 53)]),
    entry(svc(vs('udp', '10.0.0.19', 53), 'rr'), [rs('10.1.0.131', 53)]),
    entry(svc(vs('sctp', '10.0.0.19', 53), 'rr'), [rs('10.1.0.131', 53)]),
  ]),
  set('same-real-two-ports', [
    entry(svc(vs('tcp', '10.0.0.20', 80), 'lblcr'), [
      rs('10.1.0.141', 80),
      rs('10.1.0.141', 8080),
      rs('10.1.0.141', 8443),
    ]),
  ]),
  set(
    'every-scheduler-one-table',
    allSchedulers.map((s, i) =>
      entry(svc(vs(i % 2 === 0 ? 'tcp' : 'udp', '10.0.1.1', 1000 + i), s), [
        rs('10.1.1.1', 1000 + i, 'droute', i + 1),
      ]),
    ),
  ),
  set(
    'many-services-batches',
    Array.from({ length: 40 }, (_, i) =>
      entry(svc(vs('tcp', `10.0.2.${i + 1}`, 80), allSchedulers[i % allSchedulers.length] ?? 'rr'), [
        rs(`10.1.2.${i + 1}`, 80, 'masq', 1),
        rs(`10.1.3.${i + 1}`, 80, 'droute', 2),
        rs(`10.1.4.${i + 1}`, 80, 'masq', 3, { upper: i, lower: 0 }),
      ]),
    ),
  ),
  set('many-reals-mh', [
    entry(
      svc(vs('tcp', '10.0.0.21', 80), 'mh', { flags: flags({ flag1: true }) }),
      Array.from({ length: 60 }, (_, i) => rs(`10.1.5.${i + 1}`, 80, 'droute', (i % 5) + 1)),
    ),
  ]),
  set(
    'dual-stack-mixed',
    [
      entry(
        svc(vs('tcp', '10.0.0.22', 80), 'wrr', { persistence: { timeout: 300, netmask: '255.255.255.0' } }),
        three(80, 'droute'),
      ),
      entry(
        svc(vs('tcp', '2001:db8::22', 80), 'wrr', { persistence: { timeout: 300, netmask: 64 } }),
        v6three(80, 'droute'),
      ),
      entry(svc(fwm(22), 'lc'), [rs('10.1.0.151', 0, 'tunnel', 2)]),
    ],
    ['tun-info'],
  ),
];

/** The named rule sets (at least 50), in a fixed order. */
export const corpus: readonly CorpusSet[] = sets;

// ------------------------------------------------------------------ ipvsadm rendering (the oracle)

function addrPort(family: IpFamily, address: string, port: number): string {
  return family === 'inet6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `-t 10.0.0.1:80`, `--sctp-service [::1]:80`, `-f 5 -6`. */
export function ipvsadmServiceArgs(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `-f ${key.fwmark}${key.family === 'inet6' ? ' -6' : ''}`;
  const opt = key.protocol === 'tcp' ? '-t' : key.protocol === 'udp' ? '-u' : '--sctp-service';
  return `${opt} ${addrPort(key.family, key.address, key.port)}`;
}

function flagNames(s: IpvsService): string[] {
  const alias = s.scheduler === 'sh' || s.scheduler === 'mh' ? s.scheduler : undefined;
  const out: string[] = [];
  if (s.flags.flag1) out.push(alias === undefined ? 'flag-1' : `${alias}-fallback`);
  if (s.flags.flag2) out.push(alias === undefined ? 'flag-2' : `${alias}-port`);
  if (s.flags.flag3) out.push('flag-3');
  return out;
}

/** `ipvsadm -A` arguments for a service. */
export function ipvsadmAddService(s: IpvsService): string {
  let line = `-A ${ipvsadmServiceArgs(s.key)} -s ${s.scheduler}`;
  if (s.persistence !== undefined) line += ` -p ${s.persistence.timeout} -M ${String(s.persistence.netmask)}`;
  if (s.persistenceEngine !== undefined) line += ` --pe ${s.persistenceEngine}`;
  if (s.flags.onePacket) line += ' -o';
  const f = flagNames(s);
  if (f.length > 0) line += ` -b ${f.join(',')}`;
  return line;
}

/** `ipvsadm -a` arguments for a destination. */
export function ipvsadmAddDest(key: ServiceKey, d: IpvsDestination): string {
  const fwd = { masq: '-m', droute: '-g', tunnel: '-i', local: '-g', bypass: '-g' }[d.method];
  let line = `-a ${ipvsadmServiceArgs(key)} -r ${addrPort(d.family, d.address, d.port)} ${fwd} -w ${d.weight}`;
  if (d.upperThreshold !== 0) line += ` -x ${d.upperThreshold}`;
  if (d.lowerThreshold !== 0) line += ` -y ${d.lowerThreshold}`;
  if (d.method === 'tunnel' && d.tunnel !== undefined) {
    line += ` --tun-type ${d.tunnel.type}`;
    if (d.tunnel.port !== undefined) line += ` --tun-port ${d.tunnel.port}`;
    if (d.tunnel.checksum !== undefined) line += ` --tun-${d.tunnel.checksum}`;
  }
  return line;
}

/** The whole table as `ipvsadm -R` input. */
export function toIpvsadmRestore(table: IpvsTable): string {
  const lines: string[] = [];
  for (const e of table) {
    lines.push(ipvsadmAddService(e.service));
    for (const d of e.destinations) lines.push(ipvsadmAddDest(e.service.key, d));
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The ops that program the table from empty: each service, then its reals in canonical order. */
export function toOps(table: IpvsTable): IpvsOp[] {
  return table.flatMap((e): IpvsOp[] => [
    { op: 'addService', service: e.service },
    ...e.destinations.map((dest): IpvsOp => ({ op: 'addDest', key: e.service.key, dest })),
  ]);
}
