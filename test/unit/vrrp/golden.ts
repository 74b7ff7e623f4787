// SPDX-License-Identifier: Apache-2.0
/** Loads the golden packets captured from keepalived (test/fixtures/packets, from shared/vectors/vrrp). */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../../src/core/bytes.js';

const dir = new URL('../../../../test/fixtures/packets/', import.meta.url);

export function golden(name: string): Uint8Array {
  const text = readFileSync(new URL(`${name}.hex`, dir), 'utf8');
  return fromHex(
    text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join(''),
  );
}

export interface DecodedVector {
  ip: {
    ip_version: number;
    src: string;
    dst: string;
    ttl?: number;
    hop_limit?: number;
    tos?: string;
    traffic_class?: string;
    id?: string;
    flow_label?: number;
  };
  vrrp: {
    version: number;
    type: number;
    vrid: number;
    priority: number;
    count_ip_addrs: number;
    checksum: string;
    addresses: string[];
    checksum_computed_no_pseudo_hdr: string;
    checksum_computed_with_pseudo_hdr: string;
    auth_type?: number;
    adver_int_s?: number;
    auth_data?: string;
    auth_data_ascii?: string;
    max_adver_int_cs?: number;
    vrrp_len: number;
  };
}

export const decoded = JSON.parse(readFileSync(new URL('decoded.json', dir), 'utf8')) as Record<
  string,
  DecodedVector
>;

export const ADVERT_VECTORS = [
  'v2-ipv4-auth-none',
  'v2-ipv4-auth-pass',
  'v2-ipv4-prio0',
  'v3-ipv4',
  'v3-ipv4-prio0',
  'v3-ipv4-2vips',
  'v3-ipv6',
  'v3-ipv6-prio0',
] as const;
