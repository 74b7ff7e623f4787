// SPDX-License-Identifier: Apache-2.0
/**
 * The real `Rtnl` port: rtnetlink addresses, links, routes and rules for the VRRP shell. What every
 * VRRP worker needs (the link and address dumps, the `ip monitor link address` events, VIP adds
 * and deletes) is hand-written (rtnl-messages.ts, rtnl-addr.ts) on sockets of its own; routes,
 * rules and VMAC links go through netlink@0.3.0 (rtnl-lib.io.ts), loaded at the first of them:
 * its generated structs cost a worker's start ~10 ms on Node 24 (bench/results/cold-start.md).
 * Each method names its `ip` equivalent.
 */
import { LvsdError } from '../core/errors.js';
import type {
  AddrEntry,
  AddrEvent,
  AddrSpec,
  LinkDetails,
  LinkEvent,
  LinkInfo,
  MacvlanSpec,
  RouteEntry,
  RouteSpec,
  Rtnl,
  RuleSpec,
} from './rtnl.js';
import type { IpFamily } from '../core/addr.js';
import { AckedRequests } from './acked-requests.js';
import { encodeAddrRequest } from './rtnl-addr.js';
import { decodeMessages } from './codec.js';
import { errnoError } from './rtnl-errors.js';
import {
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_LINK,
  decodeAddr,
  decodeLink,
  encodeDump,
} from './rtnl-messages.js';
import { openNetlinkTransport } from './socket.io.js';
import type { LibraryPart } from './rtnl-lib.io.js';
import { NETLINK_ROUTE, type NetlinkTransport } from './transport.js';

/** The event socket's receive queue: room for ~5,000 address events while the worker is busy. */
const EVENT_QUEUE_BYTES = 4 << 20;
const ENOENT = 2;
const EEXIST = 17;
const ENODEV = 19;
const EADDRNOTAVAIL = 99;

const addrTarget = (a: AddrSpec): string => `${a.address}/${a.prefixLen} dev#${a.ifindex}`;

/** How the port is opened; the defaults are the daemon's. */
export interface RtnlOptions {
  /**
   * SO_RCVBUF of the event socket in bytes (default 4 MiB). The test of a
   * receive-queue overrun (test/netns/net/rtnl-events-lost.test.ts) makes it small.
   */
  readonly eventQueueBytes?: number;
}

class NetlinkRtnl implements Rtnl {
  readonly #options: RtnlOptions;
  private requests: AckedRequests | undefined;
  private events: NetlinkTransport | undefined;
  private lib: Promise<LibraryPart> | undefined;
  private closed = false;
  private readonly listeners = new Set<(e: LinkEvent) => void>();
  private readonly addrListeners = new Set<(e: AddrEvent) => void>();
  private readonly lostListeners = new Set<() => void>();

  constructor(options: RtnlOptions) {
    this.#options = options;
  }

  async addAddress(a: AddrSpec): Promise<'added' | 'exists'> {
    // like `ip addr add`: NLM_F_CREATE | NLM_F_EXCL, an existing address answers EEXIST
    const errno = await this.#requests().request((seq) => encodeAddrRequest('add', a, seq));
    if (errno === 0) return 'added';
    if (errno === EEXIST) return 'exists';
    throw errnoError('addAddress', addrTarget(a), errno);
  }

  async delAddress(a: AddrSpec): Promise<'deleted' | 'absent'> {
    const errno = await this.#requests().request((seq) => encodeAddrRequest('del', a, seq));
    if (errno === 0) return 'deleted';
    if (errno === EADDRNOTAVAIL || errno === ENOENT || errno === ENODEV) return 'absent';
    throw errnoError('delAddress', addrTarget(a), errno);
  }

  /** `ip addr show [dev N]`: a dump of every address, those of `ifindex` kept. */
  async listAddresses(ifindex?: number): Promise<AddrEntry[]> {
    const r = await this.#requests().dump((seq) => encodeDump(RTM_GETADDR, seq));
    if (r.errno !== 0) throw errnoError('listAddresses', String(ifindex ?? 'all'), r.errno);
    const out: AddrEntry[] = [];
    for (const m of r.messages) {
      const e = m.type === RTM_NEWADDR ? decodeAddr(m.payload) : undefined;
      if (e && (ifindex === undefined || e.ifindex === ifindex)) out.push(e);
    }
    return out;
  }

  /** `ip link show NAME`, from a dump of every link (undefined when there is none of that name). */
  async getLink(name: string): Promise<LinkInfo | undefined> {
    const r = await this.#requests().dump((seq) => encodeDump(RTM_GETLINK, seq));
    if (r.errno !== 0) throw errnoError('getLink', name, r.errno);
    for (const m of r.messages) {
      const l = m.type === RTM_NEWLINK ? decodeLink(m.payload) : undefined;
      if (l?.name === name) return l;
    }
    return undefined;
  }

