// SPDX-License-Identifier: Apache-2.0
/**
 * rtnetlink addresses and links for the VRRP shell, behind lvsd's own `Rtnl` interface so that
 * `netlink@0.3.0` (pinned exactly; young, API not kept stable) can be replaced by an AF_NETLINK
 * socket in the addon. Its errors are message text only ("Request rejected: EEXIST"): they are
 * mapped here to `NetlinkError` with the errno name. Each method names its `ip` equivalent.
 */
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { LvsdError, NetlinkError } from '../core/errors.js';
import type {
  AddrEntry,
  AddrEvent,
  AddrSpec,
  LinkDetails,
  LinkEvent,
  LinkInfo,
  MacvlanSpec,
  Rtnl,
} from './rtnl.js';
import { addrBytesOf, addrText, macText, type IpFamily } from '../core/addr.js';
import { addrGenModeNone, macvlanLinkInfo, parseLinkInfo } from './rtnl-link.js';

const AF_INET = 2;
const AF_INET6 = 10;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
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

/** "Request rejected: EEXIST" → "EEXIST"; anything else → "EUNKNOWN". */
export function errnoOf(e: unknown): string {
  const m = /Request rejected: ([A-Z0-9]+)/.exec(e instanceof Error ? e.message : String(e));
  return m?.[1] ?? 'EUNKNOWN';
}

/** A rejected rtnetlink request as a NetlinkError with its errno name. */
export function netlinkError(op: string, target: string, e: unknown): NetlinkError {
  const errno = errnoOf(e);
  return new NetlinkError({ errno, op, target, message: `${op} ${target}: ${errno}` }, { cause: e });
}

function fam(f: IpFamily): number {
  return f === 'inet' ? AF_INET : AF_INET6;
}

