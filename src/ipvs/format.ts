// SPDX-License-Identifier: Apache-2.0
/**
 * `ipvsadm -L` / `ipvsadm -S` output, byte for byte, from the IPVS table as data. Pure.
 *
 * Written from the format strings and sort rules of ipvsadm 1.31 (`ipvsadm.c` print_title,
 * print_service_entry, print_largenum, print_conn, list_timeout, list_daemon; libipvs
 * ipvs_cmp_services/ipvs_cmp_dests), read for the facts only. Details kept on purpose:
 * - sorting compares addresses as `(int)(ntohl(a) - ntohl(b))`, which wraps for addresses more than
 *   2^31 apart, and sorts with glibc's merge sort (`qsort` on Debian 12); both are reproduced;
 * - without `-n` ipvsadm calls gethostbyaddr/getservbyport. Names come from an injected
 *   `NameResolver` (the CLI builds one from /etc/hosts and /etc/services; no reverse DNS, which is
 *   unreachable on a director without a resolver and would only add timeouts) and are cut where
 *   ipvsadm cuts them (59 chars, then 33 for the service and 28 for the real column, IPv4 only).
 */
import ipaddr from 'ipaddr.js';
import type {
  ForwardMethod,
  IpvsDestinationState,
  IpvsInfo,
  IpvsProtocol,
  IpvsServiceState,
  IpvsStats,
  IpvsTimeouts,
  SyncDaemon,
} from './model.js';
import type { IpFamily } from '../core/addr.js';
import { canonicalQuadValue } from '../core/ipv4.js';
import { joinedInPieces } from '../core/pieces.js';
import { zeroStats } from './model.js';

/** Name lookups for the non-numeric listing (gethostbyaddr / getservbyport). */
export interface NameResolver {
  host(family: IpFamily, address: string): string | undefined;
  service(port: number, protocol: IpvsProtocol): string | undefined;
}

/** The `-L` view switches (ipvsadm's FMT_* bits). */
export interface ListFormat {
  numeric?: boolean;
  stats?: boolean;
  rate?: boolean;
  thresholds?: boolean;
  persistentConn?: boolean;
  tunInfo?: boolean;
  exact?: boolean;
  nosort?: boolean;
  /** Used when `numeric` is false; absent = every lookup fails (numeric output). */
  resolver?: NameResolver;
}

interface Fmt extends ListFormat {
  rule?: boolean;
}

const noStats: IpvsStats = zeroStats();

const left = (s: string | number, w: number): string => String(s).padEnd(w);
const right = (s: string | number | bigint, w: number): string => String(s).padStart(w);

