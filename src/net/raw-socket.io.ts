// SPDX-License-Identifier: Apache-2.0
/**
 * Typed wrapper over the native addon (native/lvsd_net.c): raw IPv4/IPv6 sockets for one IP
 * protocol (VRRP 112, ICMPv6 58), raw ICMP echo-reply sockets (PING_CHECK), AF_PACKET frame send/receive, sd_notify, ifindex lookup and
 * mkfifo(3). Node has no raw, packet or AF_UNIX datagram sockets, no recvmsg ancillary data and no
 * mkfifo, and no npm package provides them all without blocking the thread pool (see
 * platform-notes.md), hence the addon. This is the only module that loads it. Errors become
 * LvsdError `LVSD_E_NATIVE` (addon missing) or `SocketError` (`LVSD_E_SOCKET`, with the errno name).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LvsdError } from '../core/errors.js';
import { addrBytesOf, addrText, type IpFamily } from '../core/addr.js';
import type { InlineExchange } from '../netlink/transport.js';

/** A socket failure with the kernel's errno name (`EPERM`, `ENODEV`, ...). */
export class SocketError extends LvsdError {
  override readonly name: string = 'SocketError';
  readonly errno: string;
  readonly op: string;
  constructor(op: string, errno: string, message: string, options?: ErrorOptions) {
    super('LVSD_E_SOCKET', `${op}: ${message}`, options);
    this.errno = errno;
    this.op = op;
  }
}

type NativeCb = (
  data: Buffer,
  src: Buffer | undefined,
  dst: Buffer | undefined,
  ifindex: number,
  ttl: number,
  tsMs: number,
) => void;
type NativeSock = object;
export interface NativeAddon {
  openIp(
    family: 4 | 6,
    protocol: number,
    ifname: string,
    ifindex: number,
    groups: Buffer[],
    cb: NativeCb | null,
    csumOffset: number,
    headerIncluded?: boolean,
  ): NativeSock;
  openIcmp(family: 4 | 6, bindIf: string | null, cb: NativeCb): NativeSock;
  sendIp(
    s: NativeSock,
    data: Uint8Array,
    dst: Buffer,
    src: Buffer | null,
    ifindex: number,
    ttl?: number,
  ): number;
  openPacket(ifindex: number, ethertype: number, cb: NativeCb | null): NativeSock;
  sendPacket(s: NativeSock, ifindex: number, frame: Uint8Array): number;
  close(s: NativeSock): void;
  sockDrops(s: NativeSock): [number, number];
  sdNotify(path: string, msg: Buffer): number;
  tcpEngineCreate(
    onBatch: (records: Buffer) => void,
    threads: number,
    maxInFlight: number,
    lateMs: number,
    nice: number,
    maxYoung: number,
  ): object;
  tcpEngineAdd(
    e: object,
    id: number,
    dst: Buffer,
    dstPort: number,
    src: Buffer | null,
    srcPort: number,
    timeoutMs: number,
    intervalMs: number,
    firstDelayMs: number,
    mark: number,
    ifname: string | null,
  ): void;
  tcpEngineResume(e: object, id: number, delayMs: number, quiet: boolean): void;
  tcpEngineRemove(e: object, id: number): void;
  tcpEngineStats(e: object, newWindow: boolean): Record<string, number>;
  tcpEngineStop(e: object): void;
  ifNameToIndex(name: string): number;
  /** native/process_control.c */
  flockExclusive(fd: number): boolean;
  setParentDeathSignal(signo: number): number;
  setRealtime(priority: number): void;
  setNormalScheduling(): void;
  setNice(n: number): void;
  setRtTimeLimit(softUs: number, hardUs: number): void;
  /** malloc_trim(0) with glibc: true when pages went back to the kernel; false with another libc. */
  mallocTrim(): boolean;
  mkfifo(path: string, mode: number): void;
  /**
   * A netlink socket of `protocol` joined to `groups` (src/netlink/socket.io.ts). Each datagram from
   * the kernel reaches `cb` as `data`; an error (ENOBUFS: the receive queue overran; EMSGSIZE: one
   * datagram was cut) as an empty `data` with the errno in the `ttl` slot. The socket goes on after
   * either. Buffer sizes past net.core.[rw]mem_max where root may.
   */
  openNetlink(
    protocol: number,
    groups: number[],
    rcvbufBytes: number,
    cb: NativeCb,
    sndbufBytes: number,
  ): NativeSock;
  /** One datagram to the kernel (port 0), now. */
  sendNetlink(s: NativeSock, datagram: Uint8Array): number;
  /** The port id the kernel gave the socket (nlmsg_pid of its requests). */
  netlinkPort(s: NativeSock): number;
  /**
   * Each request (netlink messages back to back, each a dump or asking for an ACK) sent alone and
   * answered before the next, in this call, never blocking (src/netlink/transport.ts `exchangeNow`).
   */
  exchangeNetlink(s: NativeSock, requests: Uint8Array, maxBytes?: number): InlineExchange;
  /** Whether the socket's poll handle alone keeps the event loop running (uv_ref / uv_unref). */
  keepLoopAlive(s: NativeSock, on: boolean): void;
  /** A timerfd (CLOCK_MONOTONIC) that calls `cb` at each expiry (src/net/precise-timers.io.ts). */
  openTimer(cb: () => void): NativeSock;
  /** Expire once `delayMs` from now (ns resolution); 0: at once; negative: disarm. */
  setTimer(t: NativeSock, delayMs: number): void;
  /** native/proc_events.c */
  procScan(cmdlineMax: number): Buffer;
  procEventsOpen(
    onBatch: (records: Buffer) => void,
    rcvbuf: number,
    force: boolean,
    cmdlineMax: number,
  ): object;
  procEventsClose(h: object): void;
  procEventsStats(h: object): [number, number, number, number];
  procEventsSetRcvBuf(h: object, bytes: number, force: boolean): void;
  /** native/script_spawn.c: posix_spawn a script in its own session; its exit through a pidfd. */
  spawnScript(
    file: string,
    argv: string[],
    env: string[],
    capture: boolean,
    onStarted: (errno: number, pid: number) => void,
    onExit: (code: number | null, signal: number | null) => void,
  ): { stdout: number; stderr: number };
  scriptSpawnSupported(): boolean;
}

