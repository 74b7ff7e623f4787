// SPDX-License-Identifier: Apache-2.0
/**
 * The published API of the pure VRRP core: the machine's config, events, actions and state,
 * the decoded advert, drop reasons and per-instance stats. Pure: types and constants only.
 * Shells (src/vrrp/instance.ts) feed events into `step()` from machine.ts and carry out the actions.
 * See /work/main/.coord/vrrp-core.md for a usage example.
 */

export type VrrpVersion = 2 | 3;
export type VrrpFamily = 'inet' | 'inet6';

/** keepalived's state names (RFC 9568 calls master "Active"). `stop` = shut down, nothing runs. */
export type VrrpStateName = 'init' | 'backup' | 'master' | 'fault' | 'stop';

/** keepalived's GARP/NA knobs, per instance, already resolved against the globals. */
export interface GarpConfig {
  /** `garp_master_repeat` [5]: frames per VIP sent at once on becoming master. */
  readonly masterRepeat: number;
  /** `garp_master_delay` [5 s]: second burst this long after becoming master; 0 = none. */
  readonly masterDelayMs: number;
  /** `garp_master_refresh` [0 = off]: periodic refresh while master. */
  readonly masterRefreshMs: number;
  /** `garp_master_refresh_repeat` [1]. */
  readonly masterRefreshRepeat: number;
  /** `garp_lower_prio_repeat` [= masterRepeat]: burst when a lower-priority advert is seen as master. */
  readonly lowerPrioRepeat: number;
  /** `garp_lower_prio_delay` [= masterDelayMs]: second lower-priority burst; 0 = none. */
  readonly lowerPrioDelayMs: number;
}

/** The machine's own config: plain data. Build it with `machineConfigFromModel` or by hand in tests. */
export interface MachineConfig {
  /** vrrp_instance name (for notify lines and logs). */
  readonly name: string;
  readonly vrid: number;
  readonly version: VrrpVersion;
  readonly family: VrrpFamily;
  /** Configured (base) priority 1..255; 255 = address owner. */
  readonly priority: number;
  /** `advert_int` in ms (v2: whole seconds; v3: multiple of 10 ms, 10..40950). */
  readonly advertIntMs: number;
  /** false = `nopreempt`. */
  readonly preempt: boolean;
  /** `preempt_delay` in ms [0]. */
  readonly preemptDelayMs: number;
  /** `accept` / `no_accept` (carried for the shell; the machine does not use it). */
  readonly accept: boolean;
  /** `lower_prio_no_advert`: as master, ignore lower-priority adverts (pre-RFC 9568). */
  readonly lowerPrioNoAdvert: boolean;
  /** `higher_prio_send_advert`: as master, send one more advert before yielding to a higher priority. */
  readonly higherPrioSendAdvert: boolean;
  /** `owner_ignore_adverts`: an owner (255) drops every advert (strict RFC). */
  readonly ownerIgnoreAdverts: boolean;
  /** `down_timer_adverts` [3]. */
  readonly downTimerAdverts: number;
  /** `state MASTER|BACKUP`; a non-owner MASTER still waits Master_Down_Interval (keepalived). */
  readonly initialState: 'master' | 'backup';
  /** Our address used as the advert source and for the equal-priority tie-break (text form). */
  readonly primaryAddress: string;
  /** `unicast_peer` addresses (text form); empty = multicast. */
  readonly unicastPeers: readonly string[];
  /** `check_unicast_src`: drop unicast adverts whose source is not a listed peer. */
  readonly checkUnicastSrc: boolean;
  /** VIPs carried in adverts (text form, no prefix), in config order. */
  readonly vips: readonly string[];
  /** `skip_check_adv_addr`: do not compare the advert's address list with ours. */
  readonly skipCheckAdvAddr: boolean;
  /**
   * v2 `authentication { auth_type PASS|AH; auth_pass ... }`; `none` otherwise. AH wraps the advert
   * in an IPsec AH header (ipsec-ah.ts); the VRRP message then carries auth type 2 and no password.
   */
  readonly auth:
    | { readonly type: 'none' }
    | { readonly type: 'pass'; readonly pass: string }
    | { readonly type: 'ah'; readonly pass: string };
  /** `v3_checksum_as_v2`: v3 IPv4 checksum without the pseudo-header. */
  readonly v3ChecksumAsV2: boolean;
  /** `vrrp_startup_delay` in ms [0]: stay in init this long after `start`. */
  readonly startupDelayMs: number;
  readonly garp: GarpConfig;
  /**
   * Member of a vrrp_sync_group [false]: when Master_Down_Timer fires the machine only sets
   * `wantMaster` and waits for the group (sync-group.ts) to send `{ type: 'sync', to: 'master' }`
   * once every member wants master (keepalived vrrp_sync_can_goto_master).
   */
  readonly inSyncGroup?: boolean;
  /** `unicast_peer { IP min_ttl N max_ttl N }` limits, keyed by canonical peer address (with check_unicast_src). */
  readonly unicastPeerTtl?: Readonly<Record<string, { readonly min?: number; readonly max?: number }>>;
}

