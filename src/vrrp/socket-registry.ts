// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP engine's sockets: one advert socket per (interface, family), and one more per interface
 * for instances with `auth_type AH` (IP protocol 51, whole IPv4 packets), each shared by every
 * instance on it and demultiplexed by VRID (a payload for no instance here is counted as a drop of that
 * socket, as are the packets the addon dropped before delivering them), and one frame socket per
 * interface for GARP/NA. Sockets are opened on first use and
 * closed when their last instance goes. No I/O of its own: it opens through the `VrrpSockets` port.
 */
import type { DropReason } from './types.js';
import { DROP_REASONS } from './types.js';
import type { AdvertSocket, FrameSocket, ReceivedAdvert, VrrpSockets } from './ports.js';
import { ahVrid } from './ipsec-ah.js';

/** What the registry delivers a payload to. */
export interface AdvertReceiver {
  readonly vrid: number;
  receive(payload: Uint8Array, meta: Omit<ReceivedAdvert, 'data'>): void;
}

interface AdvertGroup {
  readonly sock: AdvertSocket;
  readonly byVrid: Map<number, AdvertReceiver>;
  readonly drops: Record<DropReason, number>;
}

/** Where an instance sends and receives: its interface and family. */
export interface SocketPlace {
  readonly family: 'inet' | 'inet6';
  readonly ifname: string;
  readonly ifindex: number;
  readonly group: string;
  /** `auth_type AH`: adverts travel in IPsec AH (IP protocol 51), on a socket of their own. */
  readonly ah?: boolean;
}

const placeKey = (p: Pick<SocketPlace, 'ifname' | 'family' | 'ah'>): string =>
  `${p.ifname}|${p.family}${p.ah ? '|ah' : ''}`;

export class SocketRegistry {
  readonly #groups = new Map<string, AdvertGroup>();
  readonly #frames = new Map<number, FrameSocket>();
  readonly #open: VrrpSockets;

  constructor(open: VrrpSockets) {
    this.#open = open;
  }

  /** The receiver using `vrid` at this place, if any. */
  holder(place: Pick<SocketPlace, 'ifname' | 'family' | 'ah'>, vrid: number): AdvertReceiver | undefined {
    return this.#groups.get(placeKey(place))?.byVrid.get(vrid);
  }

  /**
   * Attach a receiver (opening the sockets it needs); throws when its VRID is taken there. Its
   * GARPs/NAs go out on `frameIfindex` (a VMAC), by default on the place's interface.
   */
  attach(
    place: SocketPlace,
    r: AdvertReceiver,
    frameIfindex: number = place.ifindex,
  ): { adverts: AdvertSocket; frames: FrameSocket } {
    const key = placeKey(place);
    let grp = this.#groups.get(key);
    if (!grp) {
      const drops = Object.fromEntries(DROP_REASONS.map((d) => [d, 0])) as Record<DropReason, number>;
      const byVrid = new Map<number, AdvertReceiver>();
      const sock = this.#open.openAdverts({
        family: place.family,
        ifname: place.ifname,
        ifindex: place.ifindex,
        group: place.group,
        ...(place.ah ? { ah: true } : {}),
        onPacket: (p) => {
          const vrid = place.ah ? ahVrid(p.data) : p.data[1];
          const to = vrid === undefined ? undefined : byVrid.get(vrid);
          if (to) to.receive(p.data, p);
          else drops[vrid === undefined ? 'truncated' : 'badVrid']++;
        },
      });
      grp = { sock, byVrid, drops };
      this.#groups.set(key, grp);
    }
    if (grp.byVrid.has(r.vrid)) throw new Error(`VRID ${r.vrid} used twice on ${key}`);
    const frames = this.framesOn(frameIfindex);
    grp.byVrid.set(r.vrid, r);
    return { adverts: grp.sock, frames };
  }

  /** The frame socket of an interface (a VIP's `dev` other than its instance's), opened on first use. */
  framesOn(ifindex: number): FrameSocket {
    let frames = this.#frames.get(ifindex);
    if (!frames) {
      frames = this.#open.openFrames(ifindex);
      this.#frames.set(ifindex, frames);
    }
    return frames;
  }

  detach(r: AdvertReceiver): void {
    for (const grp of this.#groups.values()) if (grp.byVrid.get(r.vrid) === r) grp.byVrid.delete(r.vrid);
  }

  /** Close the advert sockets no instance uses any more. */
  closeUnused(): void {
    for (const [key, grp] of this.#groups) {
      if (grp.byVrid.size > 0) continue;
      grp.sock.close();
      this.#groups.delete(key);
    }
  }

  /** Close the frame socket of an interface that goes away (a VMAC deleted). */
  closeFrames(ifindex: number): void {
    this.#frames.get(ifindex)?.close();
    this.#frames.delete(ifindex);
  }

  closeAll(): void {
    for (const grp of this.#groups.values()) grp.sock.close();
    for (const f of this.#frames.values()) f.close();
    this.#groups.clear();
    this.#frames.clear();
  }

  /** Drops counted per socket (payloads for no instance here), by `interface|family`. */
  snapshot(): Record<string, { drops: Record<DropReason, number> }> {
    return Object.fromEntries(
      [...this.#groups].map(([k, v]) => {
        const below = v.sock.nativeDrops?.();
        const drops = below ? { ...v.drops, ...below } : { ...v.drops };
        return [k, { drops }];
      }),
    );
  }
}