/**
 * Every call lvsd makes into the addon, checked when it loads: an addon built from older sources (a
 * `build/Release` left from before `npm run build:native`) would otherwise fail at the first use of a
 * newer call, somewhere in a running worker (the LVS worker's first malloc trim, long after its
 * start). The record's type makes the list complete: a call added to `NativeAddon` and not here does
 * not compile. (Here, not in a module of its own: the supervisor's early fork loads this file.)
 */
const addonCalls: Record<keyof NativeAddon, true> = {
  openIp: true,
  openIcmp: true,
  sendIp: true,
  openPacket: true,
  sendPacket: true,
  close: true,
  sockDrops: true,
  sdNotify: true,
  tcpEngineCreate: true,
  tcpEngineAdd: true,
  tcpEngineResume: true,
  tcpEngineRemove: true,
  tcpEngineStats: true,
  tcpEngineStop: true,
  ifNameToIndex: true,
  flockExclusive: true,
  setParentDeathSignal: true,
  setRealtime: true,
  setNormalScheduling: true,
  setNice: true,
  setRtTimeLimit: true,
  mallocTrim: true,
  mkfifo: true,
  openNetlink: true,
  sendNetlink: true,
  netlinkPort: true,
  exchangeNetlink: true,
  keepLoopAlive: true,
  openTimer: true,
  setTimer: true,
  procScan: true,
  procEventsOpen: true,
  procEventsClose: true,
  procEventsStats: true,
  procEventsSetRcvBuf: true,
  spawnScript: true,
  scriptSpawnSupported: true,
};

/** The calls `addon` lacks (not functions), in the interface's order. */
export function missingAddonCalls(addon: object): string[] {
  return Object.keys(addonCalls).filter((k) => typeof (addon as Record<string, unknown>)[k] !== 'function');
}

let addon: NativeAddon | undefined;

/** Find build/Release/lvsd_net.node above this file (works from src/ via tsx and from dist/). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'build', 'Release', 'lvsd_net.node');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new LvsdError(
    'LVSD_E_NATIVE',
    'native addon build/Release/lvsd_net.node not found (run `npm run build:native`)',
  );
}

/** Load the addon once. Throws LVSD_E_NATIVE when it is missing, does not load, or lacks a call. */
export function native(): NativeAddon {
  if (addon) return addon;
  let loaded: NativeAddon;
  const path = addonPath();
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new LvsdError('LVSD_E_NATIVE', `cannot load the native addon: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const missing = missingAddonCalls(loaded);
  if (missing.length > 0)
    throw new LvsdError(
      'LVSD_E_NATIVE',
      `the native addon ${path} is older than this lvsd (it lacks ${missing.join(', ')}): rebuild it with \`npm run build:native\``,
    );
  return (addon = loaded);
}

