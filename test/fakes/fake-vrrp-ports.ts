// SPDX-License-Identifier: Apache-2.0
/**
 * Fake ports for the VRRP engine (src/vrrp/ports.ts): a host with interfaces and addresses that
 * the engine's rtnetlink calls change, sockets that record what is sent and can be fed adverts, a
 * recording notifier and tracker runner, and a FakeClock. The engine then runs without root.
 */
import { NetlinkError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/log.js';
import { silentLogger } from './silent-logger.js';
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
} from '../../src/netlink/rtnl.js';
import type { NotifyState, NotifyTarget } from '../../src/vrrp/notify.js';
import { decodeAdvert } from '../../src/vrrp/packet.js';
import type { ReceivedAdvert, TrackerRunner, TrackerTarget, VrrpEnginePorts } from '../../src/vrrp/ports.js';
import { FakeClock } from './fake-clock.js';

export interface SentAdvert {
  readonly at: number;
  readonly ifname: string;
  readonly dst: string;
  readonly vrid: number;
  readonly priority: number;
  /** The TTL asked for this packet (unicast_ttl); undefined: the socket's 255. */
  readonly ttl?: number;
  /** The addresses the advert carries. */
  readonly addresses: readonly string[];
}

/**
 * The kernel's routes and rules as the rtnetlink port changes them: an identical one twice is
 * EEXIST, deleting one that is not there is 'absent'. `log` records each call in order
 * (`add route 10.9.0.0/16`, `del rule 100`). A route dump shows what the kernel fills in: the
 * interface a gateway resolves to (`oifOf`), IPv6's default metric 1024. `refuseRoute`, when set,
 * fails a route add with the errno it returns, as the kernel fails one whose gateway the policy
 * rules make unreachable (ENETUNREACH), whether or not the route is there.
 */
export interface FakeRouting extends Pick<
  Rtnl,
  'addRoute' | 'delRoute' | 'addRule' | 'delRule' | 'listRoutes'
> {
  readonly routes: Map<string, RouteSpec>;
  readonly rules: Map<string, RuleSpec>;
  readonly log: string[];
  refuseRoute: ((r: RouteSpec) => string | undefined) | undefined;
}

/** A stored route as a dump shows it. */
function dumped(r: RouteSpec, oifOf: (gateway: string) => number | undefined): RouteEntry {
  const ifindex = r.ifindex ?? (r.gateway !== undefined ? oifOf(r.gateway) : undefined);
  const metric = r.metric ?? (r.family === 'inet6' ? 1024 : undefined);
  return {
    family: r.family,
    dst: r.dst,
    dstLen: r.dstLen,
    type: r.type,
    table: r.table,
    protocol: r.protocol,
    scope: r.scope ?? 0,
    tos: r.tos ?? 0,
    ...(r.prefsrc !== undefined ? { prefsrc: r.prefsrc } : {}),
    ...(r.src !== undefined ? { src: r.src } : {}),
    srcLen: r.srcLen ?? 0,
    ...(r.gateway !== undefined ? { gateway: r.gateway } : {}),
    ...(ifindex !== undefined ? { ifindex } : {}),
    ...(metric !== undefined ? { metric } : {}),
    onlink: r.onlink ?? false,
    ...(r.nexthops
      ? {
          nexthops: r.nexthops.map((nh) => {
            const oif = nh.ifindex ?? (nh.gateway !== undefined ? oifOf(nh.gateway) : undefined);
            return { ...nh, ...(oif !== undefined ? { ifindex: oif } : {}), hops: nh.hops ?? 0 };
          }),
        }
      : {}),
  };
}

export function fakeRouting(
  log: string[] = [],
  oifOf: (gateway: string) => number | undefined = () => undefined,
): FakeRouting {
  const routes = new Map<string, RouteSpec>();
  const rules = new Map<string, RuleSpec>();
  const put = <T>(m: Map<string, T>, x: T, what: string): Promise<'added' | 'exists'> => {
    log.push(`add ${what}`);
    const k = JSON.stringify(x);
    if (m.has(k)) return Promise.resolve('exists');
    m.set(k, x);
    return Promise.resolve('added');
  };
  const del = <T>(m: Map<string, T>, x: T, what: string): Promise<'deleted' | 'absent'> => {
    log.push(`del ${what}`);
    return Promise.resolve(m.delete(JSON.stringify(x)) ? 'deleted' : 'absent');
  };
  const self: FakeRouting = {
    routes,
    rules,
    log,
    refuseRoute: undefined,
    addRoute: (r) => {
      const errno = self.refuseRoute?.(r);
      if (errno === undefined) return put(routes, r, `route ${r.dst}/${r.dstLen}`);
      log.push(`add route ${r.dst}/${r.dstLen}: ${errno}`);
      const message = `addRoute ${r.dst}/${r.dstLen}: ${errno}`;
      return Promise.reject(new NetlinkError({ errno, op: 'addRoute', message }));
    },
    delRoute: (r) => del(routes, r, `route ${r.dst}/${r.dstLen}`),
    addRule: (r) => put(rules, r, `rule ${r.priority}`),
    delRule: (r) => del(rules, r, `rule ${r.priority}`),
    listRoutes: (family) =>
      Promise.resolve([...routes.values()].filter((r) => r.family === family).map((r) => dumped(r, oifOf))),
  };
  return self;
}

