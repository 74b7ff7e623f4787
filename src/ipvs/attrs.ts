// SPDX-License-Identifier: Apache-2.0
/**
 * The IPVS generic netlink schema (Linux include/uapi/linux/ip_vs.h, family "IPVS" version 1) as
 * ONE declarative table, and pure encoders/decoders between it and the model types.
 * Pure. Byte order: every attribute is host order except the ones the table marks `u16be`/`u32be`
 * (service/dest PORT, dest TUN_PORT, the IPv4 service NETMASK, which the kernel keeps as __be32).
 * Decoding never throws: a malformed kernel reply becomes `{ ok: false, reason }`.
 */
import { Buffer } from 'node:buffer';
import { AttrDecoder, AttrWriter, NLA_HDRLEN } from '../netlink/codec.js';
import type {
  ForwardMethod,
  IpvsDestination,
  IpvsDestinationState,
  IpvsInfo,
  IpvsProtocol,
  IpvsService,
  IpvsStats,
  IpvsTimeouts,
  ServiceKey,
  SyncDaemon,
  TunnelChecksum,
  TunnelType,
} from './model.js';
import { addrBytesOf, addrText as textOf, type IpFamily } from '../core/addr.js';
import { zeroStats } from './model.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IpvsCmd = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;
export type IpvsCmdName = keyof typeof IpvsCmd;

export function ipvsCmdName(cmd: number): string {
  const e = Object.entries(IpvsCmd).find(([, v]) => v === cmd);
  return `IPVS_CMD_${e?.[0] ?? String(cmd)}`;
}

type Kind = 'u8' | 'u16' | 'u16be' | 'u32' | 'u32be' | 'u64' | 'string' | 'binary' | 'nested';
interface AttrSpec {
  readonly id: number;
  readonly kind: Kind;
}

/** Every IPVS attribute: id and wire type. The one table the codecs below read. */
export const ipvsAttrs = {
  cmd: {
    SERVICE: { id: 1, kind: 'nested' },
    DEST: { id: 2, kind: 'nested' },
    DAEMON: { id: 3, kind: 'nested' },
    TIMEOUT_TCP: { id: 4, kind: 'u32' },
    TIMEOUT_TCP_FIN: { id: 5, kind: 'u32' },
    TIMEOUT_UDP: { id: 6, kind: 'u32' },
  },
  service: {
    AF: { id: 1, kind: 'u16' },
    PROTOCOL: { id: 2, kind: 'u16' },
    /** union nf_inet_addr: send 4 or 16 bytes; the kernel replies with 16. */
    ADDR: { id: 3, kind: 'binary' },
    PORT: { id: 4, kind: 'u16be' },
    FWMARK: { id: 5, kind: 'u32' },
    SCHED_NAME: { id: 6, kind: 'string' },
    /** struct ip_vs_flags { u32 flags; u32 mask; } */
    FLAGS: { id: 7, kind: 'binary' },
    TIMEOUT: { id: 8, kind: 'u32' },
    /** IPv4: the mask as __be32; IPv6: the prefix length (host u32). Encoded per family below. */
    NETMASK: { id: 9, kind: 'u32' },
    STATS: { id: 10, kind: 'nested' },
    PE_NAME: { id: 11, kind: 'string' },
    STATS64: { id: 12, kind: 'nested' },
  },
  dest: {
    ADDR: { id: 1, kind: 'binary' },
    PORT: { id: 2, kind: 'u16be' },
    FWD_METHOD: { id: 3, kind: 'u32' },
    WEIGHT: { id: 4, kind: 'u32' },
    U_THRESH: { id: 5, kind: 'u32' },
    L_THRESH: { id: 6, kind: 'u32' },
    ACTIVE_CONNS: { id: 7, kind: 'u32' },
    INACT_CONNS: { id: 8, kind: 'u32' },
    PERSIST_CONNS: { id: 9, kind: 'u32' },
    STATS: { id: 10, kind: 'nested' },
    ADDR_FAMILY: { id: 11, kind: 'u16' },
    STATS64: { id: 12, kind: 'nested' },
    TUN_TYPE: { id: 13, kind: 'u8' },
    TUN_PORT: { id: 14, kind: 'u16be' },
    TUN_FLAGS: { id: 15, kind: 'u16' },
  },
  daemon: {
    STATE: { id: 1, kind: 'u32' },
    MCAST_IFN: { id: 2, kind: 'string' },
    SYNC_ID: { id: 3, kind: 'u32' },
    SYNC_MAXLEN: { id: 4, kind: 'u16' },
    /** struct in_addr (network order bytes) */
    MCAST_GROUP: { id: 5, kind: 'binary' },
    MCAST_GROUP6: { id: 6, kind: 'binary' },
    MCAST_PORT: { id: 7, kind: 'u16' },
    MCAST_TTL: { id: 8, kind: 'u8' },
  },
  /** STATS: CONNS/INPKTS/OUTPKTS/CPS/*PPS/*BPS u32, bytes u64. STATS64: all u64. */
  stats: {
    CONNS: { id: 1, kind: 'u32' },
    INPKTS: { id: 2, kind: 'u32' },
    OUTPKTS: { id: 3, kind: 'u32' },
    INBYTES: { id: 4, kind: 'u64' },
    OUTBYTES: { id: 5, kind: 'u64' },
    CPS: { id: 6, kind: 'u32' },
    INPPS: { id: 7, kind: 'u32' },
    OUTPPS: { id: 8, kind: 'u32' },
    INBPS: { id: 9, kind: 'u32' },
    OUTBPS: { id: 10, kind: 'u32' },
    PAD: { id: 11, kind: 'binary' },
  },
  info: {
    VERSION: { id: 1, kind: 'u32' },
    CONN_TAB_SIZE: { id: 2, kind: 'u32' },
  },
} as const satisfies Record<string, Record<string, AttrSpec>>;