/** An advert as the codec decodes it (no instance-specific checks yet). */
export interface Advert {
  readonly version: VrrpVersion;
  /** Always 1 (ADVERTISEMENT) once decoded. */
  readonly type: 1;
  readonly vrid: number;
  readonly priority: number;
  /** v3: Max Adver Int in centiseconds (12 bits); v2: Adver Int in seconds. */
  readonly adverInt: number;
  /** Addresses in the advert, text form (IPv4 dotted quad, IPv6 RFC 5952). */
  readonly addresses: readonly string[];
  /** v2 only: auth type (0 none, 1 PASS, 2 AH) and the 8 raw auth bytes. */
  readonly authType: number;
  readonly authData: Uint8Array;
  /** The checksum field as received. */
  readonly checksum: number;
  /** Which checksum variant matched on decode. */
  readonly checksumMode: ChecksumMode;
}

/** `plain`: VRRP message only (v2, and v3 `v3_checksum_as_v2`); `pseudo`: with IP pseudo-header. */
export type ChecksumMode = 'plain' | 'pseudo';

/** Where a received packet came from, as the socket shell reports it. */
export interface RxMeta {
  readonly family: VrrpFamily;
  /** IP source and destination (text form). */
  readonly src: string;
  readonly dst: string;
  /** Received TTL / hop limit. */
  readonly ttl: number;
}

/** A received advert after decode and validation against the instance: what `step()` is given. */
export interface ReceivedAdvert {
  readonly src: string;
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  /** The sender's advert interval in ms (v3: Max Adver Int × 10; v2: seconds × 1000). */
  readonly maxAdverIntMs: number;
}

/** Why a received packet was dropped. Closed: metrics and tests share it. */
export type DropReason =
  | 'truncated' // shorter than the 8-byte VRRP header (or the IP header)
  | 'badLength' // bytes after the advertised addresses (receiveAdvert), or an IP length that lies
  | 'badVersion'
  | 'badType'
  | 'badCount' // the count announces more addresses (and auth data) than the packet holds
  | 'badChecksum'
  | 'badTtl' // TTL / hop limit != 255 on multicast
  | 'badVrid' // not our VRID
  | 'versionMismatch' // v2 packet for a v3 instance or the reverse
  | 'badAuthType' // auth type unknown or differs from ours
  | 'authMismatch' // PASS differs, or an AH ICV or SPI that does not check out
  | 'authReplay' // AH sequence number not above the last one (anti-replay)
  | 'intervalMismatch' // v2 Adver Int differs from ours
  | 'vipMismatch' // address list differs from ours: counted, but the advert is accepted (keepalived)
  | 'ownAdvert' // our own packet looped back
  | 'unicastSrcNotPeer' // check_unicast_src and the source is not a peer
  | 'ownerIgnore' // owner_ignore_adverts
  | 'badInterval' // v3 Max Adver Int of 0
  | 'castMismatch' // multicast packet on a unicast instance or the reverse (keepalived)
  | 'oversize' // larger than the receive buffer (9,216 bytes: a fragmented or jumbo packet), dropped in C
  | 'badIpHeader'; // an IPv4 header too short or not version 4, dropped in C

