// SPDX-License-Identifier: Apache-2.0
/**
 * How a worker process runs on the CPU: keepalived's `{vrrp,checker}_priority` (nice),
 * `_rt_priority` (SCHED_RR) and `_rlimit_rttime` (RLIMIT_RTTIME), applied as a
 * difference between what the configuration wants and what the process has, at start and at every
 * reload (keepalived applies them at start and only partly on reload).
 *
 * Differences from keepalived, each for a reason written where it is decided:
 * - applied once the engine has started, and a reload's parsing runs at normal priority (`relax`,
 *   then `apply` of the model in force, the new one or, when it was refused, the old):
 *   those are the worker's longest CPU bursts, and under RLIMIT_RTTIME a burst past the limit is a
 *   SIGKILL; nothing there is time-critical;
 * - the nice value is applied with realtime too (keepalived drops it): it is what the process runs
 *   at whenever it is not realtime (a reload, a refused SCHED_RR);
 * - `lvsd run --realtime` (the systemd unit's default) fills what the VRRP worker's settings leave
 *   out with `REALTIME_DEFAULTS`, and the default RLIMIT_RTTIME is 200 ms, not 10 (Defaults.rlimitRttimeUs).
 * Only the calling thread is scheduled (Linux schedules threads; the JS thread is the one that
 * sends adverts and fires timers); threads started later inherit it, Node's helper threads started
 * before do not. A refused call is logged and the worker goes on as it was: running unprioritised
 * is safer than not running.
 */
import { getPriority } from 'node:os';
import { Defaults, type ProcessSettings } from '../config/model.js';
import type { Logger } from '../core/log.js';
import type { NativeAddon } from '../net/raw-socket.io.js';

/**
 * What `lvsd run --realtime` gives the VRRP worker where global_defs says nothing. Priority 40:
 * below the kernel's threaded interrupt handlers (SCHED_FIFO 50), which deliver the adverts.
 * RLIMIT_RTTIME: lvsd's default (`Defaults.rlimitRttimeUs`, 200 ms, SIGXCPU at 100 ms), the same
 * whenever `*_rt_priority` comes without `*_rlimit_rttime`: the worker's longest CPU burst at 200
 * instances taking over at once was 10–20 ms, GC pauses up to 9 ms, and keepalived's 10 ms killed it
 * (bench/results/realtime.md); a kill in a mass failover comes at the moment that matters most.
 */
export const REALTIME_DEFAULTS: Readonly<Required<Omit<ProcessSettings, 'nice'>>> = {
  rtPriority: 40,
  rlimitRttimeUs: Defaults.rlimitRttimeUs,
};

/** The settings a worker runs with: the configuration's, with `--realtime`'s defaults under them. */
export function wantedSchedule(
  configured: ProcessSettings | undefined,
  realtimeDefaults: boolean,
): ProcessSettings {
  const base: ProcessSettings = realtimeDefaults ? { ...REALTIME_DEFAULTS } : {};
  const want = { ...base, ...configured };
  if (want.rtPriority !== undefined && want.rlimitRttimeUs === undefined)
    want.rlimitRttimeUs = Defaults.rlimitRttimeUs;
  return want;
}

/** The system calls this needs (the native addon's, a recording fake in tests). */
export type SchedulingCalls = Pick<
  NativeAddon,
  'setRealtime' | 'setNormalScheduling' | 'setNice' | 'setRtTimeLimit'
>;

/** What the process runs with now, as `lvsd status` shows it. */
export interface ScheduleState {
  policy: 'SCHED_RR' | 'SCHED_OTHER';
  rtPriority?: number;
  nice: number;
  /** RLIMIT_RTTIME (hard), when realtime. */
  rlimitRttimeUs?: number;
  /** SIGXCPUs: bursts past half the limit. */
  overruns: number;
  /** Calls the kernel refused, each once (e.g. EPERM without CAP_SYS_NICE or RLIMIT_RTPRIO). */
  refused: string[];
}