/** print_largenum: 9 columns with K/M/G/T scaling, or exact with at least 9. */
export function largeNum(i: bigint, exact = false): string {
  if (exact) {
    const s = i.toString();
    return right(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000n) return right(i, 9);
  if (i < 1000000000n) return right(i / 1000n, 8) + 'K';
  if (i < 100000000000n) return right(i / 1000000n, 8) + 'M';
  if (i < 100000000000000n) return right(i / 1000000000n, 8) + 'G';
  return right(i / 1000000000000n, 8) + 'T';
}

/** addrport_to_anyname: `a.b.c.d:port` / `[v6]:port`, names when not numeric, cut at 59. */
function addrPort(
  family: IpFamily,
  address: string,
  port: number,
  protocol: IpvsProtocol | undefined,
  f: Fmt,
): string {
  const [o, c] = family === 'inet' ? ['', ''] : ['[', ']'];
  let host = address;
  let svc = String(port);
  if (!f.numeric) {
    host = f.resolver?.host(family, address) ?? address;
    if (protocol) svc = f.resolver?.service(port, protocol) ?? svc;
  }
  return `${o}${host}${c}:${svc}`.slice(0, 59);
}

const fwdNames: Record<ForwardMethod, string> = {
  masq: 'Masq',
  local: 'Local',
  tunnel: 'Tunnel',
  droute: 'Route',
  bypass: '(null)',
};
const fwdSwitches: Record<ForwardMethod, string> = {
  masq: '-m',
  local: '-g',
  tunnel: '-i',
  droute: '-g',
  bypass: '(null)',
};
const csumShort = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;

function tunInfo(d: IpvsDestinationState): string {
  if (d.method !== 'tunnel') return 'n/a';
  const t = d.tunnel ?? { type: 'ipip' as const };
  const cs = csumShort[t.checksum ?? 'nocsum'];
  if (t.type === 'ipip') return 'ipip';
  if (t.type === 'gue') return `gue:${t.port ?? 0}:${cs}`.slice(0, 15);
  return `gre:${cs}`;
}

function tunnelRuleSuffix(d: IpvsDestinationState): string {
  if (d.method !== 'tunnel') return '';
  const t = d.tunnel ?? { type: 'ipip' as const };
  const cs = `--tun-${t.checksum ?? 'nocsum'}`;
  if (t.type === 'ipip') return ' --tun-type ipip';
  if (t.type === 'gue') return ` --tun-type gue --tun-port ${t.port ?? 0} ${cs}`;
  return ` --tun-type gre ${cs}`;
}

// ---- sorting as ipvsadm sorts ----------------------------------------------------------------

/** The 16 bytes of `union nf_inet_addr` (IPv4 in the first 4, rest zero). */
function addrWords(address: string): number[] {
  const quad = canonicalQuadValue(address);
  if (quad !== undefined) return [quad, 0, 0, 0];
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) return [((+v4[1]! << 24) | (+v4[2]! << 16) | (+v4[3]! << 8) | +v4[4]!) >>> 0, 0, 0, 0];
  const b = ipaddr.parse(address).toByteArray();
  while (b.length < 16) b.push(0);
  const w: number[] = [];
  for (let i = 0; i < 16; i += 4)
    w.push(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
  return w;
}

/** `(int)(a - b)` for unsigned 32-bit a, b. */
const wrapDiff = (a: number, b: number): number => (a - b) | 0;

const protoNum: Record<IpvsProtocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const afNum = (f: IpFamily): number => (f === 'inet' ? 2 : 10);

/** A service or destination with its address words computed once (the sort compares them often). */
interface Sortable<T> {
  item: T;
  words: number[];
}

function withWords<T>(items: readonly T[], address: (t: T) => string | undefined): Sortable<T>[] {
  return items.map((item) => {
    const a = address(item);
    return { item, words: a === undefined ? [0, 0, 0, 0] : addrWords(a) };
  });
}

function cmpWords(familyOfFirst: IpFamily, wa: number[], wb: number[]): number {
  if (familyOfFirst === 'inet') return wrapDiff(wa[0]!, wb[0]!);
  let r = 0;
  for (let i = 0; r === 0 && i < 4; i++) r = wrapDiff(wa[i]!, wb[i]!);
  return r;
}

function cmpServices(a: Sortable<IpvsServiceState>, b: Sortable<IpvsServiceState>): number {
  const k1 = a.item.service.key;
  const k2 = b.item.service.key;
  const m1 = k1.kind === 'fwmark' ? k1.fwmark : 0;
  const m2 = k2.kind === 'fwmark' ? k2.fwmark : 0;
  let r = wrapDiff(m1 >>> 0, m2 >>> 0);
  if (r !== 0) return r;
  r = afNum(k1.family) - afNum(k2.family);
  if (r !== 0) return r;
  if (k1.kind !== 'addr' || k2.kind !== 'addr') return 0;
  r = protoNum[k1.protocol] - protoNum[k2.protocol];
  if (r !== 0) return r;
  r = cmpWords(k1.family, a.words, b.words);
  return r !== 0 ? r : k1.port - k2.port;
}

function cmpDests(a: Sortable<IpvsDestinationState>, b: Sortable<IpvsDestinationState>): number {
  const r = cmpWords(a.item.family, a.words, b.words);
  return r !== 0 ? r : a.item.port - b.item.port;
}

/** ipvs_cmp_services: fwmark, af, protocol, address, port. */
export function ipvsadmCompareServices(s1: IpvsServiceState, s2: IpvsServiceState): number {
  const [a, b] = withWords([s1, s2], (s) =>
    s.service.key.kind === 'addr' ? s.service.key.address : undefined,
  );
  return cmpServices(a!, b!);
}

/** ipvs_cmp_dests: address (by the first one's family), then port. */
export function ipvsadmCompareDests(d1: IpvsDestinationState, d2: IpvsDestinationState): number {
  const [a, b] = withWords([d1, d2], (d) => d.address);
  return cmpDests(a!, b!);
}

/** ipvsadm's order of services (ipvs_sort_services). */
export function ipvsadmSortServices(services: readonly IpvsServiceState[]): IpvsServiceState[] {
  const dec = withWords(services, (s) => (s.service.key.kind === 'addr' ? s.service.key.address : undefined));
  return glibcMergeSort(dec, cmpServices).map((x) => x.item);
}

/** ipvsadm's order of destinations (ipvs_sort_dests). */
export function ipvsadmSortDests(dests: readonly IpvsDestinationState[]): IpvsDestinationState[] {
  return glibcMergeSort(
    withWords(dests, (d) => d.address),
    cmpDests,
  ).map((x) => x.item);
}

/**
 * glibc's msort (top-down merge sort, stable, takes the left element on ties): the same
 * comparisons in the same order, so even a comparator that is not transitive (ipvsadm's wrapping
 * address difference) gives ipvsadm's order. One scratch array, no slices.
 */
export function glibcMergeSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  const out = [...items];
  if (out.length > 1) msort(out, new Array<T>(out.length), 0, out.length, cmp);
  return out;
}

