// SPDX-License-Identifier: Apache-2.0
/** A TcpCheckEngine that records what the manager asks and lets a test report results. */
import type { ProbeTarget } from '../../src/check/probe.js';
import type { ProbeResult } from '../../src/check/result.js';
import type { TcpCheckEngine, TcpEngineStats, TcpResultHandler } from '../../src/check/tcp-engine.js';

export interface EngineCheck {
  target: ProbeTarget;
  timeoutMs: number;
  intervalMs: number;
  firstDelayMs: number;
  /** The last resume: next delay and quiet flag (undefined until the first one). */
  resumed?: { delayMs: number; quiet: boolean };
}

export class FakeTcpEngine implements TcpCheckEngine {
  readonly checks = new Map<number, EngineCheck>();
  readonly removed: number[] = [];
  stopped = false;
  lateRuns = 0;
  localErrors = 0;
  #onResult: TcpResultHandler = () => {};

  /** The factory to hand to the manager. */
  factory = (onResult: TcpResultHandler): TcpCheckEngine => {
    this.#onResult = onResult;
    return this;
  };

  add(id: number, target: ProbeTarget, timeoutMs: number, intervalMs: number, firstDelayMs: number): void {
    this.checks.set(id, { target, timeoutMs, intervalMs, firstDelayMs });
  }

  resume(id: number, delayMs: number, quiet: boolean): void {
    const c = this.checks.get(id);
    if (c) c.resumed = { delayMs, quiet };
  }

  remove(id: number): void {
    this.checks.delete(id);
    this.removed.push(id);
  }

  stats(): TcpEngineStats {
    return {
      checks: this.checks.size,
      runs: 0,
      lateRuns: this.lateRuns,
      inFlight: 0,
      windowRuns: 0,
      maxLatenessMs: this.lateRuns ? 900 : 0,
      sumLatenessMs: 0,
      localErrors: this.localErrors,
      lastLocalError: this.localErrors ? 'EMFILE' : '',
      maxInFlight: 4096,
    };
  }

  stop(): void {
    this.stopped = true;
  }

  /** The id of the check probing `host`. */
  idOf(host: string): number {
    for (const [id, c] of this.checks) if (c.target.host === host) return id;
    throw new Error(`no engine check for ${host}`);
  }

  /** Deliver a probe result as the native engine would. */
  report(host: string, result: ProbeResult): void {
    this.#onResult(this.idOf(host), result, 0);
  }
}
