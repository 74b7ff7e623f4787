// SPDX-License-Identifier: Apache-2.0
/**
 * Which VIPs lvsd announces over BGP, and keeping the engine (an `Announcer`) in step. A VIP is
 * announced while every announced virtual server on its address has quorum, the director is not
 * drained (`lvsd drain`) and lvsd is not stopping; otherwise it is withdrawn. Changes are applied
 * one pass at a time, in order; a failed call is logged, counted and retried. Pure: the engine,
 * clock and timers are injected (src/daemon/check-main.ts wires the kernel-table adapter).
 */
import type { IpFamily } from '../core/addr.js';
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Announcer, BgpSession, Vip } from './announcer.js';

/** One virtual server that asks for its address to be announced, with its quorum now. */
export interface AnnouncedService {
  family: IpFamily;
  address: string;
  /** As `lvsd status` names it (`tcp:192.0.2.1:80`). */
  name: string;
  quorumUp: boolean;
}

/** Why a VIP is withdrawn. */
export type WithdrawReason = 'no-quorum' | 'drained' | 'stopping';

export interface VipStatus {
  vip: string;
  family: IpFamily;
  /** Whether the engine has it announced (as last applied). */
  announced: boolean;
  /** Whether lvsd wants it announced. */
  wanted: boolean;
  /** Why it is not wanted. */
  reason?: WithdrawReason;
  /** The announced virtual servers on this address; those without quorum. */
  services: string[];
  withoutQuorum: string[];
  /** Announcements and withdrawals carried out since the start. */
  changes: number;
  /** Monotonic ms of the last change carried out. */
  sinceMs?: number;
  /** The engine's last refusal, until a call succeeds. */
  lastError?: string;
}

export interface AnnouncementsOptions {
  announcer: Announcer;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** A failed call is retried after this long. @default 5000 */
  retryMs?: number;
}

interface VipRecord {
  vip: Vip;
  announced: boolean;
  changes: number;
  sinceMs?: number;
  lastError?: string;
}

interface Wanted {
  vip: Vip;
  want: boolean;
  reason?: WithdrawReason;
  services: string[];
  withoutQuorum: string[];
}

/** The VIPs and whether each is wanted, from the announced services and the director's state. */
export function wantedVips(
  services: readonly AnnouncedService[],
  director: { drained: boolean; stopping: boolean },
): Map<string, Wanted> {
  const out = new Map<string, Wanted>();
  for (const s of services) {
    let w = out.get(s.address);
    if (!w) {
      w = { vip: { family: s.family, address: s.address }, want: true, services: [], withoutQuorum: [] };
      out.set(s.address, w);
    }
    w.services.push(s.name);
    if (!s.quorumUp) w.withoutQuorum.push(s.name);
  }
  for (const w of out.values()) {
    const reason: WithdrawReason | undefined = director.stopping
      ? 'stopping'
      : director.drained
        ? 'drained'
        : w.withoutQuorum.length > 0
          ? 'no-quorum'
          : undefined;
    w.want = reason === undefined;
    if (reason) w.reason = reason;
  }
  return out;
}

export class VipAnnouncements {
  readonly #o: AnnouncementsOptions;
  readonly #records = new Map<string, VipRecord>();
  #services: readonly AnnouncedService[] = [];
  #drained = false;
  #stopping = false;
  #chain: Promise<void> = Promise.resolve();
  #retry: TimerHandle | undefined;
  #failures = 0;

  constructor(opts: AnnouncementsOptions) {
    this.#o = opts;
  }

  /**
   * Start from the engine's state: what it announces is taken as announced (a restarted lvsd
   * does not withdraw and announce again what is still wanted); the first pass withdraws the rest.
   */
  async start(services: readonly AnnouncedService[], drained: boolean): Promise<void> {
    let present: Vip[] = [];
    try {
      present = await this.#o.announcer.state();
    } catch (e) {
      // then every wanted VIP is announced again (idempotent); a stray one stays until lvsd restarts
      this.#failures++;
      this.#o.logger.error('announced VIPs not read', { error: (e as Error).message });
    }
    for (const vip of present) this.#records.set(vip.address, { vip, announced: true, changes: 0 });
    this.#services = services;
    this.#drained = drained;
    await this.#enqueue();
  }