export const AddressFamily = { inet: 2, inet6: 10 } as const;
export const IpProto = { tcp: 6, udp: 17, sctp: 132 } as const;
export const SvcFlags = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;
export const FwdMethod = { masq: 0, local: 1, tunnel: 2, droute: 3, bypass: 4 } as const;
export const TunType = { ipip: 0, gue: 1, gre: 2 } as const;
export const TunFlags = { nocsum: 0, csum: 1, remcsum: 2 } as const;
export const DaemonState = { master: 1, backup: 2 } as const;

function put(w: AttrWriter, spec: AttrSpec, v: number | string | Uint8Array | readonly number[]): void {
  if (typeof v === 'string') w.string(spec.id, v);
  else if (typeof v !== 'number') w.bytes(spec.id, v);
  else if (spec.kind === 'u8') w.u8(spec.id, v);
  else if (spec.kind === 'u16') w.u16(spec.id, v);
  else if (spec.kind === 'u16be') w.u16be(spec.id, v);
  else if (spec.kind === 'u32be') w.u32be(spec.id, v);
  else w.u32(spec.id, v);
}

/** Canonical dotted-quad IPv4 to bytes, by char codes (no regex, no split): the hot path of encoding. */
/** An address's bytes for the kernel (the model's text is canonical: the fast paths take it). */
function addrBytes(family: IpFamily, address: string): Uint8Array {
  return addrBytesOf(address, family);
}

/** The address in the first 4 or 16 bytes of an attribute, as text. */
function addrText(family: IpFamily, b: Buffer): string | undefined {
  const n = family === 'inet' ? 4 : 16;
  return b.length < n ? undefined : textOf(b.subarray(0, n));
}

function familyOf(af: number): IpFamily | undefined {
  return af === AddressFamily.inet ? 'inet' : af === AddressFamily.inet6 ? 'inet6' : undefined;
}

const S = ipvsAttrs.service;
const D = ipvsAttrs.dest;

/** The identity attributes of a service (enough for DEL_SERVICE, GET_DEST, ZERO, NEW_DEST). */
export function writeServiceKey(w: AttrWriter, key: ServiceKey): void {
  put(w, S.AF, AddressFamily[key.family]);
  if (key.kind === 'fwmark') {
    put(w, S.FWMARK, key.fwmark);
  } else {
    put(w, S.PROTOCOL, IpProto[key.protocol]);
    put(w, S.ADDR, addrBytes(key.family, key.address));
    put(w, S.PORT, key.port);
  }
}

export function serviceFlagBits(s: IpvsService): number {
  return (
    (s.persistence !== undefined ? SvcFlags.PERSISTENT : 0) |
    (s.flags.onePacket ? SvcFlags.ONEPACKET : 0) |
    (s.flags.flag1 ? SvcFlags.SCHED1 : 0) |
    (s.flags.flag2 ? SvcFlags.SCHED2 : 0) |
    (s.flags.flag3 ? SvcFlags.SCHED3 : 0)
  );
}

