// SPDX-License-Identifier: Apache-2.0
/**
 * The typed, normalized configuration Model that `loadConfig` produces from keepalived.conf syntax,
 * and the Diagnostic type of the config checker. Pure: types and small helpers only.
 * Plain data (JSON-serialisable, no classes): keepalived's defaults are applied, VS -> RS -> checker
 * inheritance is resolved, times are milliseconds, addresses are canonical ipaddr.js text. Every node
 * that came from the file carries `loc` so start-time errors can be reported as `file:line:col`.
 */
import type { ForwardMethod, IpvsProtocol, SchedulerFlags, TunnelInfo } from '../ipvs/model.js';
import type { IpFamily } from '../core/addr.js';
import type { ListenAddress } from '../core/listen.js';

/** Where a node of the Model came from (1-based line and column). */
export interface SourceLoc {
  file: string;
  line: number;
  col: number;
}

export type Severity = 'error' | 'warning';

/** One finding of the checker. Data, not an exception; printed by `formatDiagnostic`. */
export interface Diagnostic {
  severity: Severity;
  code: 'LVSD_E_CONFIG_SYNTAX' | 'LVSD_E_CONFIG_INVALID' | 'LVSD_E_CONFIG_IO' | 'LVSD_E_CONFIG_LIMIT';
  message: string;
  file: string;
  line: number;
  col: number;
  /** The keyword the finding is about, when there is one. */
  keyword?: string;
}

/** A command to run (notify scripts, vrrp_script, MISC_CHECK, quorum_up/down). */
export interface ScriptSpec {
  /** The command line as written (after parameter substitution). */
  command: string;
  /** `command` split into words as keepalived does (quotes removed). argv[0] is the program. */
  argv: string[];
  /** Run as this user (`... username [groupname]` or `user` keyword); absent = global script_user. */
  user?: string;
  group?: string;
  loc: SourceLoc;
}

/** GARP / unsolicited-NA cadence, resolved from globals and per-instance overrides. */
export interface GarpSettings {
  /** `garp_master_repeat` [5]: packets sent at once after becoming MASTER. */
  masterRepeat: number;
  /** `garp_master_delay` [5 s]: second burst after this delay; 0 = no second burst. */
  masterDelayMs: number;
  /** `garp_master_refresh` [0 = off]: periodic refresh while MASTER. */
  masterRefreshMs: number;
  /** `garp_master_refresh_repeat` [1]. */
  masterRefreshRepeat: number;
  /** `garp_lower_prio_repeat` [= masterRepeat]: burst when a lower-priority advert is seen as MASTER. */
  lowerPrioRepeat: number;
  /** `garp_lower_prio_delay` [= masterDelayMs]. */
  lowerPrioDelayMs: number;
  /** `garp_interval` [0]: pacing between gratuitous ARPs on one interface. */
  garpIntervalMs: number;
  /** `gna_interval` [0]: pacing between unsolicited NAs on one interface. */
  gnaIntervalMs: number;
}

export interface FifoSpec {
  path: string;
  /** `*_notify_fifo_script`: a script that lvsd starts to read the FIFO. */
  script?: ScriptSpec;
  loc: SourceLoc;
}

export interface LvsSyncDaemon {
  interface: string;
  /** `inst VI_1`: the VRRP instance whose state selects master/backup. */
  instance?: string;
  syncId?: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  group?: string;
  loc: SourceLoc;
}

/** E-mail alerts: `notification_email`, `notification_email_from`, `smtp_*` of global_defs. */
export interface SmtpSettings {
  /** `notification_email { ADDR ... }`: the recipients; none = no mail is sent. */
  to: string[];
  /** `notification_email_from` [lvsd's user name @ the host name, filled in at run time]. */
  from?: string;
  /** `smtp_server HOST [PORT]` (port [25]); absent = no mail is sent. */
  server?: { host: string; port: number; loc: SourceLoc };
  /** `smtp_helo_name` [the host name, at run time]. */
  heloName?: string;
  /** `smtp_connect_timeout` [30 s]: connecting and each reply of the server. */
  connectTimeoutMs: number;
  /** `no_email_faults`: no mail when a VRRP instance or group enters FAULT. */
  noEmailFaults: boolean;
  /** `no_checker_emails`: no mail for a checker change that leaves its real server's state as it was. */
  noCheckerEmails: boolean;
}

