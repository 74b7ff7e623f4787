// SPDX-License-Identifier: Apache-2.0
/**
 * What the VRRP engine knows of the host's interfaces and addresses: looked up once through the
 * rtnetlink port, then kept current from link and address events (no polling), so that deciding
 * an instance's source address or whether its interface is usable costs no netlink round trip.
 */
import type { AddrEntry, AddrEvent, LinkEvent, Rtnl } from '../netlink/rtnl.js';

export interface LinkState {
  readonly ifindex: number;
  readonly name: string;
  readonly mac: string;
  /** Up and running (keepalived's test for a usable interface); false once deleted. */
  readonly up: boolean;
}

export class HostView {
  readonly #rtnl: Rtnl;
  readonly #links = new Map<string, LinkState>();
  /** Addresses by ifindex, for the interfaces looked at so far. */
  readonly #addrs = new Map<number, AddrEntry[]>();

  constructor(rtnl: Rtnl) {
    this.#rtnl = rtnl;
  }

  /** An interface by name; undefined while it does not exist. */
  async link(name: string): Promise<LinkState | undefined> {
    const known = this.#links.get(name);
    if (known) return known;
    const info = await this.#rtnl.getLink(name);
    if (!info) return undefined;
    const l: LinkState = { ifindex: info.ifindex, name, mac: info.mac, up: info.up };
    this.#links.set(name, l);
    return l;
  }

  linkNamed(name: string): LinkState | undefined {
    return this.#links.get(name);
  }

  /** The addresses on an interface (read once, then followed through events). */
  async addresses(ifindex: number): Promise<readonly AddrEntry[]> {
    const known = this.#addrs.get(ifindex);
    if (known) return known;
    const list = await this.#rtnl.listAddresses(ifindex);
    // an event may have arrived while the dump ran: the dump is newer than the cache
    this.#addrs.set(ifindex, [...list]);
    return list;
  }

  /** Follow a link event; returns the interface's new state when it is one we know. */
  onLink(e: LinkEvent): LinkState | undefined {
    const known = [...this.#links.values()].find((l) => l.ifindex === e.ifindex);
    if (!known) return undefined;
    const next: LinkState = { ...known, up: e.up && !e.deleted, mac: e.mac || known.mac };
    this.#links.set(known.name, next);
    if (e.deleted) this.#addrs.delete(e.ifindex);
    return next;
  }

  /** The interfaces looked up so far (by name), as last known. */
  knownLinks(): LinkState[] {
    return [...this.#links.values()];
  }

  /**
   * After lost events: the changes between what is known of the interfaces looked at so far and a
   * fresh dump of every address, as the events that would have said them (not yet applied).
   */
  missedAddressEvents(fresh: readonly AddrEntry[]): AddrEvent[] {
    const out: AddrEvent[] = [];
    const key = (a: AddrEntry): string => `${a.address}/${a.prefixLen}`;
    for (const [ifindex, known] of this.#addrs) {
      const now = new Map(fresh.filter((a) => a.ifindex === ifindex).map((a) => [key(a), a]));
      const before = new Map(known.map((a) => [key(a), a]));
      for (const [k, a] of before) if (!now.has(k)) out.push({ type: 'del', addr: a });
      for (const [k, a] of now) {
        const b = before.get(k);
        if (!b || b.secondary !== a.secondary || b.tentative !== a.tentative)
          out.push({ type: 'new', addr: a });
      }
    }
    return out;
  }

  /** Follow an address event. */
  onAddress(e: AddrEvent): void {
    const list = this.#addrs.get(e.addr.ifindex);
    if (!list) return;
    const i = list.findIndex((a) => a.address === e.addr.address && a.prefixLen === e.addr.prefixLen);
    if (e.type === 'del') {
      if (i >= 0) list.splice(i, 1);
    } else if (i >= 0) list[i] = e.addr;
    else list.push(e.addr);
  }
}
