// SPDX-License-Identifier: Apache-2.0
/**
 * UDP_CHECK: send `payload` (random bytes when absent) on a connected UDP socket. Without
 * require_reply the check is up unless an ICMP error (ECONNREFUSED, EHOSTUNREACH, ...) arrives
 * within connect_timeout; with it, a reply of min..max_reply_length bytes matching the optional
 * pattern (X nibbles are wildcards) must arrive in time. Pure: the pattern and the verdict on a
 * reply; the probe that sends and waits is udp-probe.io.ts.
 */
import { fail } from './probe.js';
import type { ProbeResult } from './result.js';
import type { CheckerSpec } from './types.js';

export type UdpCheckerSpec = Extract<CheckerSpec, { kind: 'udp' }>;

/** Parse keepalived's free-form HEX_STR ("Ab12f 3 456"): groups of two nibbles, a lone nibble is one byte; X = wildcard. */
export function parseHexPattern(text: string): { bytes: Uint8Array; mask: Uint8Array } | undefined {
  const bytes: number[] = [];
  const mask: number[] = [];
  for (const group of text
    .trim()
    .split(/\s+/)
    .filter((g) => g.length > 0)) {
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.slice(i, i + 2);
      const nibs = pair.length === 1 ? ['0', pair] : [pair[0]!, pair[1]!];
      let b = 0;
      let m = 0;
      for (const n of nibs) {
        b <<= 4;
        m <<= 4;
        if (n === 'x' || n === 'X') continue;
        const v = parseInt(n, 16);
        if (Number.isNaN(v)) return undefined;
        b |= v;
        m |= 0xf;
      }
      bytes.push(b);
      mask.push(m);
    }
  }
  return { bytes: Uint8Array.from(bytes), mask: Uint8Array.from(mask) };
}

export function judgeReply(
  msg: Uint8Array,
  spec: Pick<UdpCheckerSpec, 'replyPattern' | 'minReplyLength' | 'maxReplyLength'>,
): ProbeResult {
  if (msg.length < spec.minReplyLength || msg.length > spec.maxReplyLength)
    return fail(`reply length ${msg.length}`);
  const p = spec.replyPattern;
  if (p) {
    const n = Math.min(msg.length, p.bytes.length);
    for (let i = 0; i < n; i++) {
      if (((msg[i]! ^ p.bytes[i]!) & p.mask[i]!) !== 0) return fail('reply mismatch');
    }
  }
  return { ok: true };
}