function bytes(addr: string, family: IpFamily): Buffer {
  const b = addrBytesOf(addr, family);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function linkInfo(m: rt.LinkMessage): LinkInfo {
  const f = m.data.flags ?? {};
  return {
    ifindex: m.data.index ?? 0,
    name: m.attrs.ifname ?? '',
    mac: macText(m.attrs.address),
    up: f.up === true && f.running === true,
  };
}

function addrEntry(m: rt.AddressMessage): AddrEntry | undefined {
  const raw = m.attrs.local ?? m.attrs.address;
  if (!raw || (raw.length !== 4 && raw.length !== 16)) return undefined;
  const flags = m.attrs.flags ?? m.data.flags ?? {};
  return {
    family: raw.length === 4 ? 'inet' : 'inet6',
    address: addrText(raw),
    prefixLen: m.data.prefixlen ?? 0,
    ifindex: m.data.index ?? 0,
    scope: m.data.scope ?? 0,
    label: m.attrs.label,
    secondary: flags.secondary === true,
    tentative: flags.tentative === true,
  };
}

class NetlinkRtnl implements Rtnl {
  private readonly sock: RtNetlinkSocket;
  private events: RtNetlinkSocket | undefined;
  private readonly listeners = new Set<(e: LinkEvent) => void>();
  private readonly addrListeners = new Set<(e: AddrEvent) => void>();

  constructor() {
    this.sock = createRtNetlink();
  }

  async addAddress(a: AddrSpec): Promise<'added' | 'exists'> {
    const target = `${a.address}/${a.prefixLen} dev#${a.ifindex}`;
    const attrs: rt.AddressAttrs = { local: bytes(a.address, a.family), address: bytes(a.address, a.family) };
    if (a.family === 'inet' && a.label !== undefined) attrs.label = a.label;
    if (a.family === 'inet' && a.broadcast !== undefined) attrs.broadcast = bytes(a.broadcast, 'inet');
    if (a.family === 'inet6') attrs.flags = { nodad: true };
    // preferred_lft 0, valid forever (0xffffffff): what keepalived gives a VMAC's link-local copy
    if (a.family === 'inet6' && a.deprecated) attrs.cacheInfo = { ifaPrefered: 0, ifaValid: 0xffffffff };
    const data: rt.Address = {
      family: fam(a.family),
      prefixlen: a.prefixLen,
      index: a.ifindex,
      scope: a.scope ?? 0,
    };
    if (a.family === 'inet6') data.flags = { nodad: true };
    try {
      // NLM_F_CREATE | NLM_F_EXCL (0x400 | 0x200) like `ip addr add`, plus NLM_F_REQUEST | NLM_F_ACK
      await this.sock.newAddress(data, attrs, { flags: CREATE_EXCL });
      return 'added';
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') return 'exists';
      throw netlinkError('addAddress', target, e);
    }
  }

  async delAddress(a: AddrSpec): Promise<'deleted' | 'absent'> {
    const target = `${a.address}/${a.prefixLen} dev#${a.ifindex}`;
    try {
      await this.sock.delAddress(
        { family: fam(a.family), prefixlen: a.prefixLen, index: a.ifindex },
        { local: bytes(a.address, a.family), address: bytes(a.address, a.family) },
      );
      return 'deleted';
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === 'EADDRNOTAVAIL' || errno === 'ENOENT' || errno === 'ENODEV') return 'absent';
      throw netlinkError('delAddress', target, e);
    }
  }

  async listAddresses(ifindex?: number): Promise<AddrEntry[]> {
    let msgs: rt.AddressMessage[];
    try {
      msgs = await this.sock.getAddresses();
    } catch (e) {
      throw netlinkError('listAddresses', String(ifindex ?? 'all'), e);
    }
    const out: AddrEntry[] = [];
    for (const m of msgs) {
      const e = addrEntry(m);
      if (e && (ifindex === undefined || e.ifindex === ifindex)) out.push(e);
    }
    return out;
  }

  async getLink(name: string): Promise<LinkInfo | undefined> {
    let msgs: rt.LinkMessage[];
    try {
      msgs = await this.sock.getLinks();
    } catch (e) {
      throw netlinkError('getLink', name, e);
    }
    const m = msgs.find((x) => x.attrs.ifname === name);
    return m ? linkInfo(m) : undefined;
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

  /** One socket subscribed to link and address changes (`ip monitor link address`). */
  #eventSocket(): void {
    if (this.events) return;
    const ev = createRtNetlink();
    for (const g of [rt.MulticastGroups.LINK, rt.MulticastGroups.IPV4_IFADDR, rt.MulticastGroups.IPV6_IFADDR])
      ev.addMembership(g);
    ev.socket.on('message', (msgs) => {
      for (const raw of msgs) this.#dispatch(raw.type, raw.data);
    });
    this.events = ev;
  }

  #dispatch(type: number, data: Buffer): void {
    try {
      if (type === RTM_NEWLINK || type === RTM_DELLINK) {
        const e: LinkEvent = { ...linkInfo(rt.parseLinkMessage(data)), deleted: type === RTM_DELLINK };
        for (const l of this.listeners) l(e);
      } else if (type === RTM_NEWADDR || type === RTM_DELADDR) {
        const addr = addrEntry(rt.parseAddressMessage(data));
        if (!addr) return;
        const e: AddrEvent = { type: type === RTM_NEWADDR ? 'new' : 'del', addr };
        for (const l of this.addrListeners) l(e);
      }
    } catch {
      // a message we cannot parse is not an event we can act on
    }
  }

  close(): void {
    this.sock.socket.close();
    this.events?.socket.close();
    this.events = undefined;
    this.listeners.clear();
    this.addrListeners.clear();
  }
}

/** Open the real rtnetlink port (in the caller's network namespace). */
export function openRtnl(): Rtnl {
  try {
    return new NetlinkRtnl();
  } catch (e) {
    throw new LvsdError('LVSD_E_NETLINK', `cannot open rtnetlink: ${(e as Error).message}`, { cause: e });
  }
}