/**
 * How a worker process is scheduled (keepalived's `{vrrp,checker}_*` process keywords; not
 * `*_no_swap`, refused: src/config/keywords/global.ts). Each field
 * is absent when not written; `lvsd run --realtime` fills the VRRP worker's gaps
 * (src/daemon/process-schedule.ts).
 */
export interface ProcessSettings {
  /** `*_priority -20..19`: the nice value. */
  nice?: number;
  /** `*_rt_priority 1..99`: SCHED_RR at this priority. */
  rtPriority?: number;
  /**
   * `*_rlimit_rttime MICROSECONDS` (>= 2): with realtime scheduling, the CPU time the process may run
   * without blocking: SIGXCPU (logged) at half, killed at the whole (RLIMIT_RTTIME).
   */
  rlimitRttimeUs?: number;
}

export interface GlobalDefs {
  /** `router_id` [the config id, i.e. short hostname]. */
  routerId: string;
  /** `vrrp_version` [2]. */
  vrrpVersion: 2 | 3;
  /** `vrrp_mcast_group4` [224.0.0.18]. */
  vrrpMcastGroup4: string;
  /** `vrrp_mcast_group6` [ff02::12]. */
  vrrpMcastGroup6: string;
  /** Global GARP defaults (`vrrp_garp_*`, `vrrp_gna_interval`); instances carry resolved copies. */
  garp: GarpSettings;
  /** `script_user USER [GROUP]`. */
  scriptUser?: { user: string; group?: string };
  enableScriptSecurity: boolean;
  notifyFifo?: FifoSpec;
  vrrpNotifyFifo?: FifoSpec;
  lvsNotifyFifo?: FifoSpec;
  lvsSyncDaemon?: LvsSyncDaemon;
  /** `lvs_timeouts tcp N tcpfin N udp N` (milliseconds; kernel takes seconds). */
  lvsTimeouts?: { tcpMs?: number; tcpFinMs?: number; udpMs?: number };
  /** `lvs_flush`: flush the whole IPVS table at start. */
  lvsFlush: boolean;
  /** `lvs_flush_on_stop [VS]`: none, the whole table, or only lvsd's virtual servers. */
  lvsFlushOnStop: 'none' | 'all' | 'vs';
  vrrpStrict: boolean;
  vrrpCheckUnicastSrc: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpLowerPrioNoAdvert: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  /** `vrrp_startup_delay` [0]. */
  vrrpStartupDelayMs: number;
  /** `vrrp_down_timer_adverts` 1..100 [3]: adverts missed before MASTER is declared down. */
  vrrpDownTimerAdverts: number;
  /** `vrrp_owner_ignore_adverts` [false]. */
  vrrpOwnerIgnoreAdverts: boolean;
  /** `vrrp_notify_priority_changes` [false]. */
  vrrpNotifyPriorityChanges: boolean;
  /** E-mail alerts; absent when global_defs sets none of their keywords. */
  smtp?: SmtpSettings;
  /**
   * `process_monitor_rcv_bufs BYTES` [the kernel's default; 0 = that] and
   * `process_monitor_rcv_bufs_force` (SO_RCVBUFFORCE: past net.core.rmem_max): the receive buffer
   * of the process-event socket, doubled each time it overflows (as keepalived).
   */
  processMonitorRcvBufs?: { bytes?: number; force: boolean };
  /** `vrrp_priority`, `vrrp_rt_priority`, `vrrp_rlimit_rttime`: the VRRP worker's. */
  vrrpProcess?: ProcessSettings;
  /** `checker_priority`, `checker_rt_priority`, `checker_rlimit_rttime`: the LVS worker's. */
  checkerProcess?: ProcessSettings;
  /** `lvsd_metrics ADDR:PORT` (an lvsd extension): the Prometheus endpoint; `lvsd run --metrics` wins. */
  lvsdMetrics?: ListenAddress;
  /** `lvsd_bgp_*` (an lvsd extension): VIPs announced over BGP through a kernel routing table. */
  lvsdBgp?: LvsdBgp;
  /** `lvsd_sloppy_tcp` / `lvsd_sloppy_sctp` (an lvsd extension): IPVS accepts mid-flow packets. */
  lvsdSloppy?: { tcp: boolean; sctp: boolean };
  loc?: SourceLoc;
  /** `nftables [TABLE]`, `nftables_priority`, `nftables_counters` (absent: keepalived's defaults). */
  vrrpNftables?: VrrpNftables;
  /** `garp_group` blocks: GARP / NA pacing shared by interfaces. */
  garpGroups?: GarpGroup[];
}

