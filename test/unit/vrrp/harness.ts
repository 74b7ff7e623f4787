// SPDX-License-Identifier: Apache-2.0
/**
 * Drives the pure machine with the FakeClock the way a shell does (one real timer at
 * nextDeadline, dueTimers fed back as timer events) and records every action with its time.
 */
import { FakeClock } from '../../fakes/fake-clock.js';
import type { TimerHandle } from '../../../src/core/clock.js';
import { dueTimers, initMachine, nextDeadline, step } from '../../../src/vrrp/machine.js';
import { countAction, newStats } from '../../../src/vrrp/stats.js';
import type {
  MachineAction,
  MachineConfig,
  MachineEvent,
  MachineState,
  VrrpStateName,
  VrrpStats,
} from '../../../src/vrrp/types.js';

export interface Logged {
  at: number;
  action: MachineAction;
}

export class Harness {
  readonly clock = new FakeClock(0);
  state: MachineState;
  readonly log: Logged[] = [];
  readonly stats: VrrpStats = newStats();
  #handle: TimerHandle | undefined;

  constructor(cfg: MachineConfig) {
    this.state = initMachine(cfg);
  }

  feed(ev: MachineEvent, now = this.clock.now()): void {
    const r = step(this.state, ev, now);
    this.state = r.state;
    for (const action of r.actions) {
      this.log.push({ at: now, action });
      countAction(this.stats, action);
    }
    this.#rearm();
  }

  #rearm(): void {
    if (this.#handle) this.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    const d = nextDeadline(this.state);
    if (!d) return;
    this.#handle = this.clock.setTimeout(() => {
      this.#handle = undefined;
      // FakeClock adds the delay to now; guard against one-ulp float differences.
      const now = Math.max(this.clock.now(), d.at);
      for (const which of dueTimers(this.state, now)) this.feed({ type: 'timer', which }, now);
      if (!this.#handle) this.#rearm();
    }, d.at - this.clock.now());
  }

  /** Move the clock to absolute time `t`. */
  to(t: number): this {
    this.clock.advance(t - this.clock.now());
    return this;
  }

  /** Feed an advert at absolute time `t` (after running timers due before it). */
  advert(t: number, priority: number, opts: { src?: string; intMs?: number; version?: 2 | 3 } = {}): this {
    this.to(t);
    this.feed({
      type: 'advert',
      advert: {
        src: opts.src ?? '10.0.0.1',
        version: opts.version ?? this.state.config.version,
        vrid: this.state.config.vrid,
        priority,
        maxAdverIntMs: opts.intMs ?? this.state.config.advertIntMs,
      },
    });
    return this;
  }

  /** Adverts every `every` ms from `from` to `until` inclusive. */
  adverts(
    from: number,
    until: number,
    every: number,
    priority: number,
    opts: { src?: string; intMs?: number } = {},
  ): this {
    for (let t = from; t <= until + 1e-9; t += every) this.advert(t, priority, opts);
    return this;
  }

  get name(): VrrpStateName {
    return this.state.name;
  }

  /** State transitions as [at, from, to, reason]. */
  transitions(): [number, string, string, string][] {
    return this.log.flatMap((l) =>
      l.action.type === 'notify'
        ? [[l.at, l.action.from, l.action.to, l.action.reason] as [number, string, string, string]]
        : [],
    );
  }

  /** Sent adverts as [at, priority]. */
  sent(): [number, number][] {
    return this.log.flatMap((l) =>
      l.action.type === 'sendAdvert' ? [[l.at, l.action.priority] as [number, number]] : [],
    );
  }

  /** Actions (without timer bookkeeping and counters) logged at time `t`. */
  at(t: number): MachineAction[] {
    return this.log
      .filter((l) => Math.abs(l.at - t) < 1e-9)
      .map((l) => l.action)
      .filter((a) => a.type !== 'armTimer' && a.type !== 'cancelTimer' && a.type !== 'count');
  }

  /** Time at which the machine entered `state` the n-th time (0-based). */
  entered(state: VrrpStateName, n = 0): number | undefined {
    return this.transitions().filter((x) => x[2] === state)[n]?.[0];
  }
}