export const DROP_REASONS: readonly DropReason[] = [
  'truncated',
  'badLength',
  'badVersion',
  'badType',
  'badCount',
  'badChecksum',
  'badTtl',
  'badVrid',
  'versionMismatch',
  'badAuthType',
  'authMismatch',
  'authReplay',
  'intervalMismatch',
  'vipMismatch',
  'ownAdvert',
  'unicastSrcNotPeer',
  'ownerIgnore',
  'badInterval',
  'castMismatch',
  'oversize',
  'badIpHeader',
];

/** The machine's timers; each is one absolute deadline (ms, monotonic) or absent. */
export type TimerName =
  | 'masterDown' // Master_Down_Timer (also the startup wait)
  | 'advert' // Adver_Timer (master sends)
  | 'garpDelayed' // second GARP burst after becoming master
  | 'garpRefresh' // garp_master_refresh
  | 'garpLowerPrioDelayed' // second lower-priority GARP burst
  | 'startupDelay' // vrrp_startup_delay
  | 'rogue'; // duplicate address owner: wait for the other owner to back off (keepalived)

/** Why the machine changed state (notify reason; log text). */
export type TransitionReason =
  | 'start'
  | 'ownerStart'
  | 'masterDown'
  | 'priorityZero'
  | 'higherPriority'
  | 'preempted'
  | 'fault'
  | 'faultCleared'
  | 'shutdown'
  | 'syncGroup'
  | 'adopted';

/** Counter names in keepalived's stats (`vrrp.h` vrrp_stats), plus drops by reason. */
export type StatCounter =
  | 'advertRcvd'
  | 'advertSent'
  | 'becomeMaster'
  | 'releaseMaster'
  | 'priZeroRcvd'
  | 'priZeroSent'
  | 'lowerPrioRcvd'
  /** Answers to lower-priority or priority-0 adverts not sent: that source had one this interval. */
  | 'answersSuppressed';

export type GarpPhase = 'master' | 'masterDelayed' | 'refresh' | 'lowerPrio' | 'lowerPrioDelayed';

/** What the state machine asks the shell to do, in order. */
export type MachineAction =
  /** Send one advert with this priority (0 = release) and our configured VIPs/interval. */
  | { readonly type: 'sendAdvert'; readonly priority: number }
  /** `ip addr add` every VIP (and routes/rules) of the instance. */
  | { readonly type: 'addVips' }
  /** `ip addr del` every VIP lvsd added for the instance. */
  | { readonly type: 'removeVips' }
  /** Send `repeat` gratuitous ARPs / unsolicited NAs for every VIP. */
  | { readonly type: 'sendGarp'; readonly phase: GarpPhase; readonly repeat: number }
  /** (Re)arm a timer at an absolute deadline (ms on the machine's clock). */
  | { readonly type: 'armTimer'; readonly which: TimerName; readonly at: number }
  | { readonly type: 'cancelTimer'; readonly which: TimerName }
  /** A state change: run notify scripts / FIFO line. */
  | {
      readonly type: 'notify';
      readonly from: VrrpStateName;
      readonly to: VrrpStateName;
      readonly reason: TransitionReason;
      readonly priority: number;
    }
  /** As master, a lower-priority advert was seen (`notify_master_rx_lower_pri`). */
  | { readonly type: 'notifyMasterRxLowerPri'; readonly src: string; readonly priority: number }
  /** Effective priority changed (`notify_priority_changes`). */
  | { readonly type: 'priorityChanged'; readonly from: number; readonly to: number }
  /** Bump a stats counter. */
  | { readonly type: 'count'; readonly counter: StatCounter };

