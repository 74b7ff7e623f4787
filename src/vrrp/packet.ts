// SPDX-License-Identifier: Apache-2.0
/**
 * VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798/9568) advert codec, checksums, and receive-side
 * validation against an instance. Pure. Hand-written: no maintained npm package encodes VRRP,
 * and the checksum variants keepalived uses (v3 IPv4 with or without the pseudo-header) are
 * interop-critical, so they are spelled out here. Malformed input is a DropReason, never a throw.
 */
import { perObject } from '../core/per-object.js';
import { finishChecksum, sum16 } from '../net/wire.js';
import { addrBytes, addrBytesOf, addrText, canonicalAddr } from '../core/addr.js';
import type {
  Advert,
  ChecksumMode,
  DropReason,
  MachineConfig,
  ReceivedAdvert,
  RxMeta,
  VrrpFamily,
  VrrpVersion,
} from './types.js';

/** IP protocol number of VRRP. */
export const IPPROTO_VRRP = 112;
export const VRRP_TYPE_ADVERT = 1;
export const VRRP_AUTH = { none: 0, pass: 1, ah: 2 } as const;
export const VRRP_AUTH_DATA_LEN = 8;
/** TTL / hop limit every advert is sent with and (multicast) must arrive with. */
export const VRRP_TTL = 255;
export const VRRP_MCAST4 = '224.0.0.18';
export const VRRP_MCAST6 = 'ff02::12';

/** The fields an advert is encoded from. */
export interface AdvertFields {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  /** v3: centiseconds (1..4095); v2: seconds (0..255). */
  readonly adverInt: number;
  readonly addresses: readonly string[];
  /** v2 only [0]. */
  readonly authType?: number;
  /** v2 only: 8 bytes (shorter is NUL-padded). */
  readonly authData?: Uint8Array;
}

/** The IP context a checksum needs: addresses of the IP header the payload travels in. */
export interface ChecksumContext {
  readonly family: VrrpFamily;
  readonly src: string;
  readonly dst: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly value: Advert; readonly consumed: number }
  | { readonly ok: false; readonly reason: DropReason };

export type ValidateResult =
  | { readonly ok: true; readonly value: ReceivedAdvert; readonly vipMismatch: boolean }
  | { readonly ok: false; readonly reason: DropReason };

function familyLen(family: VrrpFamily): number {
  return family === 'inet' ? 4 : 16;
}

/** Whether the IP addresses of a checksum context parse for its family (else no pseudo-header). */
function hasAddrs(ck: ChecksumContext): boolean {
  const n = familyLen(ck.family);
  return addrBytes(ck.src)?.length === n && addrBytes(ck.dst)?.length === n;
}

/** Length of a VRRP message with `count` addresses. */
export function advertLength(version: VrrpVersion, family: VrrpFamily, count: number): number {
  return 8 + count * familyLen(family) + (version === 2 ? VRRP_AUTH_DATA_LEN : 0);
}

/** Running sum of the pseudo-header: IPv4 {src,dst,0,112,len}; IPv6 RFC 8200 §8.1. */
function pseudoSum(ctx: ChecksumContext, len: number): number {
  const src = addrBytesOf(ctx.src, ctx.family);
  const dst = addrBytesOf(ctx.dst, ctx.family);
  let s = sum16(src, sum16(dst));
  if (ctx.family === 'inet') s += IPPROTO_VRRP + len;
  else s += (len >>> 16) + (len & 0xffff) + IPPROTO_VRRP;
  return s;
}

/**
 * The checksum of a VRRP message (checksum field taken as zero). `plain` = message only (v2, and
 * v3 IPv4 with `v3_checksum_as_v2`); `pseudo` = with the IP pseudo-header (v3 default; always IPv6).
 */
export function advertChecksum(msg: Uint8Array, mode: ChecksumMode, ctx?: ChecksumContext): number {
  const zeroed = msg.slice();
  zeroed[6] = 0;
  zeroed[7] = 0;
  let s = sum16(zeroed);
  if (mode === 'pseudo') {
    if (!ctx) throw new TypeError('pseudo-header checksum needs the IP src and dst');
    s += pseudoSum(ctx, msg.length);
  }
  return finishChecksum(s);
}