  async addRoute(r: RouteSpec): Promise<'added' | 'exists'> {
    return (await this.#lib()).addRoute(r);
  }
  async delRoute(r: RouteSpec): Promise<'deleted' | 'absent'> {
    return (await this.#lib()).delRoute(r);
  }
  async listRoutes(family: IpFamily): Promise<RouteEntry[]> {
    return (await this.#lib()).listRoutes(family);
  }
  async addRule(r: RuleSpec): Promise<'added' | 'exists'> {
    return (await this.#lib()).addRule(r);
  }
  async delRule(r: RuleSpec): Promise<'deleted' | 'absent'> {
    return (await this.#lib()).delRule(r);
  }
  async linkDetails(name: string): Promise<LinkDetails | undefined> {
    return (await this.#lib()).linkDetails(name);
  }
  async addMacvlan(mv: MacvlanSpec): Promise<number> {
    return (await this.#lib()).addMacvlan(mv);
  }
  async updateMacvlan(ifindex: number, mv: MacvlanSpec): Promise<void> {
    return (await this.#lib()).updateMacvlan(ifindex, mv);
  }
  async deleteLink(ifindex: number): Promise<'deleted' | 'absent'> {
    return (await this.#lib()).deleteLink(ifindex);
  }

  onLinkEvent(cb: (e: LinkEvent) => void): () => void {
    this.#eventSocket();
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  onAddressEvent(cb: (e: AddrEvent) => void): () => void {
    this.#eventSocket();
    this.addrListeners.add(cb);
    return () => {
      this.addrListeners.delete(cb);
    };
  }

  onEventsLost(cb: () => void): () => void {
    this.lostListeners.add(cb);
    return () => {
      this.lostListeners.delete(cb);
    };
  }

  close(): void {
    this.closed = true;
    this.requests?.close();
    this.requests = undefined;
    this.events?.close();
    this.events = undefined;
    void this.lib?.then((l) => l.close()).catch(() => {});
    this.lib = undefined;
    this.listeners.clear();
    this.addrListeners.clear();
    this.lostListeners.clear();
  }

  #requests(): AckedRequests {
    if (this.closed) throw new LvsdError('LVSD_E_NETLINK', 'rtnetlink port closed');
    this.requests ??= new AckedRequests(openNetlinkTransport(NETLINK_ROUTE));
    return this.requests;
  }

  #lib(): Promise<LibraryPart> {
    if (this.closed) return Promise.reject(new LvsdError('LVSD_E_NETLINK', 'rtnetlink port closed'));
    this.lib ??= import('./rtnl-lib.io.js').then((m) => new m.LibraryRtnl());
    return this.lib;
  }

  /** One socket subscribed to link and address changes (`ip monitor link address`). */
  #eventSocket(): void {
    if (this.events) return;
    const ev = openNetlinkTransport(NETLINK_ROUTE, {
      groups: [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
      recvBufferSize: this.#options.eventQueueBytes ?? EVENT_QUEUE_BYTES,
    });
    ev.onMessage((d) => {
      const msgs = decodeMessages(d);
      if (msgs.ok) for (const m of msgs.value) this.#dispatch(m.type, m.payload);
    });
    // an overrun queue (ENOBUFS) dropped events: the engine reads links and addresses again
    ev.onError(() => {
      for (const cb of this.lostListeners) cb();
    });
    this.events = ev;
  }

  #dispatch(type: number, payload: Buffer): void {
    if (type === RTM_NEWLINK || type === RTM_DELLINK) {
      const l = decodeLink(payload);
      if (!l) return; // a message we cannot read is not an event we can act on
      const e: LinkEvent = { ...l, deleted: type === RTM_DELLINK };
      for (const cb of this.listeners) cb(e);
    } else if (type === RTM_NEWADDR || type === RTM_DELADDR) {
      const addr = decodeAddr(payload);
      if (!addr) return;
      const e: AddrEvent = { type: type === RTM_NEWADDR ? 'new' : 'del', addr };
      for (const cb of this.addrListeners) cb(e);
    }
  }
}

/** Open the real rtnetlink port (in the caller's network namespace). */
export function openRtnl(options: RtnlOptions = {}): Rtnl {
  try {
    return new NetlinkRtnl(options);
  } catch (e) {
    throw new LvsdError('LVSD_E_NETLINK', `cannot open rtnetlink: ${(e as Error).message}`, { cause: e });
  }
}