/** A full service (NEW_SERVICE / SET_SERVICE need scheduler, flags, timeout and netmask). */
export function writeService(w: AttrWriter, s: IpvsService): void {
  writeServiceKey(w, s.key);
  put(w, S.SCHED_NAME, s.scheduler);
  w.u32pair(S.FLAGS.id, serviceFlagBits(s), 0xffffffff);
  put(w, S.TIMEOUT, s.persistence?.timeout ?? 0);
  if (s.key.family === 'inet') {
    const mask = s.persistence?.netmask ?? '255.255.255.255';
    const bytes = typeof mask === 'string' ? addrBytes('inet', mask) : prefixToMask(mask);
    w.u32be(S.NETMASK.id, Buffer.from(bytes).readUInt32BE(0));
  } else {
    const p = s.persistence?.netmask ?? 128;
    w.u32(S.NETMASK.id, typeof p === 'number' ? p : Number(p));
  }
  if (s.persistenceEngine !== undefined) put(w, S.PE_NAME, s.persistenceEngine);
}

function prefixToMask(len: number): Uint8Array {
  const v = len <= 0 ? 0 : len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v, 0);
  return b;
}

/** Identity of a destination within its service (DEL_DEST). */
export function writeDestKey(w: AttrWriter, d: Pick<IpvsDestination, 'family' | 'address' | 'port'>): void {
  put(w, D.ADDR, addrBytes(d.family, d.address));
  put(w, D.PORT, d.port);
  put(w, D.ADDR_FAMILY, AddressFamily[d.family]);
}

/** A full destination (NEW_DEST / SET_DEST). Tunnel attributes only for method 'tunnel'. */
export function writeDest(w: AttrWriter, d: IpvsDestination): void {
  writeDestKey(w, d);
  put(w, D.FWD_METHOD, FwdMethod[d.method]);
  put(w, D.WEIGHT, d.weight);
  put(w, D.U_THRESH, d.upperThreshold);
  put(w, D.L_THRESH, d.lowerThreshold);
  if (d.method === 'tunnel') {
    const t = d.tunnel ?? { type: 'ipip' as const };
    put(w, D.TUN_TYPE, TunType[t.type]);
    put(w, D.TUN_PORT, t.port ?? 0);
    put(w, D.TUN_FLAGS, TunFlags[t.checksum ?? 'nocsum']);
  }
}

export function writeDaemon(w: AttrWriter, dm: SyncDaemon): void {
  const A = ipvsAttrs.daemon;
  put(w, A.STATE, DaemonState[dm.state]);
  put(w, A.MCAST_IFN, dm.interface);
  put(w, A.SYNC_ID, dm.syncId);
  if (dm.maxLen !== undefined) put(w, A.SYNC_MAXLEN, dm.maxLen);
  if (dm.group !== undefined) {
    const g = addrBytes(dm.group.includes(':') ? 'inet6' : 'inet', dm.group);
    put(w, g.length === 4 ? A.MCAST_GROUP : A.MCAST_GROUP6, g);
  }
  if (dm.port !== undefined) put(w, A.MCAST_PORT, dm.port);
  if (dm.ttl !== undefined) put(w, A.MCAST_TTL, dm.ttl);
}

/** SET_CONFIG attributes; 0 leaves a timeout unchanged (as `ipvsadm --set`). */
export function writeTimeouts(w: AttrWriter, t: IpvsTimeouts): void {
  const C = ipvsAttrs.cmd;
  if (t.tcp !== 0) put(w, C.TIMEOUT_TCP, t.tcp);
  if (t.tcpFin !== 0) put(w, C.TIMEOUT_TCP_FIN, t.tcpFin);
  if (t.udp !== 0) put(w, C.TIMEOUT_UDP, t.udp);
}

/** A service key's nested SERVICE attribute, with the fields it was made from. */
interface EncodedKey {
  readonly key: ServiceKey;
  readonly bytes: Buffer;
}

/** The nested SERVICE attribute of a key object, kept with a copy of its fields. */
const encodedKeys = new WeakMap<ServiceKey, EncodedKey>();

const sameKey = (a: ServiceKey, b: ServiceKey): boolean =>
  a.kind === 'fwmark'
    ? b.kind === 'fwmark' && a.fwmark === b.fwmark && a.family === b.family
    : b.kind === 'addr' &&
      a.address === b.address &&
      a.port === b.port &&
      a.protocol === b.protocol &&
      a.family === b.family;

