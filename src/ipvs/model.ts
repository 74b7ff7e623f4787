// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS table as plain data: services, destinations, their identities and canonical order.
 * Pure. This is the contract between the health-check manager (which derives a desired table),
 * the reconciler (desired x actual -> ops), the netlink driver and the ipvsadm-compatible CLI.
 * Addresses are canonical text (ipaddr.js `toString()`: IPv4 dotted quad, IPv6 RFC 5952 compressed).
 */
import ipaddr from 'ipaddr.js';
import { canonicalQuadValue } from '../core/ipv4.js';
import type { IpFamily } from '../core/addr.js';

export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';

/** How a destination is reached (kernel IP_VS_CONN_F_* forwarding method). */
export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'droute' | 'bypass';

/** The schedulers ipvsadm knows (its SCHEDULERS list); keepalived also accepts `twos`. */
export const ipvsadmSchedulers = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
] as const;

export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

/** Identity of a virtual service: protocol+address+port, or firewall mark (+ family). */
export type ServiceKey =
  | { kind: 'addr'; family: IpFamily; protocol: IpvsProtocol; address: string; port: number }
  | { kind: 'fwmark'; family: IpFamily; fwmark: number };

/** Scheduler flags as the kernel has them (IP_VS_SVC_F_SCHED1..3 and ONEPACKET). */
export interface SchedulerFlags {
  /** SCHED1: `flag-1`, alias `sh-fallback` / `mh-fallback`. */
  flag1: boolean;
  /** SCHED2: `flag-2`, alias `sh-port` / `mh-port`. */
  flag2: boolean;
  /** SCHED3: `flag-3`. */
  flag3: boolean;
  /** ONEPACKET (`-o`, `ops`): schedule each UDP datagram independently. */
  onePacket: boolean;
}

export interface Persistence {
  /** Seconds (`-p`). */
  timeout: number;
  /** IPv4: dotted mask (`255.255.255.255` = none); IPv6: prefix length 1..128 (128 = none). */
  netmask: string | number;
}

/** A virtual service as configured (what `ipvsadm -A` takes). */
export interface IpvsService {
  key: ServiceKey;
  /** Scheduler name: rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos. */
  scheduler: string;
  flags: SchedulerFlags;
  /** Absent = not persistent. */
  persistence?: Persistence;
  /** Persistence engine (`--pe sip`). */
  persistenceEngine?: string;
}

export interface TunnelInfo {
  type: TunnelType;
  /** GUE only: UDP port. */
  port?: number;
  /** GUE/GRE only. */
  checksum?: TunnelChecksum;
}

/** A real server of a service (what `ipvsadm -a` takes). */
export interface IpvsDestination {
  /** Family of the destination address; may differ from the service's only for tunnelling. */
  family: IpFamily;
  address: string;
  /** For fwmark services the kernel reports the port as given (often 0). */
  port: number;
  method: ForwardMethod;
  weight: number;
  /** Upper connection threshold, 0 = none (`-x`). */
  upperThreshold: number;
  /** Lower connection threshold, 0 = none (`-y`). */
  lowerThreshold: number;
  /** Only with method 'tunnel'. */
  tunnel?: TunnelInfo;
}

/** A service with its destinations: one entry of the desired or the actual table. */
export interface IpvsServiceEntry {
  service: IpvsService;
  destinations: IpvsDestination[];
}

/** The whole table, services in canonical order, each with destinations in canonical order. */
export type IpvsTable = IpvsServiceEntry[];

/** Counters as the kernel reports them (STATS64). */
export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

/** All counters zero: a fresh service, or one the kernel reported without stats. */
export function zeroStats(): IpvsStats {
  return {
    conns: 0n,
    inPkts: 0n,
    outPkts: 0n,
    inBytes: 0n,
    outBytes: 0n,
    cps: 0n,
    inPps: 0n,
    outPps: 0n,
    inBps: 0n,
    outBps: 0n,
  };
}

/** What the kernel reports beyond configuration (dumps only). */
export interface IpvsDestinationState extends IpvsDestination {
  activeConns: number;
  inactiveConns: number;
  persistConns: number;
  stats?: IpvsStats;
}

export interface IpvsServiceState {
  service: IpvsService;
  stats?: IpvsStats;
  destinations: IpvsDestinationState[];
}

export interface IpvsInfo {
  /** e.g. 0x010201 for 1.2.1 */
  version: number;
  connTableSize: number;
}

export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export type SyncDaemonState = 'master' | 'backup';

