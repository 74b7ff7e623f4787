// SPDX-License-Identifier: Apache-2.0
/**
 * The rtnetlink requests of `Rtnl` formatted and parsed by `netlink@0.3.0` (pinned exactly; young,
 * API not kept stable) and carried on lvsd's own socket (rt-socket.io.ts): routes, rules, VMAC
 * links. rtnl-socket.io.ts loads this module at the first of
 * them, so that a configuration without any does not load the library's generated structs (its
 * addresses, link and address dumps and events are hand-written there). The library's errors are
 * message text only ("Request rejected: EEXIST"): rtnl-errors.ts maps them to `NetlinkError`
 * with the errno name. Each method names its `ip` equivalent.
 */
// deep imports: the package's index also loads its nl80211 and WireGuard tables (~50 ms at start)
import type { RtNetlinkSocket } from 'netlink/dist/rt/rt.js';
import * as rt from 'netlink/dist/rt/structs.js';
import {
  ROUTE_TYPES,
  RULE_ACTIONS,
  type LinkDetails,
  type LinkInfo,
  type MacvlanSpec,
  type NexthopSpec,
  type RouteEntry,
  type RouteSpec,
  type Rtnl,
  type RuleSpec,
} from './rtnl.js';
import { addrBytesOf, addrText, macText, type IpFamily } from '../core/addr.js';
import { addrGenModeNone, macvlanLinkInfo, parseLinkInfo } from './rtnl-link.js';
import { errnoOf, netlinkError } from './rtnl-errors.js';
import { openRtSocket } from './rt-socket.io.js';

const AF_INET = 2;
const AF_INET6 = 10;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
/** rtm_flags bit of `onlink`. */
const RTNH_F_ONLINK = 4;
/** fib_rule_hdr flags bit of `not`. */
const FIB_RULE_INVERT = 2;
/** A delete with this scope matches a route of any scope (keepalived deletes so). */
const RT_SCOPE_NOWHERE = 255;
/** NLM_F_REQUEST | NLM_F_ACK, and with NLM_F_CREATE | NLM_F_EXCL (`ip link add`, `ip addr add`). */
const REQ_ACK = 0x1 | 0x4;
const CREATE_EXCL = REQ_ACK | 0x400 | 0x200;

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((o) => parseInt(o, 16)));
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function fam(f: IpFamily): number {
  return f === 'inet' ? AF_INET : AF_INET6;
}

