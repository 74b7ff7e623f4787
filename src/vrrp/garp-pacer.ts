// SPDX-License-Identifier: Apache-2.0
/**
 * Pacing of gratuitous ARPs and unsolicited NAs shared by every instance of the engine, as
 * keepalived paces them (vrrp_arp.c, vrrp_ndisc.c): per pacing key, that is per physical interface
 * or per `garp_group` of interfaces, and per kind (ARP or NA), a frame goes out at once when the
 * key's interval has passed since its last frame, else it waits its turn behind the frames queued
 * before it. An interval of 0 sends at once. A queued frame whose sender is no longer MASTER when
 * its turn comes is skipped. Timers come from the injected Clock/Timers; no I/O of its own.
 */
import type { Clock, TimerHandle, Timers } from '../core/clock.js';

/** Where a frame is paced: the key its interface (or garp_group) has, and that key's interval. */
export interface Pacing {
  readonly key: string;
  readonly intervalMs: number;
}

interface Queued {
  readonly intervalMs: number;
  readonly send: () => void;
  readonly live: () => boolean;
}

export class GarpPacer {
  readonly #clock: Clock;
  readonly #timers: Timers;
  /** Earliest time the next frame of a key may go. */
  readonly #next = new Map<string, number>();
  readonly #queues = new Map<string, Queued[]>();
  readonly #armed = new Map<string, TimerHandle>();
  /** Frames that waited for their turn, and frames dropped because their sender stopped being MASTER. */
  readonly counters = { delayed: 0, skipped: 0 };

  constructor(clock: Clock, timers: Timers) {
    this.#clock = clock;
    this.#timers = timers;
  }

  /** Send a frame through `p`: now, or when its turn comes (if `live()` still holds then). */
  send(p: Pacing, send: () => void, live: () => boolean = () => true): void {
    if (p.intervalMs <= 0) {
      send();
      return;
    }
    const queue = this.#queues.get(p.key) ?? [];
    const now = this.#clock.now();
    if (queue.length === 0 && now >= (this.#next.get(p.key) ?? -Infinity)) {
      send();
      this.#next.set(p.key, now + p.intervalMs);
      return;
    }
    this.counters.delayed++;
    queue.push({ intervalMs: p.intervalMs, send, live });
    this.#queues.set(p.key, queue);
    this.#arm(p.key);
  }

  #arm(key: string): void {
    if (this.#armed.has(key)) return;
    const at = this.#next.get(key) ?? this.#clock.now();
    const h = this.#timers.setTimeout(
      () => {
        this.#armed.delete(key);
        this.#drain(key);
      },
      Math.max(0, at - this.#clock.now()),
    );
    this.#armed.set(key, h);
  }

  #drain(key: string): void {
    const queue = this.#queues.get(key) ?? [];
    for (let q = queue.shift(); q; q = queue.shift()) {
      if (!q.live()) {
        this.counters.skipped++;
        continue;
      }
      q.send();
      this.#next.set(key, this.#clock.now() + q.intervalMs);
      break;
    }
    if (queue.length > 0) this.#arm(key);
    else this.#queues.delete(key);
  }

  /** Drop every queued frame and timer (engine stop). */
  stop(): void {
    for (const h of this.#armed.values()) this.#timers.clearTimeout(h);
    this.#armed.clear();
    this.#queues.clear();
  }
}
