// SPDX-License-Identifier: Apache-2.0
/**
 * VRRPv2 over IPsec AH as keepalived speaks it (`authentication { auth_type AH }`; keepalived
 * vrrp.c, vrrp_ipsecah.c; draft-ietf-vrrp-ipsecah-spec-00): each IPv4 advert is
 *   IP header (protocol 51, TOS 0xc0, TTL 255, no DF, our own Identification)
 *   + AH (next header 112, payload length 4, SPI = the sender's IPv4 address, a sequence number,
 *     a 96-bit ICV) + the VRRP message (auth type 2, auth data zero).
 * The ICV is HMAC-MD5-96 keyed with the 8-byte, NUL-padded `auth_pass`, over the IP header with
 * TOS, fragment offset and checksum zeroed (and the TTL too for unicast peers), the AH header with
 * the ICV zeroed, and the VRRP message. One sequence counter per instance serves both directions,
 * as in keepalived: a received advert must carry a number above it (anti-replay) and raises it;
 * each advert we send raises it by one (the same number to every unicast peer); a MASTER hearing a
 * lower priority takes that advert's number + 1. Pure: node:crypto only (no I/O).
 */
import { addrBytesOf, addrText } from '../core/addr.js';
import { nodeCrypto as crypto } from '../core/node-crypto.js';
import { compareAddr } from '../core/addr.js';
import { passAuthData } from './packet.js';
import type { DropReason, VrrpStateName } from './types.js';

export const IPPROTO_AH = 51;
/** IPv4 header (no options) + AH header with a 96-bit ICV. */
export const IPV4_HEADER_LEN = 20;
export const AH_LEN = 24;
const ICV_LEN = 12;
const ICV_AT = 12; // within the AH header
const IPPROTO_VRRP = 112;
/** keepalived stops counting here (2^32 - 3), about 136 years of adverts at 1 s. */
const SEQ_MAX = 0xfffffffd;

export type AhOpenResult =
  | { readonly ok: true; readonly payload: Uint8Array; readonly seq: number; readonly src: string }
  | { readonly ok: false; readonly reason: DropReason };

/** The HMAC-MD5-96 ICV of an IPv4+AH+VRRP packet (its mutable fields zeroed here). */
function icv(packet: Uint8Array, ihl: number, key: Uint8Array, unicast: boolean): Buffer {
  const covered = Buffer.from(packet); // a copy: the packet itself is left as it is
  covered[1] = 0; // TOS
  covered[6] = 0; // flags + fragment offset
  covered[7] = 0;
  covered[10] = 0; // header checksum
  covered[11] = 0;
  if (unicast) covered[8] = 0; // TTL (keepalived: unicast packets may cross routers)
  covered.fill(0, ihl + ICV_AT, ihl + ICV_AT + ICV_LEN);
  return crypto().createHmac('md5', key).update(covered).digest().subarray(0, ICV_LEN);
}

/** The VRID of a received IPv4+AH+VRRP packet (for the socket's demultiplexer), if it has one. */
export function ahVrid(packet: Uint8Array): number | undefined {
  const ihl = ((packet[0] ?? 0) & 0x0f) * 4;
  return packet[ihl + AH_LEN + 1];
}

/**
 * Whether keepalived's MASTER would take this advert's sequence number (+1): a lower priority than
 * ours, or the same with a lower address (vrrp_state_master_rx); never a priority 0.
 */
export function syncsSequence(
  us: { readonly name: VrrpStateName; readonly effectivePriority: number; readonly primaryAddress: string },
  advert: { readonly priority: number; readonly src: string },
): boolean {
  if (us.name !== 'master' || advert.priority === 0) return false;
  const eff = us.effectivePriority;
  return advert.priority < eff || (advert.priority === eff && compareAddr(advert.src, us.primaryAddress) < 0);
}

/** One instance's AH state: the key, the sequence counter and the IP Identification it sends with. */
export class AhSession {
  #seq = 0;
  #ipId = 0;
  readonly #key: Uint8Array;
  readonly #unicast: boolean;

  constructor(o: { readonly pass: string; readonly unicast: boolean }) {
    this.#key = passAuthData(o.pass);
    this.#unicast = o.unicast;
  }

  /** The sequence counter (the last number sent or accepted). */
  get seq(): number {
    return this.#seq;
  }

  /** A new advert: the next sequence number and IP Identification (shared by all its copies). */
  beginAdvert(): void {
    if (this.#seq < SEQ_MAX) this.#seq++;
    this.#ipId = (this.#ipId + 1) & 0xffff || 1; // 0 would let the kernel choose it, after the ICV
  }

  /** The whole IPv4 packet carrying `vrrp` from `src` to `dst` with the current number. */
  wrap(vrrp: Uint8Array, src: string, dst: string): Uint8Array {
    const total = IPV4_HEADER_LEN + AH_LEN + vrrp.length;
    const p = new Uint8Array(total);
    const v = new DataView(p.buffer);
    const saddr = addrBytesOf(src, 'inet');
    p[0] = 0x45;
    p[1] = 0xc0; // internetwork control, as every VRRP advert
    v.setUint16(2, total);
    v.setUint16(4, this.#ipId);
    p[8] = 255;
    p[9] = IPPROTO_AH;
    p.set(saddr, 12);
    p.set(addrBytesOf(dst, 'inet'), 16);
    const ah = IPV4_HEADER_LEN;
    p[ah] = IPPROTO_VRRP;
    p[ah + 1] = 4; // AH length in 32-bit words minus 2: (12 + 12) / 4 - 2
    p.set(saddr, ah + 4); // SPI: the sender's address (keepalived; there is no SA to pick one)
    v.setUint32(ah + 8, this.#seq);
    p.set(vrrp, ah + AH_LEN);
    p.set(icv(p, IPV4_HEADER_LEN, this.#key, this.#unicast), ah + ICV_AT);
    return p;
  }

  /**
   * Check a received IPv4 packet: AH for VRRP, the ICV, the SPI (= source address), then the
   * sequence number (above the counter, which it raises). Returns the VRRP message.
   */
  open(packet: Uint8Array): AhOpenResult {
    const ihl = ((packet[0] ?? 0) & 0x0f) * 4;
    if (packet.length < ihl + AH_LEN + 8 || ihl < IPV4_HEADER_LEN) return { ok: false, reason: 'truncated' };
    if (packet[9] !== IPPROTO_AH || packet[ihl] !== IPPROTO_VRRP) return { ok: false, reason: 'badType' };
    const got = packet.subarray(ihl + ICV_AT, ihl + ICV_AT + ICV_LEN);
    if (!crypto().timingSafeEqual(got, icv(packet, ihl, this.#key, this.#unicast)))
      return { ok: false, reason: 'authMismatch' };
    const src = packet.subarray(12, 16);
    if (!src.every((b, i) => packet[ihl + 4 + i] === b)) return { ok: false, reason: 'authMismatch' };
    const seq = new DataView(packet.buffer, packet.byteOffset).getUint32(ihl + 8);
    if (seq <= this.#seq) return { ok: false, reason: 'authReplay' };
    this.#seq = seq;
    return { ok: true, payload: packet.subarray(ihl + AH_LEN), seq, src: addrText(src) };
  }

  /** As MASTER, a lower priority was heard: keepalived continues from its number + 1. */
  syncFrom(seq: number): void {
    this.#seq = Math.min(seq + 1, SEQ_MAX);
  }
}