function bytes(addr: string, family: IpFamily): Buffer {
  const b = addrBytesOf(addr, family);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A link's `ip link` basics, from the library's parse (linkDetails; the others are rtnl-messages.ts's). */
function linkInfo(m: rt.LinkMessage): LinkInfo {
  const f = m.data.flags ?? {};
  return {
    ifindex: m.data.index ?? 0,
    name: m.attrs.ifname ?? '',
    mac: macText(m.attrs.address),
    up: f.up === true && f.running === true,
  };
}

const RTA_GATEWAY = 5;

/**
 * RTA_MULTIPATH's payload: per path a struct rtnexthop (len, flags, hops, ifindex) followed by its
 * RTA_GATEWAY, each aligned to 4. Host byte order, which lvsd's codec takes as little-endian.
 */
function multipath(nhs: readonly NexthopSpec[], family: IpFamily): Buffer {
  const parts: Buffer[] = [];
  for (const nh of nhs) {
    const gw = nh.gateway === undefined ? undefined : bytes(nh.gateway, family);
    const attrLen = gw ? 4 + gw.length : 0;
    const b = Buffer.alloc(8 + ((attrLen + 3) & ~3));
    b.writeUInt16LE(8 + attrLen, 0);
    b.writeUInt8(nh.onlink ? RTNH_F_ONLINK : 0, 2);
    b.writeUInt8(nh.hops ?? 0, 3);
    b.writeInt32LE(nh.ifindex ?? 0, 4);
    if (gw) {
      b.writeUInt16LE(attrLen, 8);
      b.writeUInt16LE(RTA_GATEWAY, 10);
      gw.copy(b, 12);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** RTA_MULTIPATH's payload back into paths (RTA_VIA, an IPv6 gateway of an IPv4 route, is not read). */
function parseMultipath(b: Buffer): NexthopSpec[] {
  const out: NexthopSpec[] = [];
  for (let at = 0; at + 8 <= b.length;) {
    const len = b.readUInt16LE(at);
    if (len < 8 || at + len > b.length) break;
    const flags = b.readUInt8(at + 2);
    const ifindex = b.readInt32LE(at + 4);
    let gateway: string | undefined;
    for (let a = at + 8; a + 4 <= at + len;) {
      const alen = b.readUInt16LE(a);
      if (alen < 4) break;
      const gw = b.subarray(a + 4, a + alen);
      if (b.readUInt16LE(a + 2) === RTA_GATEWAY && (gw.length === 4 || gw.length === 16))
        gateway = addrText(gw);
      a += (alen + 3) & ~3;
    }
    out.push({
      ...(gateway !== undefined ? { gateway } : {}),
      ...(ifindex > 0 ? { ifindex } : {}),
      hops: b.readUInt8(at + 3),
      onlink: (flags & RTNH_F_ONLINK) !== 0,
    });
    at += (len + 3) & ~3;
  }
  return out;
}

/** The library gives an enum's name when it knows the value, the number otherwise. */
function enumValue(names: Readonly<Record<string, string | number>>, v: string | number | undefined): number {
  if (typeof v === 'number') return v;
  const n = v === undefined ? undefined : names[v];
  return typeof n === 'number' ? n : 0;
}

const routeTypeNames = new Map<number, keyof typeof ROUTE_TYPES>(
  Object.entries(ROUTE_TYPES).map(([name, n]) => [n, name as keyof typeof ROUTE_TYPES]),
);

/** A dumped route (RTM_NEWROUTE) in RouteSpec's terms; undefined for another family. */
function routeEntry(m: rt.RouteMessage, family: IpFamily): RouteEntry | undefined {
  if (m.data.family !== fam(family)) return undefined;
  const a = m.attrs;
  const text = (b: Buffer | undefined): string | undefined => (b ? addrText(b) : undefined);
  const typeNo = enumValue(rt.RouteType, m.data.type);
  return {
    family,
    dst: text(a.dst) ?? (family === 'inet' ? '0.0.0.0' : '::'),
    dstLen: m.data.dstLen ?? 0,
    type: routeTypeNames.get(typeNo) ?? typeNo,
    table: a.table ?? m.data.table ?? 0,
    protocol: enumValue(rt.RouteProtocol, m.data.protocol),
    scope: enumValue(rt.RouteScope, m.data.scope),
    tos: m.data.tos ?? 0,
    ...(a.prefsrc ? { prefsrc: addrText(a.prefsrc) } : {}),
    ...(a.src ? { src: addrText(a.src) } : {}),
    srcLen: m.data.srcLen ?? 0,
    ...(a.gateway ? { gateway: addrText(a.gateway) } : {}),
    ...(a.oif !== undefined ? { ifindex: a.oif } : {}),
    ...(a.priority !== undefined ? { metric: a.priority } : {}),
    onlink: ((m.data.flags?.__unknown ?? 0) & RTNH_F_ONLINK) !== 0,
    ...(a.multipath ? { nexthops: parseMultipath(a.multipath) } : {}),
  };
}

/** RTM_NEWROUTE / RTM_DELROUTE header and attributes, field for field as keepalived's netlink_route. */
function routeMessage(r: RouteSpec, del: boolean): { data: rt.Route; attrs: rt.RouteAttrs } {
  const data: rt.Route = {
    family: fam(r.family),
    dstLen: r.dstLen,
    table: r.table < 256 ? r.table : 0,
    protocol: r.protocol,
    scope: r.scope ?? (del ? RT_SCOPE_NOWHERE : 0),
    type: ROUTE_TYPES[r.type],
  };
  if (r.tos !== undefined) data.tos = r.tos;
  if (r.onlink) data.flags = { __unknown: RTNH_F_ONLINK };
  const attrs: rt.RouteAttrs = { dst: bytes(r.dst, r.family), table: r.table };
  if (r.src !== undefined) {
    attrs.src = bytes(r.src, r.family);
    data.srcLen = r.srcLen ?? 0;
  }
  if (r.prefsrc !== undefined) attrs.prefsrc = bytes(r.prefsrc, r.family);
  if (r.gateway !== undefined) attrs.gateway = bytes(r.gateway, r.family);
  if (r.ifindex !== undefined) attrs.oif = r.ifindex;
  if (r.metric !== undefined) attrs.priority = r.metric;
  if (r.nexthops !== undefined) attrs.multipath = multipath(r.nexthops, r.family);
  return { data, attrs };
}

/** RTM_NEWRULE / RTM_DELRULE header and attributes, field for field as keepalived's netlink_rule. */
function ruleMessage(r: RuleSpec): { data: rt.Rule; attrs: rt.RuleAttrs } {
  const table = r.action === 'table' ? (r.table ?? 254) : 0;
  const data: rt.Rule = {
    family: fam(r.family),
    action: RULE_ACTIONS[r.action],
    table: table < 256 ? table : 0,
  };
  if (r.tos !== undefined) data.tos = r.tos;
  if (r.invert) data.flags = { __unknown: FIB_RULE_INVERT };
  const attrs: rt.RuleAttrs = { priority: r.priority };
  if (table > 255) attrs.table = table;
  if (r.src !== undefined) {
    attrs.src = bytes(r.src, r.family);
    data.srcLen = r.srcLen ?? 0;
  }
  if (r.dst !== undefined) {
    attrs.dst = bytes(r.dst, r.family);
    data.dstLen = r.dstLen ?? 0;
  }
  if (r.fwmark !== undefined) attrs.fwmark = r.fwmark;
  if (r.fwmask !== undefined) attrs.fwmask = r.fwmask;
  if (r.iifname !== undefined) attrs.iifname = r.iifname;
  if (r.oifname !== undefined) attrs.oifname = r.oifname;
  if (r.goto !== undefined) attrs.goto = r.goto;
  if (r.protocol !== undefined) attrs.protocol = r.protocol;
  return { data, attrs };
}

function routeText(r: RouteSpec): string {
  return `${r.type} ${r.dst}/${r.dstLen} table ${r.table}${r.gateway ? ` via ${r.gateway}` : ''}`;
}

function ruleText(r: RuleSpec): string {
  return `priority ${r.priority} ${r.action}${r.table !== undefined ? ` ${r.table}` : ''}`;
}

/** The library's part of `Rtnl` (the rest is rtnl-socket.io.ts's, by hand). */
export type LibraryPart = Pick<
  Rtnl,
  | 'addRoute'
  | 'delRoute'
  | 'listRoutes'
  | 'addRule'
  | 'delRule'
  | 'linkDetails'
  | 'addMacvlan'
  | 'updateMacvlan'
  | 'deleteLink'
> & { close(): void };

export class LibraryRtnl implements LibraryPart {
  private readonly sock: RtNetlinkSocket;

  constructor() {
    this.sock = openRtSocket();
  }

  async addRoute(r: RouteSpec): Promise<'added' | 'exists'> {
    const { data, attrs } = routeMessage(r, false);
    try {
      // NLM_F_CREATE without NLM_F_EXCL: keepalived's default (`ip route prepend`)
      await this.sock.newRoute(data, attrs, { flags: NLM_F_CREATE });
      return 'added';
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') return 'exists';
      throw netlinkError('addRoute', routeText(r), e);
    }
  }

  async delRoute(r: RouteSpec): Promise<'deleted' | 'absent'> {
    const { data, attrs } = routeMessage(r, true);
    try {
      await this.sock.delRoute(data, attrs);
      return 'deleted';
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'ESRCH' || errno === 'ENOENT' || errno === 'ENODEV') return 'absent';
      throw netlinkError('delRoute', routeText(r), e);
    }
  }

  async listRoutes(family: IpFamily): Promise<RouteEntry[]> {
    let msgs: rt.RouteMessage[];
    try {
      msgs = await this.sock.getRoutes({ family: fam(family) });
    } catch (e) {
      throw netlinkError('listRoutes', family, e);
    }
    return msgs.flatMap((m) => routeEntry(m, family) ?? []);
  }

  async addRule(r: RuleSpec): Promise<'added' | 'exists'> {
    const { data, attrs } = ruleMessage(r);
    try {
      await this.sock.newRule(data, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL });
      return 'added';
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') return 'exists';
      throw netlinkError('addRule', ruleText(r), e);
    }
  }

  async delRule(r: RuleSpec): Promise<'deleted' | 'absent'> {
    const { data, attrs } = ruleMessage(r);
    try {
      await this.sock.delRule(data, attrs);
      return 'deleted';
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return 'absent';
      throw netlinkError('delRule', ruleText(r), e);
    }
  }

  async linkDetails(name: string): Promise<LinkDetails | undefined> {
    let msgs: rt.LinkMessage[];
    try {
      msgs = await this.sock.getLinks();
    } catch (e) {
      throw netlinkError('linkDetails', name, e);
    }
    const m = msgs.find((x) => x.attrs.ifname === name);
    if (!m) return undefined;
    const info = parseLinkInfo(m.attrs.linkinfo);
    const link = m.attrs.link;
    return {
      ...linkInfo(m),
      kind: info.kind,
      parentIndex: link && link.length >= 4 ? link.readUInt32LE(0) : 0,
      ...(info.macvlanMode !== undefined ? { macvlanMode: info.macvlanMode } : {}),
    };
  }

  async addMacvlan(mv: MacvlanSpec): Promise<number> {
    try {
      await this.sock.newLink(
        { family: 0 },
        {
          ifname: mv.name,
          link: u32(mv.parentIndex),
          address: macBytes(mv.mac),
          linkinfo: macvlanLinkInfo(mv.mode),
        },
        { flags: CREATE_EXCL },
      );
    } catch (e) {
      throw netlinkError('addMacvlan', `${mv.name} link#${mv.parentIndex}`, e);
    }
    const made = await this.linkDetails(mv.name);
    if (!made) throw netlinkError('addMacvlan', mv.name, new Error('Request rejected: ENODEV'));
    await this.#addrGenNoneAndUp(made.ifindex, mv.name);
    return made.ifindex;
  }

  async updateMacvlan(ifindex: number, mv: MacvlanSpec): Promise<void> {
    try {
      await this.sock.newLink(
        { family: 0, index: ifindex },
        { address: macBytes(mv.mac), linkinfo: macvlanLinkInfo(mv.mode) },
        { flags: REQ_ACK },
      );
    } catch (e) {
      throw netlinkError('updateMacvlan', mv.name, e);
    }
    await this.#addrGenNoneAndUp(ifindex, mv.name);
  }

  /** Two messages, as keepalived sends them: the kernel does not take IFLA_AF_SPEC with the link's creation. */
  async #addrGenNoneAndUp(ifindex: number, name: string): Promise<void> {
    try {
      await this.sock.setLink(
        { family: 0, index: ifindex },
        { afSpec: addrGenModeNone() },
        { flags: REQ_ACK },
      );
      await this.sock.setLink(
        { family: 0, index: ifindex, flags: { up: true }, change: { up: true } },
        {},
        { flags: REQ_ACK },
      );
    } catch (e) {
      throw netlinkError('setLink', name, e);
    }
  }

  async deleteLink(ifindex: number): Promise<'deleted' | 'absent'> {
    try {
      await this.sock.delLink({ family: 0, index: ifindex }, {}, { flags: REQ_ACK });
      return 'deleted';
    } catch (e) {
      if (errnoOf(e) === 'ENODEV') return 'absent';
      throw netlinkError('deleteLink', `link#${ifindex}`, e);
    }
  }

  close(): void {
    this.sock.socket.close();
  }
}