/**
 * Encode an advert. Throws only on programmer error (fields out of range, bad addresses).
 * The IPv6 checksum is filled in here although the kernel overwrites it (IPV6_CHECKSUM offset 6).
 */
export function encodeAdvert(
  a: AdvertFields,
  ck: ChecksumContext & { readonly mode: ChecksumMode },
): Uint8Array {
  if (a.version !== 2 && a.version !== 3) throw new RangeError(`bad VRRP version ${String(a.version)}`);
  if (a.version === 2 && ck.family === 'inet6') throw new RangeError('VRRPv2 is IPv4 only');
  if (!(a.vrid >= 1 && a.vrid <= 255)) throw new RangeError(`vrid must be 1..255 (got ${a.vrid})`);
  if (!(a.priority >= 0 && a.priority <= 255))
    throw new RangeError(`priority must be 0..255 (got ${a.priority})`);
  const maxInt = a.version === 3 ? 0xfff : 0xff;
  if (!(Number.isInteger(a.adverInt) && a.adverInt >= 0 && a.adverInt <= maxInt)) {
    throw new RangeError(`advert interval out of range (got ${a.adverInt})`);
  }
  if (a.addresses.length > 255) throw new RangeError('at most 255 addresses per advert');
  const alen = familyLen(ck.family);
  const len = advertLength(a.version, ck.family, a.addresses.length);
  const out = new Uint8Array(len);
  out[0] = (a.version << 4) | VRRP_TYPE_ADVERT;
  out[1] = a.vrid;
  out[2] = a.priority;
  out[3] = a.addresses.length;
  if (a.version === 2) {
    out[4] = a.authType ?? 0;
    out[5] = a.adverInt;
  } else {
    out[4] = (a.adverInt >>> 8) & 0x0f;
    out[5] = a.adverInt & 0xff;
  }
  a.addresses.forEach((addr, i) => out.set(addrBytesOf(addr, ck.family), 8 + i * alen));
  if (a.version === 2 && a.authData)
    out.set(a.authData.subarray(0, VRRP_AUTH_DATA_LEN), len - VRRP_AUTH_DATA_LEN);
  const mode: ChecksumMode = a.version === 2 ? 'plain' : ck.mode;
  const sum = advertChecksum(out, mode, ck);
  out[6] = sum >>> 8;
  out[7] = sum & 0xff;
  return out;
}

/**
 * Decode a VRRP message from the start of `buf` (the IP payload). Trailing bytes (padding) are
 * tolerated and not consumed. For v3 over IPv4 both checksum variants are accepted and the one that
 * matched is reported (`checksumMode`), so a peer with or without `v3_checksum_as_v2` interoperates.
 * keepalived (vrrp.c vrrp_check_packet, 9cbce3e2) requires the pseudo-header form by default and
 * checks nothing at all with `v3_checksum_as_v2`; accepting exactly the two valid forms is stricter
 * than the latter and more tolerant than the former, and a corrupted packet still fails both.
 */
