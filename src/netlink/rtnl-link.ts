// SPDX-License-Identifier: Apache-2.0
/**
 * The nested rtnetlink link attributes lvsd writes and reads for VMACs, with the project's own
 * attribute codec (codec.ts): IFLA_LINKINFO of a macvlan (kind and mode) and IFLA_AF_SPEC asking
 * for no IPv6 link-local address generation (`addrgenmode none`). Host byte order throughout
 * (linux/if_link.h). Pure.
 */
import { AttrDecoder, AttrWriter } from './codec.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const AF_INET6 = 10;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;

/** MACVLAN_MODE_*: `private` is what keepalived creates (no traffic between macvlans of one parent). */
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;

/** IFLA_LINKINFO of a macvlan in `mode`: `type macvlan mode private`. */
export function macvlanLinkInfo(mode: number): Buffer {
  const w = new AttrWriter(64);
  w.string(IFLA_INFO_KIND, 'macvlan');
  w.nested(IFLA_INFO_DATA, (d) => d.u32(IFLA_MACVLAN_MODE, mode));
  return Buffer.from(w.toBuffer());
}

/** IFLA_AF_SPEC entries for `ip link set IF addrgenmode none` (the family's nested attributes). */
export function addrGenModeNone(): Map<number, Buffer> {
  const w = new AttrWriter(16);
  w.u8(IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  return new Map([[AF_INET6, Buffer.from(w.toBuffer())]]);
}

/** IFLA_LINKINFO read back: the kind ('' when absent) and, for a macvlan, its mode. */
export function parseLinkInfo(buf: Buffer | undefined): { kind: string; macvlanMode?: number } {
  if (!buf) return { kind: '' };
  const out: { kind: string; macvlanMode?: number } = { kind: '' };
  const d = new AttrDecoder(buf);
  while (d.next()) {
    if (d.type() === IFLA_INFO_KIND) out.kind = d.string();
    else if (d.type() === IFLA_INFO_DATA) {
      d.nested((n) => {
        while (n.next()) if (n.type() === IFLA_MACVLAN_MODE) out.macvlanMode = n.u32();
      });
    }
  }
  return d.err() === undefined ? out : { kind: out.kind };
}
