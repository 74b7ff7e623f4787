// SPDX-License-Identifier: Apache-2.0
/**
 * The rtnetlink port: addresses, links, routes and rules as lvsd uses them (VIPs, link state,
 * source addresses, virtual and static routes and rules), declared next to the pure code it serves. Pure: types and constants only; the real
 * implementation is src/netlink/rtnl-socket.ts, tests substitute fakes.
 */
import type { IpFamily } from '../core/addr.js';

/** RT_SCOPE_* by keepalived/iproute2 name. */
export const SCOPES = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;

export interface AddrSpec {
  readonly family: IpFamily;
  /** Address text (no prefix). */
  readonly address: string;
  readonly prefixLen: number;
  readonly ifindex: number;
  /** IFA_LABEL (IPv4 only), e.g. `eth0:vip`. */
  readonly label?: string;
  /** RT_SCOPE_* number [0 = global]. */
  readonly scope?: number;
  /** IFA_BROADCAST (IPv4 only). */
  readonly broadcast?: string;
  /** IPv6: `preferred_lft 0` (deprecated: never chosen as a source; a VMAC's link-local copy). */
  readonly deprecated?: boolean;
}

export interface AddrEntry {
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLen: number;
  readonly ifindex: number;
  readonly scope: number;
  readonly label: string | undefined;
  readonly secondary: boolean;
  readonly tentative: boolean;
}

export interface LinkInfo {
  readonly ifindex: number;
  readonly name: string;
  /** aa:bb:cc:dd:ee:ff ('' if the link has no L2 address). */
  readonly mac: string;
  /** IFF_UP and IFF_RUNNING (keepalived's test for a usable interface). */
  readonly up: boolean;
}

/** A link as `ip -d link show` shows it: its kind and parent (what a VMAC is checked by). */
export interface LinkDetails extends LinkInfo {
  /** IFLA_INFO_KIND: `macvlan`, `veth`, ...; '' for a physical device. */
  readonly kind: string;
  /** IFLA_LINK: the parent's ifindex; 0 when none. */
  readonly parentIndex: number;
  /** IFLA_MACVLAN_MODE of a macvlan (MACVLAN_MODE in rtnl-link.ts). */
  readonly macvlanMode?: number;
}

/** A macvlan to create or put right (a VMAC). */
export interface MacvlanSpec {
  readonly name: string;
  readonly parentIndex: number;
  /** aa:bb:cc:dd:ee:ff */
  readonly mac: string;
  /** MACVLAN_MODE_* (rtnl-link.ts). */
  readonly mode: number;
}

export interface LinkEvent extends LinkInfo {
  readonly deleted: boolean;
}

/** An address added to or removed from an interface (`ip monitor address`). */
export interface AddrEvent {
  readonly type: 'new' | 'del';
  readonly addr: AddrEntry;
}

/** RTN_* route types by iproute2 name. */
export const ROUTE_TYPES = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
} as const;

/** FR_ACT_* rule actions (`table` is FR_ACT_TO_TBL). */
export const RULE_ACTIONS = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;

/** A route as RTM_NEWROUTE / RTM_DELROUTE carry it (keepalived's netlink_route fields). */
export interface RouteSpec {
  readonly family: IpFamily;
  /** RTA_DST (network address text) and rtm_dst_len. */
  readonly dst: string;
  readonly dstLen: number;
  readonly type: keyof typeof ROUTE_TYPES;
  /** rtm_table (RTA_TABLE past 255). */
  readonly table: number;
  /** rtm_protocol. */
  readonly protocol: number;
  /** rtm_scope when added [0, universe]; a delete without one matches any (RT_SCOPE_NOWHERE). */
  readonly scope?: number;
  readonly tos?: number;
  /** RTA_PREFSRC (`src`). */
  readonly prefsrc?: string;
  /** RTA_SRC / rtm_src_len (`from`, IPv6). */
  readonly src?: string;
  readonly srcLen?: number;
  /** RTA_GATEWAY (`via`). */
  readonly gateway?: string;
  /** RTA_OIF (`dev`). */
  readonly ifindex?: number;
  /** RTA_PRIORITY (`metric`). */
  readonly metric?: number;
  /** RTNH_F_ONLINK in rtm_flags. */
  readonly onlink?: boolean;
  /** RTA_MULTIPATH: one struct rtnexthop (+ RTA_GATEWAY) per path. */
  readonly nexthops?: readonly NexthopSpec[];
}

/** One path of a multipath route. */
export interface NexthopSpec {
  readonly gateway?: string;
  readonly ifindex?: number;
  /** rtnh_hops: the weight less one. */
  readonly hops?: number;
  readonly onlink?: boolean;
}

/**
 * A route as the kernel dumps it (`ip route show table all`), in RouteSpec's terms. The kernel fills
 * in what a RouteSpec may leave out: the interface a gateway resolved to, IPv6's default metric.
 */
