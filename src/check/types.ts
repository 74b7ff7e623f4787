// SPDX-License-Identifier: Apache-2.0
/**
 * What the health-check layer needs to know about virtual servers, reals and their checkers,
 * independent of the config parser (the config Model is mapped onto these in from-model.ts).
 * Pure: types and small helpers only. Times are milliseconds; addresses are canonical text.
 */
import type { ScriptCommand } from '../script/command.js';
import type { ForwardMethod, IpvsService, TunnelInfo } from '../ipvs/model.js';
import type { IpFamily } from '../core/addr.js';
import { flatString } from '../core/flat-string.js';

/**
 * How a checker kind paces its probes after failures; keepalived's checkers differ here (see
 * docs/config.md, "Check timing"):
 * - `always` (TCP_CHECK, SMTP_CHECK, FILE_CHECK): every failed probe starts or continues a retry
 *   sequence (`delay_before_retry` apart), even when the checker is already down;
 * - `while-up` (MISC_CHECK, UDP_CHECK, PING_CHECK, DNS_CHECK): retries only while the checker is up
 *   (or has no verdict yet); once down it is probed every `delay_loop`;
 * - `http` (HTTP_GET, SSL_GET): retries as `while-up`; once down it is probed every
 *   max(`delay_before_retry`, `delay_loop`) until the URL that failed answers, and every
 *   `delay_before_retry` if it fails again before the checker is back up.
 */
export type FailurePacing = 'always' | 'while-up' | 'http';

/** Timing and hysteresis of one checker (keepalived inherits these VS → RS → checker). */
export interface CheckTiming {
  /** `connect_timeout` [5 s]: the probe's hard deadline. */
  connectTimeoutMs: number;
  /** `retry`: failed probes tolerated before the checker counts as down (one probe + `retry` retries). */
  retry: number;
  /** `delay_before_retry`: pause between a failed probe and its retry. */
  delayBeforeRetryMs: number;
  /** `delay_loop`: pause between probes of a healthy (or confirmed down) checker. */
  delayLoopMs: number;
  /**
   * `warmup`, resolved: the first probe waits a random time in [0, warmup]. keepalived's default
   * (no `warmup` on the checker, its real or its virtual server) is `delay_loop`; 0 = at once.
   */
  warmupMs: number;
  /** `alpha`: the checker starts down until its first success. */
  alpha: boolean;
  /** `log_all_failures`: log every failed probe, not only state changes. */
  logAllFailures: boolean;
  /** How probes are paced after a failure [always]. */
  failurePacing?: FailurePacing;
  /**
   * SMTP_CHECK: the first verdict also comes after `retry` + 1 failures (keepalived resets its retry
   * count at every regular check, where every other checker starts with its retries used up).
   */
  retriesBeforeFirstVerdict?: boolean;
  /**
   * The delay to the next probe counts from this probe's start, not its end (MISC_CHECK: keepalived
   * times the next run from the script's start).
   */
  pacedFromStart?: boolean;
  /**
   * HTTP_GET/SSL_GET without `fast_recovery`: the URLs of keepalived's round (one URL per
   * `delay_loop`). A checker that is not up needs this many successful probes, `delay_loop` apart,
   * and after a failure one more first (keepalived checks the failed URL again, then the round).
   * lvsd's probe checks every URL back to back, which is the `fast_recovery` round; absent = 1.
   */
  urlRound?: number;
}

/** Where a probe connects from and to (defaults: the real's address and port). */
export interface ConnectOptions {
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  /** `fwmark`: SO_MARK on the probe's socket (policy routing); TCP_CHECK only. */
  fwmark?: number;
  /** `bind_if`: SO_BINDTODEVICE on the probe's socket; TCP_CHECK only. */
  bindIf?: string;
}

export interface HttpUrlSpec {
  path: string;
  /** Lower-case hex MD5 of the body, as keepalived's genhash prints it. */
  digest?: string;
  /** Accepted status ranges, inclusive; empty = 200-299. */
  statusCodes: Array<[number, number]>;
  virtualhost?: string;
  /** `regex`: a RegExp (already translated from PCRE2) searched for in the body. */
  regex?: BodyRegexSpec;
}

export interface BodyRegexSpec {
  source: string;
  flags: string;
  /** `regex_no_match`: a match fails the check. */
  noMatch: boolean;
  /** A match must start at or after this body offset... */
  minOffset: number;
  /** ...and at or before this one. */
  maxOffset?: number;
}