/**
 * Announcing VIPs over BGP (an lvsd extension, docs/config.md): lvsd keeps one route per announced
 * VIP in a kernel routing table it owns; the operator's BGP speaker (BIRD) exports that table.
 */
export interface LvsdBgp {
  /** `lvsd_bgp_table N`: the kernel routing table lvsd owns (1..2^32-1 but 253, 254, 255). */
  table: number;
  /** `lvsd_bgp_withdraw_grace SECONDS` [5 s]: at shutdown, withdraw, wait this long, then stop serving. */
  withdrawGraceMs: number;
  /** `lvsd_bgp_bird_socket PATH`: BIRD's control socket, read for the BGP sessions' state (status only). */
  birdSocket?: string;
}

export interface VrrpScript {
  name: string;
  script: ScriptSpec;
  /** `interval` [1 s]. */
  intervalMs: number;
  /** `timeout` [= interval]. */
  timeoutMs: number;
  /** `weight -253..253` [0]; 0 = FAULT after `fall` failures. */
  weight: number;
  /** `weight N reverse`. */
  weightReverse: boolean;
  /** `rise` [1], `fall` [1]. */
  rise: number;
  fall: number;
  /** `init_fail`: start in the failed state. */
  initFail: boolean;
  loc: SourceLoc;
}

