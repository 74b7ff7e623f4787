// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel-table `Announcer`: one blackhole route per announced VIP (`/32`, `/128`) in a routing
 * table lvsd owns (`lvsd_bgp_table N`), which the operator's BGP speaker exports (BIRD 2: a
 * `kernel` protocol with `learn` on that table, docs/config.md). No rule points at the table, so
 * its routes never forward a packet on the director; they only say what to announce. lvsd owns
 * the whole table: every route in it is taken as an announcement. Over rtnetlink (the `netlink`
 * package's structs on lvsd's own socket: src/netlink/rt-socket.io.ts); each method names its `ip`
 * equivalent.
 */
// deep imports: the package's index also loads its nl80211 and WireGuard tables (~50 ms at start)
import type { RtNetlinkSocket } from 'netlink/dist/rt/rt.js';
import type * as rt from 'netlink/dist/rt/structs.js';
import { addrBytesOf, addrText, type IpFamily } from '../core/addr.js';
import { LvsdError } from '../core/errors.js';
import { errnoOf, netlinkError } from '../netlink/rtnl-errors.js';
import { openRtSocket } from '../netlink/rt-socket.io.js';
import type { Announcer, Vip } from './announcer.js';

const AF_INET = 2;
const AF_INET6 = 10;
/** NLM_F_REQUEST | NLM_F_ACK, and NLM_F_CREATE | NLM_F_REPLACE (`ip route replace`). */
const REQ_ACK = 0x1 | 0x4;
const CREATE_REPLACE = REQ_ACK | 0x400 | 0x100;
/** RTPROT_STATIC: what `ip route add` writes; BIRD's `learn` imports it. */
const RTPROT_STATIC = 4;

function fam(f: IpFamily): number {
  return f === 'inet' ? AF_INET : AF_INET6;
}

function dst(v: Vip): Buffer {
  const b = addrBytesOf(v.address, v.family);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

class RouteTableAnnouncer implements Announcer {
  readonly #sock: RtNetlinkSocket;
  readonly #table: number;

  constructor(table: number) {
    this.#sock = openRtSocket();
    this.#table = table;
  }

  /** The route's header and key attributes: tables past 255 go in RTA_TABLE only, as iproute2 does. */
  #route(v: Vip): { data: rt.Route; attrs: rt.RouteAttrs } {
    return {
      data: {
        family: fam(v.family),
        dstLen: v.family === 'inet' ? 32 : 128,
        table: this.#table < 256 ? this.#table : 0,
        protocol: RTPROT_STATIC,
        scope: 0,
        type: 'BLACKHOLE',
      },
      attrs: { dst: dst(v), table: this.#table },
    };
  }

  /** `ip route replace blackhole VIP/32 table N proto static`. */
  async announce(v: Vip): Promise<void> {
    const r = this.#route(v);
    try {
      await this.#sock.newRoute(r.data, r.attrs, { flags: CREATE_REPLACE });
    } catch (e) {
      throw netlinkError('announce', `${v.address} table ${this.#table}`, e);
    }
  }

  /** `ip route del blackhole VIP/32 table N`; an absent route is no error. */
  async withdraw(v: Vip): Promise<void> {
    const r = this.#route(v);
    try {
      await this.#sock.delRoute(r.data, r.attrs);
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'ESRCH' || errno === 'ENOENT') return;
      throw netlinkError('withdraw', `${v.address} table ${this.#table}`, e);
    }
  }

  /** `ip route show table N` and `ip -6 route show table N`: the host routes in it. */
  async state(): Promise<Vip[]> {
    const out: Vip[] = [];
    for (const family of ['inet', 'inet6'] as const) {
      let msgs: rt.RouteMessage[];
      try {
        msgs = await this.#sock.getRoutes({ family: fam(family) });
      } catch (e) {
        throw netlinkError('list routes', `table ${this.#table}`, e);
      }
      for (const m of msgs) {
        const table = m.attrs.table ?? m.data.table;
        const full = family === 'inet' ? 32 : 128;
        if (table !== this.#table || m.data.dstLen !== full || !m.attrs.dst) continue;
        out.push({ family, address: addrText(m.attrs.dst) });
      }
    }
    return out;
  }

  close(): void {
    this.#sock.socket.close();
  }
}

/** The announcer for routing table `table` (in the caller's network namespace). */
export function openRouteTable(table: number): Announcer {
  try {
    return new RouteTableAnnouncer(table);
  } catch (e) {
    throw new LvsdError('LVSD_E_NETLINK', `cannot open rtnetlink: ${(e as Error).message}`, { cause: e });
  }
}
