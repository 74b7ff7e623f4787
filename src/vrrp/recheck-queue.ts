// SPDX-License-Identifier: Apache-2.0
/**
 * Paces the engine's "look at interface N again" checks. Every address or link event asks for one,
 * and a check recomputes the source address of every instance on the interface. 200 instances
 * taking over at once add 200 VIPs to one interface within a few tens of milliseconds, each event
 * read on its own turn of the event loop: a check per event was 200 × 200 source computations
 * on the takeovers' own loop (bench/results/failover.md part 3).
 *
 * A request runs its check on the next turn (`defer`), after the events already read, and shares
 * it with every request made before it runs. Within `spacingMs` of an interface's last check, the
 * next one waits for the rest of that interval (a timer): a burst of events costs one check per
 * interval, an event after a quiet spell is looked at on the next turn as before. What a check
 * decides (an instance's source address, FAULT when there is none) is the same, at most
 * `spacingMs` later in a burst. Without `defer` (unit tests on a fake clock) a check runs at once.
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';

/** The least time between two checks of one interface (keepalived reads these events as they come). */
export const RECHECK_SPACING_MS = 10;

export interface RecheckPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly defer?: (fn: () => void) => void;
}

export class RecheckQueue {
  readonly #check: (ifindex: number) => void;
  readonly #ports: RecheckPorts;
  readonly #spacingMs: number;
  /** Interfaces with a check to come; the timer when it waits for the spacing. */
  readonly #due = new Map<number, TimerHandle | undefined>();
  readonly #lastCheck = new Map<number, number>();
  /** Checks run (the regression tests count them). */
  checks = 0;

  constructor(check: (ifindex: number) => void, ports: RecheckPorts, spacingMs = RECHECK_SPACING_MS) {
    this.#check = check;
    this.#ports = ports;
    this.#spacingMs = spacingMs;
  }

  /** Interface `ifindex` changed: check it (now, with the other requests of this turn, or paced). */
  request(ifindex: number): void {
    const defer = this.#ports.defer;
    if (!defer) {
      this.#run(ifindex);
      return;
    }
    if (this.#due.has(ifindex)) return;
    const last = this.#lastCheck.get(ifindex);
    const wait = last === undefined ? 0 : last + this.#spacingMs - this.#ports.clock.now();
    if (wait <= 0) {
      this.#due.set(ifindex, undefined);
      defer(() => this.#fire(ifindex));
    } else {
      this.#due.set(
        ifindex,
        this.#ports.timers.setTimeout(() => this.#fire(ifindex), wait),
      );
    }
  }

  /** Drop the checks to come (engine stop). */
  close(): void {
    for (const t of this.#due.values()) if (t) this.#ports.timers.clearTimeout(t);
    this.#due.clear();
  }

  #fire(ifindex: number): void {
    if (!this.#due.delete(ifindex)) return; // closed meanwhile
    this.#run(ifindex);
  }

  #run(ifindex: number): void {
    this.#lastCheck.set(ifindex, this.#ports.clock.now());
    this.checks++;
    this.#check(ifindex);
  }
}