/** Run a native call, turning its errno-coded Error into a SocketError. */
function call<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err instanceof LvsdError) throw err;
    throw new SocketError(op, err.code ?? 'EUNKNOWN', err.message, { cause: e });
  }
}

/** IP text → network-order bytes for the addon; throws SocketError EINVAL on a bad or wrong-family address. */
export function addrBuffer(addr: string, family: IpFamily): Buffer {
  try {
    const b = addrBytesOf(addr, family);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new SocketError('address', 'EINVAL', (e as Error).message, { cause: e });
  }
}

export interface RxPacket {
  /** The IP payload (the IPv4 header is stripped by the addon, unless `headerIncluded`). */
  readonly data: Buffer;
  readonly family: IpFamily;
  readonly src: string;
  /** Destination address (from IP_PKTINFO / IPV6_PKTINFO); '' if the kernel gave none. */
  readonly dst: string;
  readonly ifindex: number;
  /** Received TTL / hop limit; -1 if the kernel gave none. */
  readonly ttl: number;
}

export interface IpSocketOptions {
  readonly family: IpFamily;
  /** IP protocol: 112 for VRRP, 58 for ICMPv6. */
  readonly protocol: number;
  readonly ifname: string;
  readonly ifindex: number;
  /** Multicast groups to join on ifindex (224.0.0.18, ff02::12, ...). */
  readonly groups?: readonly string[];
  /** Receive callback; omit for a send-only socket. */
  readonly onPacket?: (p: RxPacket) => void;
  /** IPv6 only: IPV6_CHECKSUM offset (6 for VRRPv3: the kernel computes and verifies it); -1 = off. */
  readonly checksumOffset?: number;
  /**
   * IPv4 only: send whole IP packets (IP_HDRINCL) and receive them with their IP header (VRRP over
   * IPsec AH, whose ICV covers the IP header: keepalived builds the header itself too).
   */
  readonly headerIncluded?: boolean;
}

/**
 * A raw IP socket bound to one interface: TTL/hop limit 255, multicast loop off, TOS 0xc0 (IPv4).
 * Equivalent of keepalived's `open_vrrp_send_socket` + `open_vrrp_read_socket` in one.
 */
export class IpRawSocket {
  private sock: NativeSock | undefined;
  private readonly addrs = new Map<string, Buffer>();
  readonly family: IpFamily;
  readonly ifindex: number;

  private constructor(sock: NativeSock, family: IpFamily, ifindex: number) {
    this.sock = sock;
    this.family = family;
    this.ifindex = ifindex;
  }

  static open(o: IpSocketOptions): IpRawSocket {
    const n = native();
    const groups = (o.groups ?? []).map((g) => addrBuffer(g, o.family));
    const family = o.family;
    const onPacket = o.onPacket;
    const cb: NativeCb | null = onPacket
      ? (data, src, dst, ifindex, ttl) => {
          if (!src) return;
          onPacket({ data, family, src: addrText(src), dst: dst ? addrText(dst) : '', ifindex, ttl });
        }
      : null;
    const sock = call('open', () =>
      n.openIp(
        family === 'inet' ? 4 : 6,
        o.protocol,
        o.ifname,
        o.ifindex,
        groups,
        cb,
        o.checksumOffset ?? -1,
        o.headerIncluded ?? false,
      ),
    );
    return new IpRawSocket(sock, family, o.ifindex);
  }

  /**
   * Send one IP payload to `dst` (multicast or unicast) from `src` (or the kernel's choice), with
   * TTL / hop limit `ttl` for this packet (`unicast_ttl`; the socket's 255 when absent).
   */
  send(data: Uint8Array, dst: string, src?: string, ttl?: number): number {
    const s = this.sock;
    if (!s) throw new SocketError('send', 'EBADF', 'socket is closed');
    const d = this.addr(dst);
    const sb = src === undefined ? null : this.addr(src);
    return call('send', () => native().sendIp(s, data, d, sb, this.ifindex, ttl ?? -1));
  }

  /**
   * An address as the addon takes it, kept: an instance sends to the same few destinations from
   * the same source every advert interval (bounded: a socket that sees many is cleared).
   */
  private addr(text: string): Buffer {
    let b = this.addrs.get(text);
    if (!b) {
      if (this.addrs.size >= 256) this.addrs.clear();
      b = addrBuffer(text, this.family);
      this.addrs.set(text, b);
    }
    return b;
  }