export function decodeAdvert(buf: Uint8Array, ck: ChecksumContext): DecodeResult {
  if (buf.length < 8) return { ok: false, reason: 'truncated' };
  const b0 = buf[0] ?? 0;
  const version = b0 >>> 4;
  const type = b0 & 0x0f;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'badVersion' };
  if (version === 2 && ck.family === 'inet6') return { ok: false, reason: 'badVersion' };
  if (type !== VRRP_TYPE_ADVERT) return { ok: false, reason: 'badType' };
  const vrid = buf[1] ?? 0;
  const priority = buf[2] ?? 0;
  const count = buf[3] ?? 0;
  const len = advertLength(version, ck.family, count);
  if (buf.length < len) return { ok: false, reason: 'badCount' };
  const msg = buf.subarray(0, len);
  const checksum = ((buf[6] ?? 0) << 8) | (buf[7] ?? 0);
  let checksumMode: ChecksumMode;
  if (version === 2) {
    if (advertChecksum(msg, 'plain') !== checksum) return { ok: false, reason: 'badChecksum' };
    checksumMode = 'plain';
  } else if (hasAddrs(ck) && advertChecksum(msg, 'pseudo', ck) === checksum) {
    checksumMode = 'pseudo';
  } else if (ck.family === 'inet' && advertChecksum(msg, 'plain') === checksum) {
    checksumMode = 'plain';
  } else {
    return { ok: false, reason: 'badChecksum' };
  }
  if (vrid === 0) return { ok: false, reason: 'badVrid' };
  const adverInt = version === 2 ? (buf[5] ?? 0) : (((buf[4] ?? 0) & 0x0f) << 8) | (buf[5] ?? 0);
  if (version === 3 && adverInt === 0) return { ok: false, reason: 'badInterval' };
  const alen = familyLen(ck.family);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(addrText(msg.subarray(8 + i * alen, 8 + (i + 1) * alen)));
  const authType = version === 2 ? (buf[4] ?? 0) : 0;
  const authData = version === 2 ? msg.slice(len - VRRP_AUTH_DATA_LEN, len) : new Uint8Array(0);
  return {
    ok: true,
    value: {
      version,
      type: 1,
      vrid,
      priority,
      adverInt,
      addresses,
      authType,
      authData,
      checksum,
      checksumMode,
    },
    consumed: len,
  };
}

/** The 8 auth bytes for a PASS password (NUL-padded, truncated to 8 as keepalived does). */
export function passAuthData(pass: string): Uint8Array {
  const out = new Uint8Array(VRRP_AUTH_DATA_LEN);
  out.set(new TextEncoder().encode(pass).subarray(0, VRRP_AUTH_DATA_LEN));
  return out;
}

/** What validation needs from a config, computed once per (immutable) config object. */
interface Prepared {
  readonly primary: string;
  readonly peers: ReadonlySet<string>;
  readonly vips: ReadonlySet<string>;
  readonly pass: Uint8Array | undefined;
}
// made once per config object (never mutated): core/per-object.ts
const prepare = perObject((cfg: MachineConfig): Prepared => ({
  primary: canonicalAddr(cfg.primaryAddress),
  peers: new Set(cfg.unicastPeers.map(canonicalAddr)),
  vips: new Set(cfg.vips.map(canonicalAddr)),
  pass: cfg.auth.type === 'pass' ? passAuthData(cfg.auth.pass) : undefined,
}));

/** Advert addresses (decoded, so canonical) equal the configured VIP set. */
function sameAddrSet(advertised: readonly string[], vips: ReadonlySet<string>): boolean {
  return advertised.length === vips.size && advertised.every((v) => vips.has(v));
}

/**
 * Check a decoded advert against an instance (RFC 9568 §7.1 plus keepalived's rules), in
 * keepalived's order. A VIP list mismatch is reported (`vipMismatch`) but not dropped: keepalived
 * ≥ 2.3.3 logs it and accepts the advert. TTL is not checked for unicast instances (keepalived).
 */