/**
 * Interfaces, their addresses and link and address events, as rtnetlink would show them: every
 * address change, the engine's own included, is announced to the listeners a moment later, as the
 * kernel does.
 */
export class FakeHost implements Rtnl {
  readonly links = new Map<string, LinkInfo>();
  /** Kind, parent and mode of links that are not plain devices (macvlans made through addMacvlan). */
  readonly details = new Map<string, { kind: string; parentIndex: number; macvlanMode?: number }>();
  #nextIndex = 100;
  readonly addrs: AddrEntry[] = [];
  readonly log: string[] = [];
  /** Routes and rules (their calls go to `log` too). */
  readonly routing = fakeRouting(this.log, (gw) => this.#onLinkOf(gw));
  readonly #listeners = new Set<(e: LinkEvent) => void>();
  readonly #addrListeners = new Set<(e: AddrEvent) => void>();
  readonly #lostListeners = new Set<() => void>();

  /** An interface (and an address on it); announced when `announce` (a hot-plugged interface). */
  addLink(name: string, ifindex: number, address?: string, up = true, announce = false): this {
    const link = { ifindex, name, mac: `02:00:00:00:00:${ifindex.toString(16).padStart(2, '0')}`, up };
    this.links.set(name, link);
    if (announce) this.#linkChanged(link);
    if (address) this.putAddress(name, address, announce);
    return this;
  }

  /** An address appears on an interface (DHCP, ifup), announced when `announce`. */
  putAddress(ifname: string, address: string, announce = true): void {
    const ifindex = this.links.get(ifname)?.ifindex ?? 0;
    this.#put(
      { family: address.includes(':') ? 'inet6' : 'inet', address, prefixLen: 24, ifindex },
      announce,
    );
  }

  /** `ip addr del` by someone else; its event lost (an overrun queue) when not `announce`. */
  removeAddress(address: string, announce = true): void {
    const i = this.addrs.findIndex((a) => a.address === address);
    const gone = i >= 0 ? this.addrs.splice(i, 1)[0] : undefined;
    if (gone && announce) this.#addrChanged('del', gone);
  }

  /** The event socket's queue overran: the engine is told events were lost. */
  loseEvents(): void {
    for (const cb of this.#lostListeners) cb();
  }

  #put(a: AddrSpec, announce: boolean): void {
    const e: AddrEntry = { ...a, scope: 0, label: a.label, secondary: false, tentative: false };
    this.addrs.push(e);
    if (announce) this.#addrChanged('new', e);
  }

  #addrChanged(type: 'new' | 'del', addr: AddrEntry): void {
    queueMicrotask(() => {
      for (const cb of this.#addrListeners) cb({ type, addr });
    });
  }

  #linkChanged(l: LinkInfo, deleted = false): void {
    for (const cb of this.#listeners) cb({ ...l, deleted });
  }

  has(address: string): boolean {
    return this.addrs.some((a) => a.address === address);
  }

  setLink(name: string, up: boolean, announce = true): void {
    const l = this.links.get(name);
    if (!l) return;
    const next = { ...l, up };
    this.links.set(name, next);
    if (announce) this.#linkChanged(next);
  }

  addAddress(a: AddrSpec): Promise<'added' | 'exists'> {
    this.log.push(`add ${a.address}`);
    // an address is per interface (a VMAC carries a copy of its parent's link-local address)
    if (this.addrs.some((x) => x.address === a.address && x.ifindex === a.ifindex))
      return Promise.resolve('exists');
    this.#put(a, true);
    return Promise.resolve('added');
  }

  delAddress(a: AddrSpec): Promise<'deleted' | 'absent'> {
    this.log.push(`del ${a.address}`);
    const i = this.addrs.findIndex((x) => x.address === a.address && x.ifindex === a.ifindex);
    const gone = this.addrs.splice(i, 1)[0];
    if (i < 0 || !gone) return Promise.resolve('absent');
    this.#addrChanged('del', gone);
    return Promise.resolve('deleted');
  }

  addRoute(r: RouteSpec): Promise<'added' | 'exists'> {
    return this.routing.addRoute(r);
  }

  delRoute(r: RouteSpec): Promise<'deleted' | 'absent'> {
    return this.routing.delRoute(r);
  }