function msort<T>(a: T[], tmp: T[], lo: number, n: number, cmp: (a: T, b: T) => number): void {
  if (n <= 1) return;
  const n1 = n >> 1;
  const mid = lo + n1;
  const end = lo + n;
  msort(a, tmp, lo, n1, cmp);
  msort(a, tmp, mid, n - n1, cmp);
  let i = lo;
  let j = mid;
  let k = lo;
  while (i < mid && j < end) tmp[k++] = cmp(a[i]!, a[j]!) <= 0 ? a[i++]! : a[j++]!;
  while (i < mid) tmp[k++] = a[i++]!;
  // what is left of the second half is already in place
  for (let x = lo; x < k; x++) a[x] = tmp[x]!;
}

// ---- the listing ------------------------------------------------------------------------------

function title(f: Fmt): string {
  const prot = 'Prot LocalAddress:Port'.padEnd(33);
  const cols = (names: string[], w: number, l: boolean): string =>
    names.map((n) => ' ' + (l ? left(n, w) : right(n, w))).join('');
  if (f.rule) return '';
  if (f.stats)
    return `${prot}${cols(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], 8, false)}\n  -> RemoteAddress:Port\n`;
  if (f.rate)
    return `${prot}${cols(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], 8, false)}\n  -> RemoteAddress:Port\n`;
  if (f.thresholds)
    return `${prot}${cols(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], 10, true)}\n  -> RemoteAddress:Port\n`;
  if (f.persistentConn)
    return `${prot} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (f.tunInfo)
    return (
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n'
    );
  return (
    'Prot LocalAddress:Port Scheduler Flags\n' +
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'
  );
}

function schedFlags(s: IpvsServiceState['service']): string {
  const fl: string[] = [];
  if (s.scheduler === 'sh' || s.scheduler === 'mh') {
    if (s.flags.flag1) fl.push(`${s.scheduler}-fallback`);
    if (s.flags.flag2) fl.push(`${s.scheduler}-port`);
  } else {
    if (s.flags.flag1) fl.push('flag-1');
    if (s.flags.flag2) fl.push('flag-2');
    if (s.flags.flag3) fl.push('flag-3');
  }
  return fl.join(',');
}

const anySchedFlag = (s: IpvsServiceState['service']): boolean =>
  s.flags.flag1 || s.flags.flag2 || s.flags.flag3;

function persistMask(s: IpvsServiceState['service']): string | undefined {
  const p = s.persistence;
  if (!p) return undefined;
  if (s.key.family === 'inet') return String(p.netmask) !== '255.255.255.255' ? String(p.netmask) : undefined;
  return Number(p.netmask) !== 128 ? String(p.netmask) : undefined;
}

function statCols(st: IpvsStats, keys: (keyof IpvsStats)[], exact: boolean): string {
  return keys.map((k) => largeNum(st[k], exact)).join('');
}

function serviceEntry(se: IpvsServiceState, f: Fmt): string {
  const s = se.service;
  const k = s.key;
  const proto = k.kind === 'addr' ? k.protocol : undefined;
  let svcName: string;
  if (k.kind === 'fwmark') {
    svcName = f.rule
      ? `-f ${k.fwmark}${k.family === 'inet6' ? ' -6' : ''}`
      : `FWM  ${k.fwmark}${k.family === 'inet6' ? ' IPv6' : ''}`;
  } else {
    const vname = addrPort(k.family, k.address, k.port, k.protocol, f);
    if (f.rule) {
      svcName = `${k.protocol === 'tcp' ? '-t' : k.protocol === 'udp' ? '-u' : '--sctp-service'} ${vname}`;
    } else {
      svcName = `${left(k.protocol.toUpperCase(), 4)} ${vname}`;
      if (k.family !== 'inet6') svcName = svcName.slice(0, 33);
    }
  }
  const st = se.stats ?? noStats;
  const ex = f.exact ?? false;
  let out = '';
  if (f.rule) {
    out += `-A ${svcName} -s ${s.scheduler}`;
    if (s.persistence) {
      out += ` -p ${s.persistence.timeout}`;
      const m = persistMask(s);
      if (m !== undefined) out += ` -M ${m}`;
    }
    if (s.persistenceEngine) out += ` --pe ${s.persistenceEngine}`;
    if (s.flags.onePacket) out += ' -o';
    if (anySchedFlag(s)) out += ` -b ${schedFlags(s)}`;
  } else if (f.stats) {
    out += left(svcName, 33) + statCols(st, ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'], ex);
  } else if (f.rate) {
    out += left(svcName, 33) + statCols(st, ['cps', 'inPps', 'outPps', 'inBps', 'outBps'], ex);
  } else {
    out += `${svcName} ${s.scheduler}`;
    if (anySchedFlag(s)) out += ` (${schedFlags(s)})`;
    if (s.persistence) {
      out += ` persistent ${s.persistence.timeout}`;
      const m = persistMask(s);
      if (m !== undefined) out += ` mask ${m}`;
      if (s.persistenceEngine) out += ` pe ${s.persistenceEngine}`;
    }
    if (s.flags.onePacket) out += ' ops';
  }
  out += '\n';

  const dests = f.nosort ? se.destinations : ipvsadmSortDests(se.destinations);
  for (const d of dests) {
    let dname = addrPort(d.family, d.address, d.port, proto, f);
    if (!f.rule && d.family !== 'inet6') dname = dname.slice(0, 28);
    const ds = d.stats ?? noStats;
    if (f.rule) {
      out += `-a ${svcName} -r ${dname} ${fwdSwitches[d.method]} -w ${d.weight}${tunnelRuleSuffix(d)}\n`;
    } else if (f.stats) {
      out += `  -> ${left(dname, 28)}${statCols(ds, ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'], ex)}\n`;
    } else if (f.rate) {
      out +=
        `  -> ${left(dname, 28)} ${right(ds.cps, 8)} ${right(ds.inPps, 8)} ${right(ds.outPps, 8)}` +
        `${statCols(ds, ['inBps', 'outBps'], ex)}\n`;
    } else if (f.thresholds) {
      out += `  -> ${left(dname, 28)} ${left(d.upperThreshold, 10)} ${left(d.lowerThreshold, 10)} ${left(d.activeConns, 10)} ${left(d.inactiveConns, 10)}\n`;
    } else if (f.persistentConn) {
      out += `  -> ${left(dname, 28)} ${left(d.weight, 9)} ${left(d.persistConns, 11)} ${left(d.activeConns, 10)} ${left(d.inactiveConns, 10)}\n`;
    } else if (f.tunInfo) {
      out += `  -> ${left(dname, 28)} ${left(fwdNames[d.method], 7)} ${left(tunInfo(d), 13)} ${left(d.weight, 6)} ${left(d.activeConns, 10)} ${left(d.inactiveConns, 10)}\n`;
    } else {
      out += `  -> ${left(dname, 28)} ${left(fwdNames[d.method], 7)} ${left(d.weight, 6)} ${left(d.activeConns, 10)} ${left(d.inactiveConns, 10)}\n`;
    }
  }
  return out;
}