export function validateAdvert(adv: Advert, meta: RxMeta, cfg: MachineConfig): ValidateResult {
  const unicast = cfg.unicastPeers.length > 0;
  if (!unicast && meta.ttl !== VRRP_TTL) return { ok: false, reason: 'badTtl' };
  // Destination unknown (no IP_PKTINFO): skip this check rather than drop everything.
  const dst = addrBytes(meta.dst);
  if (dst && multicastBytes(dst) === unicast) return { ok: false, reason: 'castMismatch' };
  if (adv.version !== cfg.version) return { ok: false, reason: 'versionMismatch' };
  if (adv.vrid !== cfg.vrid) return { ok: false, reason: 'badVrid' };
  const pre = prepare(cfg);
  const src = canonicalAddr(meta.src);
  if (src === pre.primary) return { ok: false, reason: 'ownAdvert' };
  if (unicast && cfg.checkUnicastSrc) {
    if (!pre.peers.has(src)) return { ok: false, reason: 'unicastSrcNotPeer' };
    const lim = cfg.unicastPeerTtl?.[src];
    if (
      lim &&
      ((lim.min !== undefined && meta.ttl < lim.min) || (lim.max !== undefined && meta.ttl > lim.max))
    ) {
      return { ok: false, reason: 'badTtl' };
    }
  }
  if (adv.version === 2) {
    const want = VRRP_AUTH[cfg.auth.type];
    if (adv.authType !== want) return { ok: false, reason: 'badAuthType' };
    const expect = pre.pass;
    if (expect && !expect.every((v, i) => adv.authData[i] === v))
      return { ok: false, reason: 'authMismatch' };
    if (adv.adverInt * 1000 !== cfg.advertIntMs) return { ok: false, reason: 'intervalMismatch' };
  }
  if (cfg.priority === 255 && cfg.ownerIgnoreAdverts) return { ok: false, reason: 'ownerIgnore' };
  const vipMismatch = !cfg.skipCheckAdvAddr && adv.priority !== 0 && !sameAddrSet(adv.addresses, pre.vips);
  return {
    ok: true,
    value: {
      src,
      version: adv.version,
      vrid: adv.vrid,
      priority: adv.priority,
      maxAdverIntMs: adv.version === 3 ? adv.adverInt * 10 : adv.adverInt * 1000,
    },
    vipMismatch,
  };
}

/**
 * Decode + validate in one: what the socket shell calls for each received VRRP payload (the IP
 * payload exactly: the kernel trims link-layer padding to the IP length before raw sockets see it,
 * so trailing bytes mean the count is wrong → `badLength`).
 */
export function receiveAdvert(payload: Uint8Array, meta: RxMeta, cfg: MachineConfig): ValidateResult {
  const d = decodeAdvert(payload, meta);
  if (!d.ok) return d;
  if (d.consumed !== payload.length) return { ok: false, reason: 'badLength' };
  return validateAdvert(d.value, meta, cfg);
}

/** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticast(addr: string): boolean {
  const b = addrBytes(addr);
  return b !== undefined && multicastBytes(b);
}

function multicastBytes(b: Uint8Array): boolean {
  return b.length === 4 ? ((b[0] ?? 0) & 0xf0) === 0xe0 : b[0] === 0xff;
}

/** The checksum mode this instance sends with. */
export function txChecksumMode(cfg: MachineConfig): ChecksumMode {
  if (cfg.version === 2) return 'plain';
  if (cfg.family === 'inet' && cfg.v3ChecksumAsV2) return 'plain';
  return 'pseudo';
}

/**
 * The advert payload the instance sends with `priority` to `dst` (224.0.0.18 / ff02::12 or a
 * unicast peer: the v3 IPv4 pseudo-header uses the actual destination, as keepalived does).
 * v2 Adver Int is whole seconds (rounded down, as keepalived sends 0.4 s as 0).
 */
export function buildAdvert(cfg: MachineConfig, priority: number, dst: string): Uint8Array {
  const adverInt = cfg.version === 3 ? Math.round(cfg.advertIntMs / 10) : Math.floor(cfg.advertIntMs / 1000);
  const auth = cfg.version === 2 ? cfg.auth : { type: 'none' as const };
  const fields: AdvertFields =
    auth.type === 'none'
      ? { version: cfg.version, vrid: cfg.vrid, priority, adverInt, addresses: cfg.vips }
      : {
          version: 2,
          vrid: cfg.vrid,
          priority,
          adverInt,
          addresses: cfg.vips,
          authType: VRRP_AUTH[auth.type],
          // AH: the password keys the ICV of the AH header (ipsec-ah.ts); the auth data stays zero
          ...(auth.type === 'pass' ? { authData: passAuthData(auth.pass) } : {}),
        };
  return encodeAdvert(fields, {
    family: cfg.family,
    src: cfg.primaryAddress,
    dst,
    mode: txChecksumMode(cfg),
  });
}

/** Destinations of this instance's adverts: each unicast peer, else the multicast group. */
export function advertDestinations(cfg: MachineConfig): readonly string[] {
  if (cfg.unicastPeers.length > 0) return cfg.unicastPeers;
  return [cfg.family === 'inet' ? VRRP_MCAST4 : VRRP_MCAST6];
}