/** The limit the kernel keeps: soft (SIGXCPU) at half, hard (SIGKILL) at the whole, as keepalived. */
const limits = (us: number): [number, number] => [Math.max(1, Math.floor(us / 2)), us];

export class ProcessSchedule {
  private rt: number | undefined;
  private nice: number;
  private readonly originalNice: number;
  private hardUs: number | undefined;
  private overruns = 0;
  private readonly refused = new Set<string>();

  constructor(
    private readonly what: 'vrrp' | 'checker',
    /** Resolved at the first call (the addon is loaded only when scheduling is configured). */
    private readonly sys: () => SchedulingCalls,
    private readonly log: Logger,
    nice: number = getPriority(),
  ) {
    this.nice = this.originalNice = nice;
  }

  /** Make the process run as `want` says (from any state, `relax`ed included). */
  apply(want: ProcessSettings): void {
    const nice = want.nice ?? this.originalNice;
    if (nice !== this.nice && this.call(`setpriority(${nice})`, () => this.sys().setNice(nice)))
      this.nice = nice;
    if (want.rtPriority === undefined) {
      this.normal();
      return;
    }
    // the limit before the policy: a realtime process is never without its limit
    if (want.rlimitRttimeUs !== undefined) this.limit(want.rlimitRttimeUs);
    if (this.rt !== want.rtPriority) {
      const prio = want.rtPriority;
      if (this.call(`sched_setscheduler(SCHED_RR, ${prio})`, () => this.sys().setRealtime(prio)))
        this.rt = prio;
    }
  }

  /** Normal scheduling until the next `apply` (a reload's parsing: the worker's longest bursts). */
  relax(): void {
    this.normal();
  }

  /**
   * SIGXCPU: the process ran past half its RLIMIT_RTTIME without blocking. The kernel raised the
   * soft limit by a second as it signalled; it is put back, so the next overrun is reported too.
   */
  overrun(): void {
    this.overruns++;
    const us = this.hardUs;
    this.log.warn(
      `the ${this.what} worker ran over half its ${this.what}_rlimit_rttime without blocking; at the whole it is killed: ${this.what}_rlimit_rttime may need to be increased`,
      { rlimitRttimeUs: us, overruns: this.overruns },
    );
    if (us !== undefined)
      this.call('setrlimit(RLIMIT_RTTIME)', () => this.sys().setRtTimeLimit(...limits(us)));
  }

  state(): ScheduleState {
    return {
      policy: this.rt === undefined ? 'SCHED_OTHER' : 'SCHED_RR',
      ...(this.rt === undefined ? {} : { rtPriority: this.rt }),
      nice: this.nice,
      ...(this.rt === undefined || this.hardUs === undefined ? {} : { rlimitRttimeUs: this.hardUs }),
      overruns: this.overruns,
      refused: [...this.refused],
    };
  }

  private normal(): void {
    if (this.rt === undefined) return;
    if (this.call('sched_setscheduler(SCHED_OTHER)', () => this.sys().setNormalScheduling()))
      this.rt = undefined;
  }

  /**
   * A hard limit only goes down without CAP_SYS_RESOURCE: raising it on a reload may be refused,
   * and the lower one stays until a restart (logged, and in `refused`).
   */
  private limit(us: number): void {
    if (this.hardUs === us) return;
    if (this.call(`setrlimit(RLIMIT_RTTIME, ${us} us)`, () => this.sys().setRtTimeLimit(...limits(us))))
      this.hardUs = us;
  }

  /** One system call; false (logged once per call) when the kernel refused it. */
  private call(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      const msg = `${what}: ${(e as Error).message}`;
      if (!this.refused.has(msg))
        this.log.warn(`the ${this.what} worker's scheduling: refused, going on without it`, { call: msg });
      this.refused.add(msg);
      return false;
    }
  }
}