  addRule(r: RuleSpec): Promise<'added' | 'exists'> {
    return this.routing.addRule(r);
  }

  delRule(r: RuleSpec): Promise<'deleted' | 'absent'> {
    return this.routing.delRule(r);
  }

  listRoutes(family: 'inet' | 'inet6'): Promise<RouteEntry[]> {
    return this.routing.listRoutes(family);
  }

  /** The interface whose IPv4 /24 holds a gateway (how the kernel resolves a route without `dev`). */
  #onLinkOf(gateway: string): number | undefined {
    const net = (a: string): string => a.split('.').slice(0, 3).join('.');
    return this.addrs.find((a) => a.family === 'inet' && net(a.address) === net(gateway))?.ifindex;
  }

  listAddresses(ifindex?: number): Promise<AddrEntry[]> {
    return Promise.resolve(this.addrs.filter((a) => ifindex === undefined || a.ifindex === ifindex));
  }

  getLink(name: string): Promise<LinkInfo | undefined> {
    return Promise.resolve(this.links.get(name));
  }

  linkDetails(name: string): Promise<LinkDetails | undefined> {
    const l = this.links.get(name);
    return Promise.resolve(l ? { ...l, kind: '', parentIndex: 0, ...this.details.get(name) } : undefined);
  }

  addMacvlan(m: MacvlanSpec): Promise<number> {
    this.log.push(`link add ${m.name} ${m.mac}`);
    if (this.links.has(m.name)) return Promise.reject(new Error(`addMacvlan ${m.name}: EEXIST`));
    const ifindex = this.#nextIndex++;
    this.links.set(m.name, { ifindex, name: m.name, mac: m.mac, up: true });
    this.details.set(m.name, { kind: 'macvlan', parentIndex: m.parentIndex, macvlanMode: m.mode });
    this.#linkChanged({ ifindex, name: m.name, mac: m.mac, up: true });
    return Promise.resolve(ifindex);
  }

  updateMacvlan(ifindex: number, m: MacvlanSpec): Promise<void> {
    this.log.push(`link set ${m.name} ${m.mac}`);
    const l = [...this.links.values()].find((x) => x.ifindex === ifindex);
    if (l) this.links.set(l.name, { ...l, mac: m.mac, up: true });
    this.details.set(m.name, { kind: 'macvlan', parentIndex: m.parentIndex, macvlanMode: m.mode });
    return Promise.resolve();
  }

  deleteLink(ifindex: number): Promise<'deleted' | 'absent'> {
    const l = [...this.links.values()].find((x) => x.ifindex === ifindex);
    if (!l) return Promise.resolve('absent');
    this.log.push(`link del ${l.name}`);
    this.links.delete(l.name);
    this.details.delete(l.name);
    for (let i = this.addrs.length - 1; i >= 0; i--)
      if (this.addrs[i]?.ifindex === ifindex) this.addrs.splice(i, 1);
    this.#linkChanged(l, true);
    return Promise.resolve('deleted');
  }

  onLinkEvent(cb: (e: LinkEvent) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  onAddressEvent(cb: (e: AddrEvent) => void): () => void {
    this.#addrListeners.add(cb);
    return () => this.#addrListeners.delete(cb);
  }

  onEventsLost(cb: () => void): () => void {
    this.#lostListeners.add(cb);
    return () => this.#lostListeners.delete(cb);
  }

  close(): void {
    this.#lostListeners.clear();
    this.#listeners.clear();
    this.#addrListeners.clear();
  }
}

export interface FakeVrrpWorld {
  readonly clock: FakeClock;
  readonly host: FakeHost;
  readonly ports: VrrpEnginePorts;
  readonly sent: SentAdvert[];
  /** GARP/NA frames: the interface they left on, their bytes and their sender MAC (bytes 6..11). */
  readonly frames: { ifindex: number; at: number; data: Uint8Array; srcMac: string }[];
  /** /proc/sys/net as a map (`ipv4/conf/eth0/arp_ignore` → 0). */
  readonly sysctl: Map<string, number>;
  /** Every `nft -f -` script run, in order. */
  readonly nft: string[];
  readonly notes: { kind: string; name: string; state: NotifyState; priority: number }[];
  readonly open: { adverts: string[]; closed: string[] };
  /** Whole IPv4 packets sent on `auth_type AH` sockets (key `ifname|inet|ah`), in order. */
  readonly sentAh: { at: number; dst: string; packet: Uint8Array }[];
  /** Deliver a payload to the advert socket of `ifname|family`, as if received. */
  deliver(ifname: string, family: 'inet' | 'inet6', p: Omit<ReceivedAdvert, 'family'>): void;
  /** Deliver a whole IPv4 packet to the `auth_type AH` socket of `ifname`. */
  deliverAh(ifname: string, p: Omit<ReceivedAdvert, 'family'>): void;
}