export interface TrackFile {
  name: string;
  file: string;
  /** `weight` [1]: value read x weight is added to priority. */
  weight: number;
  weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`: create the file at start. */
  initFile?: { value: number; overwrite: boolean };
  loc: SourceLoc;
}

/** `vrrp_track_process NAME { ... }`: how many processes of a kind run (process-tracking.ts). */
export interface TrackProcess {
  name: string;
  /** `process NAME [PARAM ...]`: the process name (comm), or argv[0] with `fullCommand`. */
  process: string;
  /** The parameters after the name; checked only with `paramMatch`. */
  params: string[];
  /** `param_match [initial|partial]`; exact when parameters are written; absent = not checked. */
  paramMatch?: 'exact' | 'partial' | 'initial';
  /** `full_command` (implied by parameters or `param_match`): match argv[0], not the comm. */
  fullCommand: boolean;
  /** `weight -254..254 [reverse]` [0]; 0 = FAULT while the quorum is not met. */
  weight: number;
  weightReverse: boolean;
  /** `quorum` 1..65535 [1] (0 when `quorum_max 0`). */
  quorum: number;
  /** `quorum_max` 0..65535; absent = unlimited. */
  quorumMax?: number;
  /** `fork_delay` / `delay` [0]. */
  forkDelayMs: number;
  /** `terminate_delay` / `delay` [0]. */
  terminateDelayMs: number;
  loc: SourceLoc;
}

/** A `track_process` entry: `weight N [reverse|noreverse]` written on it overrides the process's own. */
export interface ProcessTrackRef {
  name: string;
  weight?: number;
  /** Absent = the vrrp_track_process's own `reverse`. */
  reverse?: boolean;
  loc: SourceLoc;
}

export interface Vip {
  family: IpFamily;
  /** Canonical address text. */
  address: string;
  /** Prefix length [32 for IPv4, 128 for IPv6 when not written]. */
  prefix: number;
  /** `dev IF` [the instance interface]. */
  dev: string;
  label?: string;
  scope?: string;
  /** `brd IP`, or `+`/`-` as written. */
  brd?: string;
  loc: SourceLoc;
}

/** An address with a prefix length (a route's destination or source, a rule's `from`/`to`). */
export interface IpPrefix {
  /** Canonical address text. */
  address: string;
  prefix: number;
}

/** Route types keepalived accepts before a destination (`blackhole 10.0.0.0/8`), iproute2 names. */
export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'anycast'
  | 'multicast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw';

/** One path of a multipath route (`nexthop via A dev IF weight N`, or keepalived's `via A or B`). */
export interface IpNexthop {
  via?: string;
  dev?: string;
  /** `weight` 1..256; absent = the kernel's 1. */
  weight?: number;
  onlink: boolean;
}

/** One line of `virtual_routes` / `static_routes` (keepalived's `ip route` subset lvsd carries out). */
export interface IpRoute {
  family: IpFamily;
  /** Destination (`to`; `default`/`any`/`all` = prefix 0). */
  to: IpPrefix;
  /** [unicast] */
  type: RouteType;
  /** `src ADDR`: preferred source (RTA_PREFSRC). */
  src?: string;
  /** `from PREFIX` (IPv6 only): source prefix (RTA_SRC). */
  from?: IpPrefix;
  /** `via ADDR` / `gw ADDR`. */
  via?: string;
  /** `dev IF` / `oif IF`. */
  dev?: string;
  /** `table N|main|local|default` [254, main]. */
  table: number;
  /** `metric N` / `priority N` / `preference N`; absent = the kernel's default. */
  metric?: number;
  /** `scope S` as RT_SCOPE_* number; absent = global when added (keepalived, not iproute2's guess). */
  scope?: number;
  /** RTPROT_* [18, keepalived]; a `protocol` written is kept only with `no_track` (as keepalived). */
  protocol: number;
  /** `tos N` / `dsfield N`. */
  tos?: number;
  /** `onlink`. */
  onlink: boolean;
  /** `nexthop ...` (or `via A or B`): a multipath route; `via` is then unset. */
  nexthops?: IpNexthop[];
  loc: SourceLoc;
}

/** What a rule does: `table N` / `lookup N`, or one of keepalived's other actions. */
export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** One line of `virtual_rules` / `static_rules` (keepalived's `ip rule` subset lvsd carries out). */
export interface IpRule {
  family: IpFamily;
  from?: IpPrefix;
  to?: IpPrefix;
  /** `not`. */
  invert: boolean;
  /** `priority` / `preference` / `order`; unwritten: keepalived's 16384 counting down per family, in file order. */
  priority: number;
  action: RuleAction;
  /** With action `table`. */
  table?: number;
  /** With action `goto`: the target priority. */
  goto?: number;
  /** `fwmark N[/MASK]`. */
  fwmark?: number;
  fwmask?: number;
  /** `iif IF` / `dev IF`; `oif IF`. */
  iif?: string;
  oif?: string;
  /** `tos N` / `dsfield N`. */
  tos?: number;
  /** FRA_PROTOCOL: 18 (keepalived) unless `no_track`, then `protocol N` if written, else none. */
  protocol?: number;
  loc: SourceLoc;
}

export interface UnicastPeer {
  family: IpFamily;
  address: string;
  minTtl?: number;
  maxTtl?: number;
  loc: SourceLoc;
}

/** A `track_interface` / `track_script` / `track_file` entry of an instance or sync group. */
export interface TrackRef {
  name: string;
  /** Weight as written on the reference; absent = the tracked object's own weight (interface: 0). */
  weight?: number;
  reverse: boolean;
  loc: SourceLoc;
}

export interface NotifyScripts {
  master?: ScriptSpec;
  backup?: ScriptSpec;
  fault?: ScriptSpec;
  stop?: ScriptSpec;
  /** `notify`: called with `INSTANCE|GROUP name STATE priority`. */
  any?: ScriptSpec;
  /** `notify_master_rx_lower_pri`: run when a MASTER receives a lower-priority advert. */
  masterRxLowerPri?: ScriptSpec;
  /** `notify_deleted SCRIPT`: run when a reload removes the instance. */
  deleted?: ScriptSpec;
}

/** lvsd's VRRP nftables table (no_accept drops, VMAC IGMP/MLD handling). */
export interface VrrpNftables {
  /** Table name [keepalived], in the `ip` and `ip6` families. */
  table: string;
  /** Priority of its input and output chains [-1]. */
  priority: number;
  /** `nftables_counters`: a counter on every rule. */
  counters: boolean;
}

/** keepalived's `garp_group`: one pacing of gratuitous ARPs / unsolicited NAs across interfaces. */
export interface GarpGroup {
  /** `garp_interval` in ms; absent: ARPs on these interfaces are not paced. */
  garpIntervalMs?: number;
  /** `gna_interval` in ms; absent: NAs on these interfaces are not paced. */
  gnaIntervalMs?: number;
  /** `interface` and `interfaces { }`. */
  interfaces: string[];
  loc: SourceLoc;
}

export interface VrrpInstanceConfig {
  name: string;
  /** `state MASTER|BACKUP` [BACKUP]: the initial state wanted. */
  initialState: 'MASTER' | 'BACKUP';
  interface: string;
  /** `virtual_router_id` 1..255. */
  vrid: number;
  /** `priority` 1..255 [100]. */
  priority: number;
  /** `advert_int` [1 s] in milliseconds (v3: multiple of 10 ms). */
  advertIntMs: number;
  /** Resolved: `version`, else global `vrrp_version`; IPv6 instances are always 3. */
  version: 2 | 3;
  /** Family of `virtual_ipaddress` (IPv4 when the list is empty). */
  family: IpFamily;
  nopreempt: boolean;
  /** `preempt_delay` 0..1000 s [0]. */
  preemptDelayMs: number;
  /** `authentication { auth_type PASS|AH; auth_pass X }` (v2 only). */
  auth?: { type: 'PASS' | 'AH'; pass: string; loc: SourceLoc };
  unicastSrcIp?: string;
  unicastPeers: UnicastPeer[];
  mcastSrcIp?: string;
  vips: Vip[];
  excludedVips: Vip[];
  /** `virtual_routes`: added on MASTER after the VIPs, removed when leaving MASTER. */
  virtualRoutes: IpRoute[];
  /** `virtual_rules`: added on MASTER after the routes, removed first when leaving MASTER. */
  virtualRules: IpRule[];
  trackInterfaces: TrackRef[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: ProcessTrackRef[];
  notify: NotifyScripts;
  /** Resolved from global `vrrp_garp_*` and the instance's `garp_*` overrides. */
  garp: GarpSettings;
  /** `accept` / `no_accept` [accept, unless strict]. */
  accept: boolean;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  v3ChecksumAsV2: boolean;
  /** `use_vmac [NAME] [MAC]` and `vmac_xmit_base`, resolved; absent = no VMAC. */
  useVmac?: VmacConfig;
  /** Resolved from `check_unicast_src` or global `vrrp_check_unicast_src`. */
  checkUnicastSrc: boolean;
  /** Resolved from `strict_mode` or global `vrrp_strict`. */
  strict: boolean;
  /** Resolved from `skip_check_adv_addr` or global `vrrp_skip_check_adv_addr`. */
  skipCheckAdvAddr: boolean;
  /** Name of the sync group this instance belongs to, if any (filled from `vrrp_sync_group`). */
  syncGroup?: string;
  /** `down_timer_adverts` 1..100, else global, [3]; reset to 3 in strict mode (as keepalived). */
  downTimerAdverts: number;
  /** `owner_ignore_adverts`: only for priority 255; unset = strict mode, else the global. */
  ownerIgnoreAdverts: boolean;
  /** `notify_priority_changes`, else the sync group's, else the global [false]: FIFO lines on priority changes. */
  notifyPriorityChanges: boolean;
  /** `notify_deleted [SCRIPT]`: a reload that removes the instance notifies DELETED (else FAULT). */
  notifyDeleted: boolean;
  /** `smtp_alert`, else global `smtp_alert_vrrp`, else `smtp_alert` [false]: mail on state changes. */
  smtpAlert: boolean;
  loc: SourceLoc;
  /** `unicast_ttl` 0..255: TTL / hop limit of unicast adverts [255]; only with unicast peers. */
  unicastTtl?: number;
  /** `unicast_fault_no_peer`: without unicast peers the instance stays FAULT (no multicast fallback). */
  unicastFaultNoPeer?: true;
  /** `track_src_ip`: FAULT while the configured unicast_src_ip / mcast_src_ip is not on the interface. */
  trackSrcIp?: true;
}

/** A VRRP instance's VMAC: a private-mode macvlan on its interface carrying its VIPs. */
export interface VmacConfig {
  /** Interface name: as written, else keepalived's `vrrp.VRID` (IPv6: `vrrp6.VRID` when taken). */
  name: string;
  /** 00:00:5e:00:01:VRID (IPv6 00:00:5e:00:02:VRID) unless written. */
  mac: string;
  /** `vmac_xmit_base`: adverts are sent from the base interface (forced with unicast peers). */
  xmitBase: boolean;
}

export interface SyncGroup {
  name: string;
  members: string[];
  notify: NotifyScripts;
  /** `smtp_alert`, else global `smtp_alert_vrrp`, else `smtp_alert` [false]: mail on group state changes. */
  smtpAlert: boolean;
  trackInterfaces: TrackRef[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: ProcessTrackRef[];
  loc: SourceLoc;
}

/** Forwarding method as configured. FULLNAT is an lvsd extension (see docs/config.md). */
export type LvsMethodName = 'NAT' | 'DR' | 'TUN' | 'FULLNAT';

export interface LvsMethod {
  method: LvsMethodName;
  /** Only with TUN: `TUN type ipip|gue port N|gre [nocsum|csum|remcsum]` [ipip]. */
  tunnel?: TunnelInfo;
}

/** Kernel forwarding method of a configured method (FULLNAT is masquerading plus source NAT). */
export function forwardMethodOf(m: LvsMethod): ForwardMethod {
  switch (m.method) {
    case 'NAT':
    case 'FULLNAT':
      return 'masq';
    case 'DR':
      return 'droute';
    case 'TUN':
      return 'tunnel';
  }
}

/** Identity of a virtual server as written. */
export type VsKey =
  | { kind: 'addr'; family: IpFamily; protocol: IpvsProtocol; address: string; port: number }
  | { kind: 'fwmark'; family: IpFamily; fwmark: number }
  | { kind: 'group'; name: string; family: IpFamily; protocol: IpvsProtocol };

/** One member of a `virtual_server_group`, ranges already expanded. */
export type VsgEntry =
  | { kind: 'addr'; family: IpFamily; address: string; port: number; loc: SourceLoc }
  | { kind: 'fwmark'; family: IpFamily; fwmark: number; loc: SourceLoc };

export interface VirtualServerGroup {
  name: string;
  entries: VsgEntry[];
  loc: SourceLoc;
}

/** What every checker has: its target, socket options, and timing inherited VS -> RS -> checker. */
export interface CheckerCommon {
  /** [the real server's address] */
  connectIp: string;
  /** [the real server's port] */
  connectPort: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  /** Where `bind_if` was written (check-config's host check points there). */
  bindIfLoc?: SourceLoc;
  /** SO_MARK on probes. */
  fwmark?: number;
  /** [inherited from RS/VS; 5 s] */
  connectTimeoutMs: number;
  /** [inherited; 1, DNS 3, MISC 0] */
  retry: number;
  /** [inherited; 1 s, HTTP/SSL 3 s, DNS = delay loop] */
  delayBeforeRetryMs: number;
  /** [inherited; 60 s] */
  delayLoopMs: number;
  /**
   * [inherited; default `delay_loop`] the first probe waits a random time up to this; 0 = at once.
   * keepalived's order: the checker's, else its real server's, else its virtual server's, else
   * the checker's own `delay_loop`.
   */
  warmupMs: number;
  /** [inherited] start DOWN until the first success. */
  alpha: boolean;
  logAllFailures: boolean;
  loc: SourceLoc;
}

export interface HttpUrl {
  path: string;
  /** Inclusive ranges [[200, 299]] when not written. */
  statusCodes: Array<[number, number]>;
  /** MD5 hex of the body. */
  digest?: string;
  virtualhost?: string;
  /** `regex` (translated to a RegExp by config/pcre.ts) with its url-block companions. */
  regex?: UrlRegex;
  loc: SourceLoc;
}

export interface UrlRegex {
  /** As written (PCRE2 syntax). */
  pattern: string;
  /** RegExp source and flags equivalent to `pattern` with `regex_options`. */
  source: string;
  flags: string;
  /** `regex_no_match`: a match fails the check. */
  noMatch: boolean;
  /** `regex_min_offset` [0]: a match may not start before this offset of the body. */
  minOffset: number;
  /** `regex_max_offset`: a match may not start after this offset. */
  maxOffset?: number;
}

export interface TcpCheck extends CheckerCommon {
  type: 'TCP_CHECK';
}

export interface HttpCheck extends CheckerCommon {
  type: 'HTTP_GET' | 'SSL_GET';
  urls: HttpUrl[];
  /** Checker-level `virtualhost`, else the real server's, else the VS's. */
  virtualhost?: string;
  /** `http_protocol` [1.0]. */
  httpProtocol: '1.0' | '1.0C' | '1.1';
  enableSni: boolean;
  sniName?: string;
  fastRecovery: boolean;
}

export interface MiscCheck extends CheckerCommon {
  type: 'MISC_CHECK';
  miscPath: ScriptSpec;
  /** `misc_timeout` [= delay loop]. */
  miscTimeoutMs: number;
  /** Exit 2..255 sets weight = exit - 2. */
  miscDynamic: boolean;
}

export interface DnsCheck extends CheckerCommon {
  type: 'DNS_CHECK';
  /** `type` [SOA]. */
  queryType: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  /** `name` [.]. */
  name: string;
}

export interface UdpCheck extends CheckerCommon {
  type: 'UDP_CHECK';
  /** `payload` as lowercase hex, absent = empty datagram. */
  payload?: string;
  /** `require_reply` as lowercase hex, `x` nibbles are wildcards. */
  requireReply?: string;
  minReplyLength: number;
  maxReplyLength: number;
}

export interface FileCheck extends CheckerCommon {
  type: 'FILE_CHECK';
  /** Name of a `vrrp_track_file`. */
  trackFile: string;
  /** `dynamic`: the value read sets the weight. */
  dynamic: boolean;
  /** `weight` [0]. */
  weight: number;
  weightReverse: boolean;
}

/** `PING_CHECK`: an ICMP / ICMPv6 echo to `connect_ip` (no port). */
export interface PingCheck extends CheckerCommon {
  type: 'PING_CHECK';
}

/** `SMTP_CHECK`: banner 220, `HELO name` → 250, `QUIT`. Deprecated `host` blocks become checkers. */
export interface SmtpCheck extends CheckerCommon {
  type: 'SMTP_CHECK';
  /** `helo_name` [smtpchecker.keepalived.org, as keepalived]. */
  heloName: string;
}

export type Checker =
  TcpCheck | HttpCheck | MiscCheck | DnsCheck | UdpCheck | FileCheck | PingCheck | SmtpCheck;
export type CheckerType = Checker['type'];

export interface RealServer {
  family: IpFamily;
  address: string;
  /** [the VS port; 0 for fwmark services without one] */
  port: number;
  /** `weight` [1]. */
  weight: number;
  /** `lvs_method` [the VS's]. */
  method: LvsMethod;
  /** `uthreshold` [0 = none]. */
  upperThreshold: number;
  /** `lthreshold` [0 = none]. */
  lowerThreshold: number;
  /** [inherited from the VS] */
  inhibitOnFailure: boolean;
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  virtualhost?: string;
  /** Resolved (RS, else VS, else default) for checkers that do not set their own. */
  alpha: boolean;
  delayLoopMs: number;
  connectTimeoutMs: number;
  /** `warmup` of the real server, else of its virtual server (absent: the checkers' `delay_loop`). */
  warmupMs?: number;
  /** All must be up for the real to be alive; empty = always alive. */
  checkers: Checker[];
  /** `smtp_alert`, else global `smtp_alert_checker`, else `smtp_alert` [true]: mail on checker changes. */
  smtpAlert: boolean;
  loc: SourceLoc;
}

export interface SorryServer {
  family: IpFamily;
  address: string;
  port: number;
  /** `sorry_server_inhibit`. */
  inhibit: boolean;
  /** `sorry_server_lvs_method` [the VS's]. */
  method: LvsMethod;
  loc: SourceLoc;
}

export interface VirtualServer {
  key: VsKey;
  /** `lb_algo` / `lvs_sched` [wlc]. */
  scheduler: string;
  flags: SchedulerFlags;
  /** `lb_kind` / `lvs_method` [NAT]. */
  method: LvsMethod;
  /** `persistence_timeout` (default 360 s when written without a value); absent = not persistent. */
  persistenceTimeoutMs?: number;
  /** `persistence_granularity`: IPv4 dotted mask or IPv6 prefix length. */
  persistenceGranularity?: string | number;
  persistenceEngine?: string;
  /** `quorum` [1]. */
  quorum: number;
  /** `hysteresis` [0]. */
  hysteresis: number;
  quorumUp?: ScriptSpec;
  quorumDown?: ScriptSpec;
  sorryServer?: SorryServer;
  /** `delay_loop` [60 s]. */
  delayLoopMs: number;
  alpha: boolean;
  omega: boolean;
  haSuspend: boolean;
  /** VS-level checker defaults, already pushed down into every checker. */
  retry?: number;
  delayBeforeRetryMs?: number;
  /** `warmup` (absent: each checker's `delay_loop`). */
  warmupMs?: number;
  /** `connect_timeout` [5 s]. */
  connectTimeoutMs: number;
  inhibitOnFailure: boolean;
  virtualhost?: string;
  realServers: RealServer[];
  /** `smtp_alert`, else global `smtp_alert_checker`, else `smtp_alert` [false]: mail on quorum changes. */
  smtpAlert: boolean;
  /** `lvsd_bgp_announce` (an lvsd extension): its address is announced over BGP while it has quorum. */
  bgpAnnounce?: SourceLoc;
  loc: SourceLoc;
}

export interface Model {
  global: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFile[];
  trackProcesses: TrackProcess[];
  vrrpInstances: VrrpInstanceConfig[];
  syncGroups: SyncGroup[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  /** `static_ipaddress`: set at start whatever the VRRP state, removed at stop (`dev` [eth0]). */
  staticAddresses: Vip[];
  /** `static_routes`: likewise, after the static addresses. */
  staticRoutes: IpRoute[];
  /** `static_rules`: likewise, after the static routes. */
  staticRules: IpRule[];
  /** Every file read, main file first (for reload watching). */
  files: string[];
  /**
   * Set where a model is handed to a worker (model.json, the validating child's result): what a
   * reload compares to find the virtual servers that changed (config/fingerprints.ts).
   */
  fingerprints?: ModelFingerprints;
}

/** SHA-1s (base64) of a model's parts: see config/fingerprints.ts. */
export interface ModelFingerprints {
  /** Over what every virtual server's specs depend on besides the virtual server itself. */
  context: string;
  /** One per `Model.virtualServers` entry, same order. */
  virtualServers: string[];
}

/** Common keepalived defaults, in milliseconds where they are times. */
export const Defaults = {
  /** SMTP_CHECK `helo_name` (keepalived's SMTP_DEFAULT_HELO). */
  smtpHeloName: 'smtpchecker.keepalived.org',
  vrrpVersion: 2,
  mcastGroup4: '224.0.0.18',
  mcastGroup6: 'ff02::12',
  priority: 100,
  advertIntMs: 1000,
  garpMasterRepeat: 5,
  garpMasterDelayMs: 5000,
  garpMasterRefreshRepeat: 1,
  scriptIntervalMs: 1000,
  delayLoopMs: 60_000,
  connectTimeoutMs: 5000,
  retry: 1,
  retryDns: 3,
  retryMisc: 0,
  delayBeforeRetryMs: 1000,
  delayBeforeRetryHttpMs: 3000,
  persistenceTimeoutMs: 360_000,
  scheduler: 'wlc',
  quorum: 1,
  weight: 1,
  /**
   * `*_rlimit_rttime` when not written: lvsd's 200 ms, not keepalived's 10 ms, which killed the VRRP
   * worker in a takeover of 200 instances at once (bench/results/realtime.md; its longest bursts were
   * 10–20 ms there: ten times over, for a slower machine).
   */
  rlimitRttimeUs: 200_000,
} as const;