function sortedServices(services: readonly IpvsServiceState[], f: Fmt): readonly IpvsServiceState[] {
  return f.nosort ? services : ipvsadmSortServices(services);
}

const nversion = (v: number): string => `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`;

/**
 * Text of about this many characters is handed out at a time by the `...Chunks` generators: a
 * listing of 100,000 reals (7 MB) written as it is made is never held whole. Held whole, its small
 * strings lived through every collection the formatting ran: half of `formatSave`'s time at
 * 10,000 × 10 on the host (92 → 47 ms warm, measured).
 */
const CHUNK_CHARS = 1 << 16;

/** The text of `ipvsadm -L ...` (`formatList`), in pieces to write one after another. */
export function formatListChunks(
  info: IpvsInfo,
  services: readonly IpvsServiceState[],
  f: ListFormat = {},
): Generator<string> {
  const head = `IP Virtual Server version ${nversion(info.version)} (size=${info.connTableSize})\n${title(f)}`;
  return joinedInPieces(entries(head, sortedServices(services, f), f), CHUNK_CHARS);
}

/** `head`, then each service's entry. */
function* entries(head: string, services: readonly IpvsServiceState[], f: Fmt): Generator<string> {
  yield head;
  for (const s of services) yield serviceEntry(s, f);
}

/** `ipvsadm -L [-n] [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact]`. */
export function formatList(
  info: IpvsInfo,
  services: readonly IpvsServiceState[],
  f: ListFormat = {},
): string {
  return [...formatListChunks(info, services, f)].join('');
}