export function fakeVrrpWorld(
  opts: {
    host?: FakeHost;
    /** The host's sysctls (a successor process on the same host shares them). */
    sysctl?: Map<string, number>;
    log?: Logger;
    start?: number;
    /** Quorum of each vrrp_track_process, reported when the trackers start (the real runner's scan). */
    processes?: Record<string, boolean>;
  } = {},
): FakeVrrpWorld {
  const clock = new FakeClock(opts.start ?? 1000);
  const host = opts.host ?? new FakeHost().addLink('eth0', 2, '10.0.0.2');
  const sent: SentAdvert[] = [];
  const frames: FakeVrrpWorld['frames'] = [];
  const sysctl = opts.sysctl ?? new Map<string, number>();
  const nft: string[] = [];
  const notes: FakeVrrpWorld['notes'] = [];
  const open = { adverts: [] as string[], closed: [] as string[] };
  const sentAh: FakeVrrpWorld['sentAh'] = [];
  const receivers = new Map<string, (p: ReceivedAdvert) => void>();
  // Tracked interfaces reach the instances that track them, as the real runner does; scripts and
  // track files do not run here.
  const trackers = (_m: unknown, targets: readonly TrackerTarget[]): TrackerRunner => {
    for (const [name, up] of Object.entries(opts.processes ?? {}))
      for (const t of targets) if (t.tracks('process', name)) t.observe({ kind: 'process', name, up });
    return runner(targets);
  };
  const runner = (targets: readonly TrackerTarget[]): TrackerRunner => ({
    link: (name, up) => {
      for (const t of targets) if (t.tracks('interface', name)) t.observe({ kind: 'interface', name, up });
    },
    stop: () => {},
    counters: { scriptRuns: 0, scriptTimeouts: 0, scriptErrors: 0 },
  });
  const record = (
    ifname: string,
    family: 'inet' | 'inet6',
    data: Uint8Array,
    dst: string,
    src: string | undefined,
    ttl: number | undefined,
  ): void => {
    const d = decodeAdvert(data, { family, src: src ?? '', dst });
    if (!d.ok) return;
    const { vrid, priority, addresses } = d.value;
    sent.push({
      at: clock.now(),
      ifname,
      dst,
      vrid,
      priority,
      addresses,
      ...(ttl !== undefined ? { ttl } : {}),
    });
  };
  const ports: VrrpEnginePorts = {
    clock,
    timers: clock,
    log: opts.log ?? silentLogger,
    rtnl: host,
    sockets: {
      openAdverts: (o) => {
        const key = `${o.ifname}|${o.family}${o.ah ? '|ah' : ''}`;
        open.adverts.push(key);
        receivers.set(key, o.onPacket);
        return {
          send: (data: Uint8Array, dst: string, src?: string, ttl?: number) => {
            if (o.ah) return void sentAh.push({ at: clock.now(), dst, packet: Uint8Array.from(data) });
            return record(o.ifname, o.family, data, dst, src, ttl);
          },
          close: () => {
            open.closed.push(key);
            receivers.delete(key);
          },
        };
      },
      openFrames: (ifindex) => ({
        send: (f: Uint8Array) =>
          void frames.push({
            ifindex,
            at: clock.now(),
            data: Uint8Array.from(f),
            srcMac: [...f.subarray(6, 12)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
          }),
        close: () => {},
      }),
      openSender: (o) => {
        const key = `${o.ifname}|${o.family}|send`;
        open.adverts.push(key);
        return {
          send: (data: Uint8Array, dst: string, src?: string, ttl?: number) =>
            record(o.ifname, o.family, data, dst, src, ttl),
          close: () => void open.closed.push(key),
        };
      },
    },
    notifier: {
      stateChanged: (t: NotifyTarget, state: NotifyState, priority: number) =>
        void notes.push({ kind: t.kind, name: t.name, state, priority }),
      counters: {},
      close: () => {},
    },
    trackers,
    host: { ipv6Forwarding: () => false },
    sysctl: {
      get: (k) => sysctl.get(k) ?? (/^ipv[46]\/conf\//.test(k) ? 0 : undefined),
      set: (k, v) => void sysctl.set(k, v),
      ipv4Interfaces: () => [...host.links.keys()],
    },
    nft: {
      run: (script) => {
        nft.push(script);
        return Promise.resolve();
      },
    },
  };
  return {
    clock,
    host,
    ports,
    sent,
    frames,
    sysctl,
    nft,
    notes,
    open,
    sentAh,
    deliver: (ifname, family, p) => receivers.get(`${ifname}|${family}`)?.({ ...p, family }),
    deliverAh: (ifname, p) => receivers.get(`${ifname}|inet|ah`)?.({ ...p, family: 'inet' }),
  };
}

/** Let promise chains (VIP changes through the fake rtnetlink) run; time does not move. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