export interface SyncDaemon {
  state: SyncDaemonState;
  interface: string;
  syncId: number;
  maxLen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export const noSchedulerFlags: SchedulerFlags = Object.freeze({
  flag1: false,
  flag2: false,
  flag3: false,
  onePacket: false,
});

/** Stable text identity of a service, e.g. `tcp|inet|10.0.0.1|80` or `fwmark|inet6|100`. */
export function serviceId(key: ServiceKey): string {
  return key.kind === 'addr'
    ? `${key.protocol}|${key.family}|${key.address}|${key.port}`
    : `fwmark|${key.family}|${key.fwmark}`;
}

/** Identity of a destination within its service (the kernel keys dests by address+port). */
export function destinationId(d: Pick<IpvsDestination, 'address' | 'port'>): string {
  return `${d.address}|${d.port}`;
}

/** Human form for messages: `TCP 10.0.0.1:80`, `TCP [2001:db8::1]:80`, `FWM 100 IPv6`. */
export function describeService(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `FWM ${key.fwmark}${key.family === 'inet6' ? ' IPv6' : ''}`;
  return `${key.protocol.toUpperCase()} ${formatAddrPort(key.family, key.address, key.port)}`;
}

export function formatAddrPort(family: IpFamily, address: string, port: number): string {
  return family === 'inet6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Sort key of an address: IPv4 before IPv6, then numeric by bytes ('4' or '6' and the bytes in hex).
 * Sorting calls it twice per comparison and plans sort every entry, so canonical quads take a char
 * loop and only other text goes to ipaddr.js.
 */
export function addressSortKey(family: IpFamily, address: string): string {
  const n = canonicalQuadValue(address);
  if (n !== undefined) return (family === 'inet' ? '4' : '6') + n.toString(16).padStart(8, '0');
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const bytes = v4 ? v4.slice(1).map(Number) : ipaddr.parse(address).toByteArray();
  return (family === 'inet' ? '4' : '6') + bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Canonical order of destinations: by address (numeric), then port. The reconciler adds reals in
 * this order so the `mh` scheduler builds the same lookup table on every director.
 */
export function compareDestinations(a: IpvsDestination, b: IpvsDestination): number {
  const ka = addressSortKey(a.family, a.address);
  const kb = addressSortKey(b.family, b.address);
  return ka < kb ? -1 : ka > kb ? 1 : a.port - b.port;
}

/** Canonical order of services: address services by (family, address, protocol, port), then fwmarks. */
export function compareServices(a: ServiceKey, b: ServiceKey): number {
  if (a.kind !== b.kind) return a.kind === 'addr' ? -1 : 1;
  if (a.kind === 'fwmark' && b.kind === 'fwmark') {
    return a.fwmark - b.fwmark || (a.family === b.family ? 0 : a.family === 'inet' ? -1 : 1);
  }
  if (a.kind === 'addr' && b.kind === 'addr') {
    const ka = addressSortKey(a.family, a.address);
    const kb = addressSortKey(b.family, b.address);
    if (ka !== kb) return ka < kb ? -1 : 1;
    if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
    return a.port - b.port;
  }
  return 0;
}

/** An item with its address sort key computed once: a dotted quad as a number, else `addressSortKey` (lazily). */
interface Keyed<T> {
  item: T;
  family: IpFamily;
  address: string;
  /** The canonical IPv4 address as a number; -1: compare by `text`. */
  n: number;
  text: string | undefined;
  port: number;
  protocol: string;
}

function keyed<T>(item: T, family: IpFamily, address: string, port: number, protocol = ''): Keyed<T> {
  const n = family === 'inet' ? (canonicalQuadValue(address) ?? -1) : -1;
  return { item, family, address, n, text: undefined, port, protocol };
}

/** Orders as `addressSortKey` does, with a comparison of numbers when both are dotted quads. */
function compareKeyedAddr<T>(a: Keyed<T>, b: Keyed<T>): number {
  if (a.n >= 0 && b.n >= 0) return a.n - b.n;
  const ka = (a.text ??= addressSortKey(a.family, a.address));
  const kb = (b.text ??= addressSortKey(b.family, b.address));
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** `list` in `compareDestinations` order, each address read once (a dump sorts 100,000 reals). */
export function sortDestinations<D extends Pick<IpvsDestination, 'family' | 'address' | 'port'>>(
  list: readonly D[],
): D[] {
  return list
    .map((d) => keyed(d, d.family, d.address, d.port))
    .sort((a, b) => compareKeyedAddr(a, b) || a.port - b.port)
    .map((k) => k.item);
}

/** `list` in `compareServices` order of `keyOf` (address services, then fwmarks), each address read once. */
export function sortByServiceKey<T>(list: readonly T[], keyOf: (t: T) => ServiceKey): T[] {
  const addr: Keyed<T>[] = [];
  const marks: T[] = [];
  for (const s of list) {
    const k = keyOf(s);
    if (k.kind === 'fwmark') marks.push(s);
    else addr.push(keyed(s, k.family, k.address, k.port, k.protocol));
  }
  addr.sort(
    (a, b) =>
      compareKeyedAddr(a, b) ||
      (a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1),
  );
  marks.sort((a, b) => compareServices(keyOf(a), keyOf(b)));
  return [...addr.map((k) => k.item), ...marks];
}

/** `list` in `compareServices` order (address services, then fwmarks), each address read once. */
export function sortServices<S extends { service: IpvsService }>(list: readonly S[]): S[] {
  return sortByServiceKey(list, (s) => s.service.key);
}