export type CheckerSpec = ConnectOptions & { timing: CheckTiming } & (
    | { kind: 'tcp' }
    | {
        kind: 'http';
        tls: boolean;
        urls: HttpUrlSpec[];
        virtualhost?: string;
        /** `http_protocol`: '1.0' | '1.0C' (Connection: close) | '1.1' [1.0]. */
        httpProtocol: '1.0' | '1.0C' | '1.1';
        enableSni: boolean;
        sniName?: string;
      }
    | {
        kind: 'misc';
        argv: string[];
        timeoutMs: number;
        dynamic: boolean;
        /** `user USER [GROUP]` of the checker, else global `script_user`: run the script as them. */
        user?: string;
        group?: string;
      }
    | { kind: 'dns'; type: DnsQueryType; name: string }
    | {
        kind: 'udp';
        payload?: Uint8Array;
        requireReply: boolean;
        /** Reply pattern: bytes with a mask (0x0f/0xf0/0xff) of significant bits, from the X wildcards. */
        replyPattern?: { bytes: Uint8Array; mask: Uint8Array };
        minReplyLength: number;
        maxReplyLength: number;
      }
    | { kind: 'file'; file: string; weight: number; reverse: boolean; dynamic: boolean }
    | { kind: 'ping' }
    | { kind: 'smtp'; heloName: string }
  );

export type CheckerKind = CheckerSpec['kind'];

export const dnsQueryTypes = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;
export type DnsQueryType = keyof typeof dnsQueryTypes;

/** A notify script: argv, run as `USER [GROUP]` written after the command, else `script_user`. */
export type ScriptCommandSpec = ScriptCommand;

export interface RealServerSpec {
  family: IpFamily;
  address: string;
  port: number;
  weight: number;
  method: ForwardMethod;
  tunnel?: TunnelInfo;
  upperThreshold: number;
  lowerThreshold: number;
  inhibitOnFailure: boolean;
  /** `notify_up` / `notify_down`. */
  notifyUp?: ScriptCommandSpec;
  notifyDown?: ScriptCommandSpec;
  checkers: CheckerSpec[];
  /** `smtp_alert`: e-mail when one of its checkers changes state. */
  smtpAlert?: boolean;
}

export interface SorryServerSpec {
  family: IpFamily;
  address: string;
  port: number;
  method: ForwardMethod;
  weight: number;
}

export interface VirtualServerSpec {
  service: IpvsService;
  /** Further services programmed with the same reals (the members of a virtual_server_group). */
  alsoServices?: IpvsService[];
  quorum: number;
  hysteresis: number;
  /** `quorum_up` / `quorum_down`. */
  quorumUp?: ScriptCommandSpec;
  quorumDown?: ScriptCommandSpec;
  sorryServer?: SorryServerSpec;
  sorryServerInhibit: boolean;
  omega: boolean;
  /** Suspend checks while the VIP is not a local address. */
  haSuspend: boolean;
  reals: RealServerSpec[];
  /** `smtp_alert`: e-mail when the quorum is gained or lost. */
  smtpAlert?: boolean;
  /**
   * `lvsd_bgp_announce`: its address is announced over BGP while it has quorum (src/bgp/), and its
   * failed reals stay at weight 0 (inhibited), never deleted, so that the `mh` table is the same on
   * every director.
   */
  bgpAnnounce?: boolean;
}

/** Everything the check manager runs. */
export interface CheckSpec {
  virtualServers: VirtualServerSpec[];
  /** `lvs_notify_fifo` / `notify_fifo`: paths written with keepalived-format VS/RS lines. */
  notifyFifos: string[];
}

/** Stable identity of a real within its virtual server. */
export function realKey(vsId: string, rs: Pick<RealServerSpec, 'address' | 'port'>): string {
  return flatString(`${vsId}#${rs.address}|${rs.port}`);
}

/** The default keepalived timing (delay_loop 60 s, connect_timeout 5 s, retry 1, dbr 1 s, warmup = delay_loop). */
export const defaultTiming: CheckTiming = Object.freeze({
  connectTimeoutMs: 5000,
  retry: 1,
  delayBeforeRetryMs: 1000,
  delayLoopMs: 60000,
  warmupMs: 60000,
  alpha: false,
  logAllFailures: false,
});