  /** Packets the addon dropped before delivering them (larger than its buffer; a bad IPv4 header). */
  nativeDrops(): { oversize: number; badIpHeader: number } {
    const [oversize, badIpHeader] = this.sock ? native().sockDrops(this.sock) : [0, 0];
    return { oversize, badIpHeader };
  }

  close(): void {
    const s = this.sock;
    this.sock = undefined;
    if (s) native().close(s);
  }
}

/**
 * A raw ICMP (IPv4) or ICMPv6 socket that receives only echo replies, routed as any socket (bound
 * to a device only with `bindIf`): PING_CHECK's. The caller builds the echo requests (with the
 * ICMP checksum for IPv4; the kernel fills the ICMPv6 one).
 */
export class IcmpSocket {
  private sock: NativeSock | undefined;
  readonly family: IpFamily;

  private constructor(sock: NativeSock, family: IpFamily) {
    this.sock = sock;
    this.family = family;
  }

  static open(o: { family: IpFamily; bindIf?: string; onPacket: (p: RxPacket) => void }): IcmpSocket {
    const family = o.family;
    const cb: NativeCb = (data, src, dst, ifindex, ttl) => {
      if (src) o.onPacket({ data, family, src: addrText(src), dst: dst ? addrText(dst) : '', ifindex, ttl });
    };
    const sock = call('open ICMP', () => native().openIcmp(family === 'inet' ? 4 : 6, o.bindIf ?? null, cb));
    return new IcmpSocket(sock, family);
  }

  /** Send one ICMP message to `dst` from `src` (or the kernel's choice of source). */
  send(data: Uint8Array, dst: string, src?: string): number {
    const s = this.sock;
    if (!s) throw new SocketError('send', 'EBADF', 'socket is closed');
    const d = addrBuffer(dst, this.family);
    const sb = src === undefined ? null : addrBuffer(src, this.family);
    return call('send', () => native().sendIp(s, data, d, sb, 0));
  }

  close(): void {
    const s = this.sock;
    this.sock = undefined;
    if (s) native().close(s);
  }
}

export interface RxFrame {
  readonly frame: Buffer;
  readonly ifindex: number;
  /** PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4. */
  readonly pktType: number;
  /** Kernel receive time, CLOCK_REALTIME in ms (SO_TIMESTAMPNS). */
  readonly tsMs: number;
}

export const ETH_P_ALL = 0x0003;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

/** An AF_PACKET socket on one interface: sends full Ethernet frames; optionally receives them. */
export class PacketSocket {
  private sock: NativeSock | undefined;
  readonly ifindex: number;

  private constructor(sock: NativeSock, ifindex: number) {
    this.sock = sock;
    this.ifindex = ifindex;
  }

  static open(o: { ifindex: number; ethertype?: number; onFrame?: (f: RxFrame) => void }): PacketSocket {
    const n = native();
    const onFrame = o.onFrame;
    const cb: NativeCb | null = onFrame
      ? (data, _s, _d, ifindex, pktType, tsMs) => onFrame({ frame: data, ifindex, pktType, tsMs })
      : null;
    const sock = call('open', () => n.openPacket(o.ifindex, o.ethertype ?? ETH_P_ALL, cb));
    return new PacketSocket(sock, o.ifindex);
  }

  /** Send one frame (destination MAC and ethertype are read from its Ethernet header). */
  send(frame: Uint8Array): number {
    const s = this.sock;
    if (!s) throw new SocketError('send', 'EBADF', 'socket is closed');
    return call('send', () => native().sendPacket(s, this.ifindex, frame));
  }

  close(): void {
    const s = this.sock;
    this.sock = undefined;
    if (s) native().close(s);
  }
}

/** One datagram to an AF_UNIX socket path ('@' prefix = abstract), as sd_notify does. */
export function sendUnixDatagram(path: string, message: string): void {
  call('sd_notify', () => native().sdNotify(path, Buffer.from(message, 'utf8')));
}

/** if_nametoindex(3); 0 when there is no such interface. */
export function ifNameToIndex(name: string): number {
  return call('if_nametoindex', () => native().ifNameToIndex(name));
}

/**
 * mkfifo(3): create a FIFO at `path` with `mode` less the umask (like `mkfifo PATH`). Throws
 * SocketError with the errno name (`EEXIST`, `ENOENT`, ...).
 */
export function makeFifo(path: string, mode: number): void {
  call('mkfifo', () => native().mkfifo(path, mode));
}