export interface RouteEntry {
  readonly family: IpFamily;
  readonly dst: string;
  readonly dstLen: number;
  /** A type lvsd does not name (nat, xresolve) is its number. */
  readonly type: keyof typeof ROUTE_TYPES | number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly tos: number;
  readonly prefsrc?: string;
  readonly src?: string;
  readonly srcLen: number;
  readonly gateway?: string;
  readonly ifindex?: number;
  readonly metric?: number;
  readonly onlink: boolean;
  readonly nexthops?: readonly NexthopSpec[];
}

/** A policy routing rule as RTM_NEWRULE / RTM_DELRULE carry it (keepalived's netlink_rule fields). */
export interface RuleSpec {
  readonly family: IpFamily;
  readonly action: keyof typeof RULE_ACTIONS;
  /** FRA_PRIORITY. */
  readonly priority: number;
  /** With action `table`: frh.table (FRA_TABLE past 255). */
  readonly table?: number;
  /** With action `goto`: FRA_GOTO. */
  readonly goto?: number;
  /** FRA_SRC / src_len, FRA_DST / dst_len. */
  readonly src?: string;
  readonly srcLen?: number;
  readonly dst?: string;
  readonly dstLen?: number;
  /** FIB_RULE_INVERT (`not`). */
  readonly invert?: boolean;
  readonly fwmark?: number;
  readonly fwmask?: number;
  /** FRA_IFNAME (`iif`), FRA_OIFNAME (`oif`): names, so the interface need not exist yet. */
  readonly iifname?: string;
  readonly oifname?: string;
  readonly tos?: number;
  /** FRA_PROTOCOL. */
  readonly protocol?: number;
}

/** The rtnetlink port the VRRP shell uses (tests can substitute a fake). */
export interface Rtnl {
  /** `ip addr add ADDR/PLEN [brd B] [scope S] [label L] dev IF [nodad]`; 'exists' on EEXIST. */
  addAddress(a: AddrSpec): Promise<'added' | 'exists'>;
  /** `ip addr del ADDR/PLEN dev IF`; 'absent' on EADDRNOTAVAIL / ENOENT. */
  delAddress(a: AddrSpec): Promise<'deleted' | 'absent'>;
  /** `ip -o addr show [dev IF]`. */
  listAddresses(ifindex?: number): Promise<AddrEntry[]>;
  /** `ip -o link show` (one link by name, or undefined). */
  getLink(name: string): Promise<LinkInfo | undefined>;
  /** `ip monitor link`: calls `cb` for every RTM_NEWLINK / RTM_DELLINK. Returns an unsubscribe. */
  onLinkEvent(cb: (e: LinkEvent) => void): () => void;
  /** `ip monitor address`: calls `cb` for every RTM_NEWADDR / RTM_DELADDR. Returns an unsubscribe. */
  onAddressEvent(cb: (e: AddrEvent) => void): () => void;
  /**
   * The event socket's receive queue overran (ENOBUFS): link and address events were lost, and
   * what was learnt from them must be read again. Returns an unsubscribe.
   */
  onEventsLost(cb: () => void): () => void;
  /** `ip route prepend ROUTE` (NLM_F_CREATE without EXCL, as keepalived); 'exists' on EEXIST. */
  addRoute(r: RouteSpec): Promise<'added' | 'exists'>;
  /** `ip route del ROUTE`; 'absent' on ESRCH / ENOENT. */
  delRoute(r: RouteSpec): Promise<'deleted' | 'absent'>;
  /** `ip [-6] route show table all`: every route of the family, in every table. */
  listRoutes(family: IpFamily): Promise<RouteEntry[]>;
  /** `ip rule add RULE` (NLM_F_CREATE | NLM_F_EXCL); 'exists' on EEXIST. */
  addRule(r: RuleSpec): Promise<'added' | 'exists'>;
  /** `ip rule del RULE`; 'absent' on ENOENT. */
  delRule(r: RuleSpec): Promise<'deleted' | 'absent'>;
  close(): void;
  /** `ip -d link show NAME` (undefined when there is no such link). */
  linkDetails(name: string): Promise<LinkDetails | undefined>;
  /**
   * `ip link add link PARENT name NAME address MAC type macvlan mode MODE`, then `addrgenmode none`
   * and `up` (keepalived's order: no EUI-64 link-local address is ever generated). Returns its ifindex.
   */
  addMacvlan(m: MacvlanSpec): Promise<number>;
  /** An existing macvlan given `m`'s MAC and mode (`ip link set IF address MAC type macvlan mode M`), then up. */
  updateMacvlan(ifindex: number, m: MacvlanSpec): Promise<void>;
  /** `ip link del dev IF`; 'absent' when it is already gone. */
  deleteLink(ifindex: number): Promise<'deleted' | 'absent'>;
}