/**
 * The SERVICE attribute of `key` (its identity, for NEW_DEST, SET_DEST, DEL_DEST, DEL_SERVICE, GET_DEST),
 * encoded once per key object: a plan's ops on one service's reals share its key, and encoding it
 * (the address read from its text each time) was a third of encoding a first table of 11,000 ops. A key
 * object changed since is encoded again (its fields are compared, not trusted).
 */
function serviceKeyAttr(key: ServiceKey): Buffer {
  const hit = encodedKeys.get(key);
  if (hit !== undefined && sameKey(key, hit.key)) return hit.bytes;
  // a copy of its own: the writer's bytes are a slice of Node's shared pool, which a kept one would pin
  const bytes = Buffer.from(encodeDestDumpAttrs(key));
  encodedKeys.set(key, { key: { ...key }, bytes });
  return bytes;
}

/**
 * The SERVICE attribute of `key` alone, as GET_DEST asks for it: for a key met once (a dump's
 * services are fresh objects), so without `serviceKeyAttr`'s cache, whose WeakMap would hold one
 * entry per service of the table until the next collection.
 */
export function encodeDestDumpAttrs(key: ServiceKey): Buffer {
  const w = new AttrWriter(64);
  w.nested(ipvsAttrs.cmd.SERVICE.id, (n) => writeServiceKey(n, key));
  return w.toBuffer();
}

/** Top-level attributes of a request, e.g. `encodeCmdAttrs({ service })` for NEW_SERVICE. */
export function encodeCmdAttrs(a: {
  service?: IpvsService;
  serviceKey?: ServiceKey;
  dest?: IpvsDestination;
  destKey?: Pick<IpvsDestination, 'family' | 'address' | 'port'>;
  daemon?: SyncDaemon;
  daemonState?: SyncDaemon['state'];
  timeouts?: IpvsTimeouts;
}): Buffer {
  const w = new AttrWriter();
  const C = ipvsAttrs.cmd;
  if (a.service !== undefined) {
    const s = a.service;
    w.nested(C.SERVICE.id, (n) => writeService(n, s));
  } else if (a.serviceKey !== undefined) {
    w.raw(serviceKeyAttr(a.serviceKey));
  }
  if (a.dest !== undefined) {
    const d = a.dest;
    w.nested(C.DEST.id, (n) => writeDest(n, d));
  } else if (a.destKey !== undefined) {
    const d = a.destKey;
    w.nested(C.DEST.id, (n) => writeDestKey(n, d));
  }
  if (a.daemon !== undefined) {
    const dm = a.daemon;
    w.nested(C.DAEMON.id, (n) => writeDaemon(n, dm));
  } else if (a.daemonState !== undefined) {
    const st = a.daemonState;
    w.nested(C.DAEMON.id, (n) => put(n, ipvsAttrs.daemon.STATE, DaemonState[st]));
  }
  if (a.timeouts !== undefined) writeTimeouts(w, a.timeouts);
  return w.toBuffer();
}

// ------------------------------------------------------------------------------------ decoding

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The counters in STATS/STATS64 order (attribute type - 1); PAD and later ones are skipped. */
const statKeys: readonly (keyof IpvsStats)[] = [
  'conns',
  'inPkts',
  'outPkts',
  'inBytes',
  'outBytes',
  'cps',
  'inPps',
  'outPps',
  'inBps',
  'outBps',
];

/** The nest at the decoder's current attribute; `wide`: STATS64 (every counter u64). */
function statsFrom(d: AttrDecoder, wide: boolean): IpvsStats {
  const s: IpvsStats = zeroStats();
  const n = new AttrDecoder(d.buffer, d.payloadStart(), d.payloadEnd());
  while (n.next()) {
    const k = statKeys[n.type() - 1];
    if (k === undefined) continue; // PAD and future counters
    s[k] = wide || k === 'inBytes' || k === 'outBytes' ? n.u64() : BigInt(n.u32());
  }
  const e = n.err();
  if (e !== undefined) d.fail(`in attribute ${d.type()}: ${e}`);
  return s;
}