  /** New quorum states or a new set of announced services (a check result, a reload). */
  update(services: readonly AnnouncedService[]): Promise<void> {
    this.#services = services;
    return this.#enqueue();
  }

  /** `lvsd drain` (true) / `lvsd undrain` (false). Resolves once the engine has been told. */
  setDrained(drained: boolean): Promise<void> {
    this.#drained = drained;
    return this.#enqueue();
  }

  get drained(): boolean {
    return this.#drained;
  }

  /** Withdraw everything (shutdown); nothing is announced again afterwards. */
  async withdrawAll(): Promise<void> {
    this.#stopping = true;
    if (this.#retry) this.#o.timers.clearTimeout(this.#retry);
    await this.#enqueue();
  }

  /** Engine calls refused since the start. */
  get failures(): number {
    return this.#failures;
  }

  status(): VipStatus[] {
    const wanted = wantedVips(this.#services, { drained: this.#drained, stopping: this.#stopping });
    const out: VipStatus[] = [];
    for (const [address, w] of wanted) {
      const r = this.#records.get(address);
      const s: VipStatus = {
        vip: address,
        family: w.vip.family,
        announced: r?.announced ?? false,
        wanted: w.want,
        services: w.services,
        withoutQuorum: w.withoutQuorum,
        changes: r?.changes ?? 0,
      };
      if (w.reason) s.reason = w.reason;
      if (r?.sinceMs !== undefined) s.sinceMs = r.sinceMs;
      if (r?.lastError !== undefined) s.lastError = r.lastError;
      out.push(s);
    }
    return out;
  }

  #enqueue(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#pass());
    return this.#chain;
  }

  /** One pass: withdraw what is not wanted (VIPs no longer configured too), then announce. */
  async #pass(): Promise<void> {
    const wanted = wantedVips(this.#services, { drained: this.#drained, stopping: this.#stopping });
    let failed = false;
    for (const [address, r] of this.#records)
      if (!wanted.has(address) && r.announced)
        failed = !(await this.#apply(r, false, 'not configured')) || failed;
    for (const [address, r] of [...this.#records])
      if (!wanted.has(address) && !r.announced) this.#records.delete(address);
    const order = [...wanted.values()].sort((a, b) => Number(a.want) - Number(b.want));
    for (const w of order) {
      let r = this.#records.get(w.vip.address);
      if (!r) {
        r = { vip: w.vip, announced: false, changes: 0 };
        this.#records.set(w.vip.address, r);
      }
      if (r.announced !== w.want) failed = !(await this.#apply(r, w.want, w.reason ?? 'quorum')) || failed;
    }
    if (failed && !this.#stopping && !this.#retry) {
      this.#retry = this.#o.timers.setTimeout(() => {
        this.#retry = undefined;
        void this.#enqueue();
      }, this.#o.retryMs ?? 5000);
    }
  }

  async #apply(r: VipRecord, announce: boolean, why: string): Promise<boolean> {
    const { announcer, logger, clock } = this.#o;
    try {
      await (announce ? announcer.announce(r.vip) : announcer.withdraw(r.vip));
    } catch (e) {
      this.#failures++;
      r.lastError = (e as Error).message;
      logger.error(announce ? 'VIP not announced' : 'VIP not withdrawn', {
        vip: r.vip.address,
        error: r.lastError,
      });
      return false;
    }
    r.announced = announce;
    r.changes++;
    r.sinceMs = clock.now();
    delete r.lastError;
    logger.notice(announce ? 'VIP announced' : 'VIP withdrawn', { vip: r.vip.address, reason: why });
    return true;
  }
}

/** The BGP side of the LVS worker's status (`lvsd status`, the metrics). */
export interface BgpStatus {
  /** The kernel routing table lvsd owns. */
  table: number;
  /** `lvsd drain` in force. */
  drained: boolean;
  vips: VipStatus[];
  /** Engine calls refused since the start. */
  failures: number;
  /** The engine's BGP sessions, when lvsd reads them (`lvsd_bgp_bird_socket`). */
  sessions?: BgpSession[];
  /** Why the sessions could not be read the last time. */
  sessionsError?: string;
}