/** `ipvsadm -L -t|-u|-f SERVICE ...`: title and that one service (no version line). */
export function formatListService(service: IpvsServiceState, f: ListFormat = {}): string {
  return title(f) + serviceEntry(service, f);
}

/** The text of `ipvsadm -S ...` (`formatSave`), in pieces to write one after another. */
export function formatSaveChunks(
  services: readonly IpvsServiceState[],
  f: Pick<ListFormat, 'numeric' | 'nosort' | 'resolver'> = {},
): Generator<string> {
  const ff: Fmt = { ...f, rule: true };
  return joinedInPieces(entries('', sortedServices(services, ff), ff), CHUNK_CHARS);
}

/** `ipvsadm -S [-n]` (what `ipvsadm-save` prints). */
export function formatSave(
  services: readonly IpvsServiceState[],
  f: Pick<ListFormat, 'numeric' | 'nosort' | 'resolver'> = {},
): string {
  return [...formatSaveChunks(services, f)].join('');
}

/** `ipvsadm -L --timeout`. */
export function formatTimeouts(t: IpvsTimeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}

/** `ipvsadm -L --daemon`: master first, then backup, as the kernel dumps them. */
export function formatDaemons(daemons: readonly SyncDaemon[]): string {
  let out = '';
  for (const state of ['master', 'backup'] as const) {
    const d = daemons.find((x) => x.state === state);
    if (!d) continue;
    out += `${state} sync daemon (mcast=${d.interface}, syncid=${d.syncId}`;
    if (d.maxLen) out += `, maxlen=${d.maxLen}`;
    if (d.group !== undefined) out += `, group=${d.group}`;
    if (d.port) out += `, port=${d.port}`;
    if (d.ttl) out += `, ttl=${d.ttl}`;
    out += ')\n';
  }
  return out;
}

// ---- connections (-c) ---------------------------------------------------------------------------

/** Address text of a /proc/net/ip_vs_conn field as ipvsadm reads it: IPv6, IPv4, else hex u32. */
function procAddr(s: string): { family: IpFamily; address: string } {
  if (s.includes(':') && ipaddr.IPv6.isValid(s))
    return { family: 'inet6', address: ipaddr.parse(s).toString() };
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return { family: 'inet', address: s };
  const n = Number.parseInt(s, 16) >>> 0;
  const v = Number.isNaN(n) ? 0 : n;
  return { family: 'inet', address: [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.') };
}

/** `ipvsadm -L -c [-n] [--persistent-conn]` from the text of /proc/net/ip_vs_conn. */
export function formatConnections(
  procText: string,
  f: Pick<ListFormat, 'numeric' | 'persistentConn' | 'resolver'> = {},
): string {
  const lines = procText.split('\n');
  let out = 'IPVS connection entries\n';
  out += f.persistentConn
    ? `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} ${left('destination', 18)} ${left('pe name', 16)} pe_data\n`
    : `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} destination\n`;
  for (const line of lines.slice(1)) {
    const t = line.trim().split(/\s+/);
    if (t.length < 9 || t[0] === '') continue;
    const [protocol, ca, cp, va, vp, da, dp, state, expires, peName, peData] = t as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string?,
      string?,
    ];
    const proto: IpvsProtocol | undefined =
      protocol === 'TCP' ? 'tcp' : protocol === 'UDP' ? 'udp' : protocol === 'SCTP' ? 'sctp' : undefined;
    const c = procAddr(ca);
    const v = procAddr(va);
    const d = procAddr(da);
    // ipvsadm takes the client's family for the virtual address too.
    const vFam: IpFamily = c.family;
    const port = (h: string): number => Number.parseInt(h, 16) & 0xffff;
    const cname = addrPort(c.family, c.address, port(cp), proto, f);
    const vname = addrPort(vFam, v.address, port(vp), proto, f);
    const dname = addrPort(d.family, d.address, port(dp), proto, f);
    const exp = Number.parseInt(expires, 10) >>> 0;
    const expStr = `${String(Math.floor(exp / 60)).padStart(2, '0')}:${String(exp % 60).padStart(2, '0')}`;
    out +=
      f.persistentConn && peData !== undefined && peName !== undefined
        ? `${left(protocol, 3)} ${left(expStr, 6)} ${left(state, 11)} ${left(cname, 18)} ${left(vname, 18)} ${left(dname, 16)} ${left(peName, 18)} ${peData}\n`
        : `${left(protocol, 3)} ${left(expStr, 6)} ${left(state, 11)} ${left(cname, 18)} ${left(vname, 18)} ${dname}\n`;
  }
  return out;
}