/** The 32-bit STATS nest (kernels without STATS64); a string is a decode error. */
function legacyStats(raw: Buffer | undefined): IpvsStats | string | undefined {
  if (raw === undefined) return undefined;
  const hdr = Buffer.alloc(NLA_HDRLEN);
  hdr.writeUInt16LE(NLA_HDRLEN + raw.length, 0);
  const d = new AttrDecoder(Buffer.concat([hdr, raw]));
  d.next();
  const st = statsFrom(d, false);
  return d.err() ?? st;
}

/** Options of the dump decoders. */
export interface DecodeOptions {
  /** Decode the counters (STATS64, else STATS). Listings without `--stats`/`--rate` and the reconciler do not need them. @default true */
  stats?: boolean;
}

/** Address text of the `family`'s first 4 or 16 bytes at [at, end) of `b`, read in place. */
function addrTextAt(b: Buffer, at: number, end: number, family: IpFamily): string | undefined {
  if (family === 'inet') return end - at < 4 ? undefined : `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  return end - at < 16 ? undefined : textOf(b.subarray(at, at + 16));
}

const protoByNum = new Map<number, IpvsProtocol>(
  Object.entries(IpProto).map(([k, v]) => [v, k as IpvsProtocol]),
);
const fwdByNum = new Map<number, ForwardMethod>(
  Object.entries(FwdMethod).map(([k, v]) => [v, k as ForwardMethod]),
);
const tunByNum = new Map<number, TunnelType>(Object.entries(TunType).map(([k, v]) => [v, k as TunnelType]));
const csumByNum = new Map<number, TunnelChecksum>(
  Object.entries(TunFlags).map(([k, v]) => [v, k as TunnelChecksum]),
);

export interface DecodedService {
  service: IpvsService;
  stats?: IpvsStats;
}

/** The nested IPVS_CMD_ATTR_SERVICE of a GET_SERVICE reply. */
export function decodeService(
  buf: Buffer,
  opts: DecodeOptions = {},
  start = 0,
  end = buf.length,
): DecodeResult<DecodedService> {
  const withStats = opts.stats ?? true;
  const d = new AttrDecoder(buf, start, end);
  let af = 0;
  let proto = 0;
  let addr: Buffer | undefined;
  let port = 0;
  let fwmark: number | undefined;
  let sched = '';
  let flags = 0;
  let timeout = 0;
  let netmaskRaw: Buffer | undefined;
  let pe: string | undefined;
  let statsRaw: Buffer | undefined;
  let stats64: IpvsStats | undefined;
  while (d.next()) {
    switch (d.type()) {
      case S.AF.id:
        af = d.u16();
        break;
      case S.PROTOCOL.id:
        proto = d.u16();
        break;
      case S.ADDR.id:
        addr = d.bytes();
        break;
      case S.PORT.id:
        port = d.u16be();
        break;
      case S.FWMARK.id:
        fwmark = d.u32();
        break;
      case S.SCHED_NAME.id:
        sched = d.string();
        break;
      case S.FLAGS.id:
        flags = d.u32();
        break;
      case S.TIMEOUT.id:
        timeout = d.u32();
        break;
      case S.NETMASK.id:
        netmaskRaw = d.bytes();
        break;
      case S.PE_NAME.id:
        pe = d.string();
        break;
      case S.STATS.id:
        if (withStats) statsRaw = d.bytes(); // decoded only when the kernel sends no STATS64
        break;
      case S.STATS64.id:
        if (withStats) stats64 = statsFrom(d, true);
        break;
      default:
        break;
    }
  }
  const e = d.err();
  if (e !== undefined) return { ok: false, reason: e };
  const family = familyOf(af);
  if (family === undefined) return { ok: false, reason: `service: unknown address family ${af}` };
  let key: ServiceKey;
  if (fwmark !== undefined && fwmark !== 0) {
    key = { kind: 'fwmark', family, fwmark };
  } else {
    const protocol = protoByNum.get(proto);
    const address = addr === undefined ? undefined : addrText(family, addr);
    if (protocol === undefined) return { ok: false, reason: `service: unknown protocol ${proto}` };
    if (address === undefined) return { ok: false, reason: 'service: missing or short ADDR' };
    key = { kind: 'addr', family, protocol, address, port };
  }
  const service: IpvsService = {
    key,
    scheduler: sched,
    flags: {
      flag1: (flags & SvcFlags.SCHED1) !== 0,
      flag2: (flags & SvcFlags.SCHED2) !== 0,
      flag3: (flags & SvcFlags.SCHED3) !== 0,
      onePacket: (flags & SvcFlags.ONEPACKET) !== 0,
    },
  };
  if ((flags & SvcFlags.PERSISTENT) !== 0) {
    let netmask: string | number = family === 'inet' ? '255.255.255.255' : 128;
    if (netmaskRaw !== undefined && netmaskRaw.length >= 4) {
      netmask = family === 'inet' ? textOf(netmaskRaw.subarray(0, 4)) : netmaskRaw.readUInt32LE(0);
    }
    service.persistence = { timeout, netmask };
  }
  if (pe !== undefined && pe !== '') service.persistenceEngine = pe;
  const st = stats64 ?? legacyStats(statsRaw);
  if (typeof st === 'string') return { ok: false, reason: st };
  return { ok: true, value: st === undefined ? { service } : { service, stats: st } };
}

/**
 * The nested IPVS_CMD_ATTR_DEST of a GET_DEST reply; `svcFamily` is used on kernels without
 * ADDR_FAMILY. The hot path of a dump (one call per real): values are read in place, the address
 * once its family is known, and the counters only when asked for.
 */
export function decodeDest(
  buf: Buffer,
  svcFamily: IpFamily,
  opts: DecodeOptions = {},
  start = 0,
  end = buf.length,
): DecodeResult<IpvsDestinationState> {
  const withStats = opts.stats ?? true;
  const d = new AttrDecoder(buf, start, end);
  let addrAt = -1;
  let addrEnd = -1;
  let af: number | undefined;
  let port = 0;
  let fwd = 0;
  let weight = 0;
  let upper = 0;
  let lower = 0;
  let active = 0;
  let inactive = 0;
  let persist = 0;
  let tunType = 0;
  let tunPort = 0;
  let tunFlags = 0;
  let statsRaw: Buffer | undefined;
  let stats64: IpvsStats | undefined;
  while (d.next()) {
    switch (d.type()) {
      case D.ADDR.id:
        addrAt = d.payloadStart();
        addrEnd = d.payloadEnd();
        break;
      case D.PORT.id:
        port = d.u16be();
        break;
      case D.FWD_METHOD.id:
        fwd = d.u32() & 0x7;
        break;
      case D.WEIGHT.id:
        weight = d.u32() | 0;
        break;
      case D.U_THRESH.id:
        upper = d.u32();
        break;
      case D.L_THRESH.id:
        lower = d.u32();
        break;
      case D.ACTIVE_CONNS.id:
        active = d.u32();
        break;
      case D.INACT_CONNS.id:
        inactive = d.u32();
        break;
      case D.PERSIST_CONNS.id:
        persist = d.u32();
        break;
      case D.STATS.id:
        if (withStats) statsRaw = d.bytes(); // decoded only when the kernel sends no STATS64
        break;
      case D.ADDR_FAMILY.id:
        af = d.u16();
        break;
      case D.STATS64.id:
        if (withStats) stats64 = statsFrom(d, true);
        break;
      case D.TUN_TYPE.id:
        tunType = d.u8();
        break;
      case D.TUN_PORT.id:
        tunPort = d.u16be();
        break;
      case D.TUN_FLAGS.id:
        tunFlags = d.u16();
        break;
      default:
        break;
    }
  }
  const e = d.err();
  if (e !== undefined) return { ok: false, reason: e };
  const family = af === undefined ? svcFamily : familyOf(af);
  if (family === undefined) return { ok: false, reason: `dest: unknown address family ${String(af)}` };
  const address = addrAt < 0 ? undefined : addrTextAt(buf, addrAt, addrEnd, family);
  if (address === undefined) return { ok: false, reason: 'dest: missing or short ADDR' };
  const method = fwdByNum.get(fwd);
  if (method === undefined) return { ok: false, reason: `dest: unknown forwarding method ${fwd}` };
  const dest: IpvsDestinationState = {
    family,
    address,
    port,
    method,
    weight,
    upperThreshold: upper,
    lowerThreshold: lower,
    activeConns: active,
    inactiveConns: inactive,
    persistConns: persist,
  };
  if (method === 'tunnel') {
    const type = tunByNum.get(tunType);
    if (type === undefined) return { ok: false, reason: `dest: unknown tunnel type ${tunType}` };
    const checksum = csumByNum.get(tunFlags & 0x3) ?? 'nocsum';
    dest.tunnel =
      type === 'ipip' ? { type } : type === 'gue' ? { type, port: tunPort, checksum } : { type, checksum };
  }
  const st = stats64 ?? legacyStats(statsRaw);
  if (typeof st === 'string') return { ok: false, reason: st };
  if (st !== undefined) dest.stats = st;
  return { ok: true, value: dest };
}

export function decodeDaemon(buf: Buffer): DecodeResult<SyncDaemon> {
  const A = ipvsAttrs.daemon;
  const d = new AttrDecoder(buf);
  let state = 0;
  const dm: Partial<SyncDaemon> = {};
  while (d.next()) {
    switch (d.type()) {
      case A.STATE.id:
        state = d.u32();
        break;
      case A.MCAST_IFN.id:
        dm.interface = d.string();
        break;
      case A.SYNC_ID.id:
        dm.syncId = d.u32();
        break;
      case A.SYNC_MAXLEN.id:
        dm.maxLen = d.u16();
        break;
      case A.MCAST_GROUP.id: {
        const b = d.bytes();
        if (b.length >= 4) dm.group = textOf(b.subarray(0, 4));
        break;
      }
      case A.MCAST_GROUP6.id: {
        const b = d.bytes();
        if (b.length >= 16) dm.group = textOf(b.subarray(0, 16));
        break;
      }
      case A.MCAST_PORT.id:
        dm.port = d.u16();
        break;
      case A.MCAST_TTL.id:
        dm.ttl = d.u8();
        break;
      default:
        break;
    }
  }
  const e = d.err();
  if (e !== undefined) return { ok: false, reason: e };
  const st = state === DaemonState.master ? 'master' : state === DaemonState.backup ? 'backup' : undefined;
  if (st === undefined) return { ok: false, reason: `daemon: unknown state ${state}` };
  return { ok: true, value: { ...dm, state: st, interface: dm.interface ?? '', syncId: dm.syncId ?? 0 } };
}

/** Top-level attributes of a reply: the nested SERVICE/DEST/DAEMON payloads and the timeouts. */
export function decodeCmdAttrs(
  buf: Buffer,
): DecodeResult<{ service?: Buffer; dest?: Buffer; daemon?: Buffer; timeouts: Partial<IpvsTimeouts> }> {
  const d = new AttrDecoder(buf);
  const C = ipvsAttrs.cmd;
  const out: { service?: Buffer; dest?: Buffer; daemon?: Buffer; timeouts: Partial<IpvsTimeouts> } = {
    timeouts: {},
  };
  while (d.next()) {
    switch (d.type()) {
      case C.SERVICE.id:
        out.service = d.bytes();
        break;
      case C.DEST.id:
        out.dest = d.bytes();
        break;
      case C.DAEMON.id:
        out.daemon = d.bytes();
        break;
      case C.TIMEOUT_TCP.id:
        out.timeouts.tcp = d.u32();
        break;
      case C.TIMEOUT_TCP_FIN.id:
        out.timeouts.tcpFin = d.u32();
        break;
      case C.TIMEOUT_UDP.id:
        out.timeouts.udp = d.u32();
        break;
      default:
        break;
    }
  }
  const e = d.err();
  return e !== undefined ? { ok: false, reason: e } : { ok: true, value: out };
}

/**
 * Where the one nested attribute of type `type` (SERVICE, DEST) of a dump reply lies in `attrs`, so
 * that it is decoded in place; a reason when it is missing or the attributes are malformed.
 */
export function nestedIn(attrs: Buffer, type: number): { start: number; end: number } | string {
  const d = new AttrDecoder(attrs);
  while (d.next()) if (d.type() === type) return { start: d.payloadStart(), end: d.payloadEnd() };
  return d.err() ?? 'no such attribute';
}

/** The reply to GET_INFO (top-level IPVS_INFO_ATTR_*). */
export function decodeInfo(buf: Buffer): DecodeResult<IpvsInfo> {
  const d = new AttrDecoder(buf);
  const I = ipvsAttrs.info;
  let version: number | undefined;
  let connTableSize: number | undefined;
  while (d.next()) {
    if (d.type() === I.VERSION.id) version = d.u32();
    else if (d.type() === I.CONN_TAB_SIZE.id) connTableSize = d.u32();
  }
  const e = d.err();
  if (e !== undefined) return { ok: false, reason: e };
  if (version === undefined || connTableSize === undefined)
    return { ok: false, reason: 'info: VERSION or CONN_TAB_SIZE missing' };
  return { ok: true, value: { version, connTableSize } };
}
