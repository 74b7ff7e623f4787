// SPDX-License-Identifier: Apache-2.0
/**
 * The ports of the VRRP engine (src/vrrp/engine.ts): everything it needs from the system, as
 * interfaces. The daemon (src/daemon/vrrp-main.ts) gives it the real ones: raw IP and AF_PACKET
 * sockets, rtnetlink, the notifier, the tracker runner, /proc facts. Tests give fakes and a
 * FakeClock, so the engine runs without root. Pure: interfaces only.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Model } from '../config/model.js';
import type { Rtnl } from '../netlink/rtnl.js';
import type { AdvertPort, FramePort, NotifyPort } from './instance.js';
import type { ProcessTrackerCounters } from './process-tracking.js';
import type { TrackerInput } from './tracking.js';

/** One received VRRP payload with what the kernel told about it. */
export interface ReceivedAdvert {
  readonly data: Uint8Array;
  readonly family: 'inet' | 'inet6';
  readonly src: string;
  /** '' when the kernel gave no destination. */
  readonly dst: string;
  /** TTL / hop limit; -1 when the kernel gave none. */
  readonly ttl: number;
}

export interface AdvertSocket extends AdvertPort {
  close(): void;
  /** Packets dropped below the engine (the addon): too large for its buffer, a bad IPv4 header. */
  nativeDrops?(): { readonly oversize: number; readonly badIpHeader: number };
}

export interface FrameSocket extends FramePort {
  close(): void;
}

/** Opens the engine's sockets: one advert socket per (interface, family), one frame socket per interface. */
export interface VrrpSockets {
  openAdverts(o: {
    readonly family: 'inet' | 'inet6';
    readonly ifname: string;
    readonly ifindex: number;
    /** The multicast group to join (224.0.0.18, ff02::12 or the configured one). */
    readonly group: string;
    /**
     * IPv4 `auth_type AH`: IP protocol 51 instead of 112, whole IP packets in both directions (the
     * AH ICV covers the IP header: src/vrrp/ipsec-ah.ts builds and checks it).
     */
    readonly ah?: boolean;
    readonly onPacket: (p: ReceivedAdvert) => void;
  }): AdvertSocket;
  openFrames(ifindex: number): FrameSocket;
  /** A send-only advert socket on an interface (a VMAC's: adverts leave with the virtual MAC). */
  openSender(o: {
    readonly family: 'inet' | 'inet6';
    readonly ifname: string;
    readonly ifindex: number;
  }): AdvertSocket;
}

export interface EngineNotifier extends NotifyPort {
  /** Counters for the stats dump. */
  readonly counters: object;
  /** Close the FIFOs; running notify scripts (notify_stop) get a moment to finish. */
  close(): Promise<void> | void;
}

/** What a tracker observation is delivered to (a running instance). */
export interface TrackerTarget {
  tracks(kind: TrackerInput['kind'], name: string): boolean;
  observe(input: TrackerInput): void;
}

/** Runs `vrrp_script`s and reads track files for a model; link states are fed in by the engine. */
export interface TrackerRunner {
  link(name: string, up: boolean): void;
  /** Stop: no more runs; scripts still running are killed (their whole process group). */
  stop(): Promise<void> | void;
  readonly counters: {
    scriptRuns: number;
    scriptTimeouts: number;
    scriptErrors: number;
    /** vrrp_track_process, when an instance tracks one. */
    readonly processes?: ProcessTrackerCounters | undefined;
  };
}

export type StartTrackers = (model: Model, targets: readonly TrackerTarget[]) => TrackerRunner;

/** Facts about the host read outside netlink. */
export interface HostFacts {
  /** IPv6 forwarding on the interface: the NA Router flag (keepalived reads the same sysctl). */
  ipv6Forwarding(ifname: string): boolean;
}

/** Kernel settings under /proc/sys/net (`sysctl -w net.KEY=V`): the VMAC's and its parent's. */
export interface Sysctls {
  /** `net/KEY` (e.g. `ipv4/conf/eth0/arp_ignore`) as a number; undefined when it cannot be read. */
  get(key: string): number | undefined;
  /** Write `net/KEY`; throws when it cannot. */
  set(key: string, value: number): void;
  /** The interfaces under net/ipv4/conf, without `all` and `default`. */
  ipv4Interfaces(): string[];
}

/** Runs an `nft -f -` script (one atomic transaction). */
export interface NftRunner {
  run(script: string): Promise<void>;
}

export interface VrrpEnginePorts {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Run `fn` on the next event-loop turn (setImmediate): notifications off the takeover path. */
  readonly defer?: (fn: () => void) => void;
  /** Timers to the microsecond (a timerfd), for Master_Down [none: `timers`]. */
  readonly preciseTimers?: Timers;
  readonly log: Logger;
  readonly rtnl: Rtnl;
  readonly sockets: VrrpSockets;
  readonly notifier: EngineNotifier;
  readonly trackers: StartTrackers;
  readonly host: HostFacts;
  readonly sysctl: Sysctls;
  readonly nft: NftRunner;
}