/** What is fed into the machine. Adverts are already decoded and validated (packet.ts). */
export type MachineEvent =
  /**
   * Leave init. `adopt`: the previous lvsd process was MASTER and handed its VIPs over in place
   * (hitless restart): go MASTER at once and advertise, before the peer's Master_Down_Interval ends.
   */
  | { readonly type: 'start'; readonly adopt?: boolean }
  /**
   * A failover drill (`lvsd drill failover`): with `hold`, the instance lets a peer take over — a
   * MASTER sends one priority-0 advert and, while the drill lasts, counts as priority 1 (it keeps
   * its VIPs and adverts until the peer's advert makes it BACKUP, so a drill without a live peer
   * costs no outage, and a BACKUP at priority 1 still takes over if the peer dies). Without `hold`,
   * its own priority again (it preempts back if it may).
   */
  | { readonly type: 'drill'; readonly hold: boolean }
  | { readonly type: 'advert'; readonly advert: ReceivedAdvert }
  | { readonly type: 'timer'; readonly which: TimerName }
  /** The instance's own interface link state. */
  | { readonly type: 'link'; readonly up: boolean }
  /**
   * Aggregate tracker result (tracking.ts `trackerOutput`): priority delta (sum of weights) and
   * whether any weight-0 tracker (or track_file below -253) demands FAULT.
   */
  | { readonly type: 'tracking'; readonly delta: number; readonly fault: boolean }
  /** The sync group (sync-group.ts) tells a member to follow the group. */
  | { readonly type: 'sync'; readonly to: 'master' | 'backup' | 'fault' | 'faultCleared' }
  /** Graceful stop: master sends priority 0 and releases VIPs; → stop. */
  | { readonly type: 'shutdown' };

/** The machine's state: plain immutable data. */
export interface MachineState {
  /** The config the machine was created with (so `step` needs only state, event, now). */
  readonly config: MachineConfig;
  readonly name: VrrpStateName;
  /** Base priority with tracking applied and clamped (owner stays 255). */
  readonly effectivePriority: number;
  /** Last tracker delta and fault demand. */
  readonly trackDelta: number;
  readonly trackFault: boolean;
  readonly linkUp: boolean;
  /** Held in fault/backup by the sync group. */
  readonly syncFault: boolean;
  /** v3: Master_Adver_Interval learned from the current master (ms); starts at advertIntMs. */
  readonly masterAdverIntMs: number;
  /** Absolute deadlines of armed timers. */
  readonly timers: Readonly<Partial<Record<TimerName, number>>>;
  /** The source of the master we follow (backup), if known. */
  readonly masterSrc: string | undefined;
  readonly masterPriority: number | undefined;
  /**
   * `preempt_delay`: until this time (ms) lower-priority adverts are still followed as if higher
   * (keepalived's preempt_time). Set at the first lower-priority advert; cleared by a higher one.
   */
  readonly preemptAt: number | undefined;
  /** Sync-group member whose Master_Down_Timer fired: waiting for the group to go master. */
  readonly wantMaster: boolean;
  /**
   * Duplicate address owner handling (keepalived rogue_counter): own adverts still to send before
   * the `rogue` timer starts, and the other owner's advert interval (ms).
   */
  readonly rogueCounter: number;
  readonly rogueAdverIntMs: number;
  /**
   * When a MASTER last answered each source's lower-priority or priority-0 advert (ms): one answer
   * per advert interval per source, so a flood of such adverts is not amplified. Bounded: entries
   * older than an interval are dropped, and at most ANSWER_SOURCES sources are answered per interval.
   */
  readonly answeredAt: Readonly<Record<string, number>>;
  /** A failover drill holds the instance at priority 1 (see the `drill` event). */
  readonly drillHold: boolean;
}

/** The reducer's result. */
export interface StepResult {
  readonly state: MachineState;
  readonly actions: readonly MachineAction[];
}

/** Per-instance counters like keepalived's SIGUSR2 stats. Mutable: the shell owns it. */
export interface VrrpStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  priZeroRcvd: number;
  priZeroSent: number;
  lowerPrioRcvd: number;
  answersSuppressed: number;
  drops: Record<DropReason, number>;
}
