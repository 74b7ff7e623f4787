// SPDX-License-Identifier: Apache-2.0
/**
 * ICMP / ICMPv6 echo messages for PING_CHECK (RFC 792, RFC 4443 §4): the echo request lvsd sends
 * and the reading of an echo reply. Pure. The IPv4 checksum is computed here; an ICMPv6 checksum
 * covers a pseudo-header the kernel knows, so a raw ICMPv6 socket fills it and this leaves it 0.
 */
import { inetChecksum } from '../net/wire.js';

export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;

/** Bytes of payload after the 8-byte header (keepalived sends 56 as ping(8) does). */
export const ECHO_PAYLOAD_BYTES = 56;

export interface EchoId {
  readonly id: number;
  readonly seq: number;
}

/** An echo request: type, code 0, checksum, identifier, sequence, then a patterned payload. */
export function echoRequest(family: 'inet' | 'inet6', e: EchoId): Uint8Array {
  const b = new Uint8Array(8 + ECHO_PAYLOAD_BYTES);
  const v = new DataView(b.buffer);
  b[0] = family === 'inet' ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  v.setUint16(4, e.id & 0xffff);
  v.setUint16(6, e.seq & 0xffff);
  for (let i = 0; i < ECHO_PAYLOAD_BYTES; i++) b[8 + i] = i & 0xff;
  if (family === 'inet') v.setUint16(2, inetChecksum(b));
  return b;
}

/** The identifier and sequence of an echo reply, or undefined for anything else (or a short one). */
export function readEchoReply(family: 'inet' | 'inet6', data: Uint8Array): EchoId | undefined {
  if (data.length < 8) return undefined;
  const want = family === 'inet' ? ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY;
  if (data[0] !== want || data[1] !== 0) return undefined;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { id: v.getUint16(4), seq: v.getUint16(6) };
}
