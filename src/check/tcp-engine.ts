// SPDX-License-Identifier: Apache-2.0
/**
 * The port to a TCP check engine: a component that runs TCP_CHECK probes by itself, every
 * interval, and reports to the manager only results that matter (src/net/tcp-check-engine.ts runs
 * them on native threads). The manager folds each reported result through the checker state
 * machine and answers with `resume(id, nextDelay, quiet)`; `quiet` = a success would change
 * nothing, so the engine reschedules such successes without reporting them. Types only.
 */
import type { ProbeTarget } from './probe.js';
import type { ProbeResult } from './result.js';

export interface TcpEngineStats {
  /** Checks registered. */
  checks: number;
  /** Probes started since the engine started. */
  runs: number;
  /** Probes that started later than the engine's lateness threshold after they were due. */
  lateRuns: number;
  inFlight: number;
  /** Probes started in the current window, their largest and summed lateness (ms). */
  windowRuns: number;
  maxLatenessMs: number;
  sumLatenessMs: number;
  /**
   * Probes that could not start for a reason of the director's own (out of descriptors, buffers
   * or ephemeral ports): retried shortly, never counted against the real.
   */
  localErrors: number;
  /** The errno name of the last such error ('' = none). */
  lastLocalError: string;
  /** Probes the engine keeps in flight at most (bounded by the descriptor limit). */
  maxInFlight: number;
}

export type TcpResultHandler = (id: number, result: ProbeResult, latenessMs: number) => void;

export interface TcpCheckEngine {
  /** Probe `target` first after `firstDelayMs`, then `intervalMs` after each quiet success. */
  add(id: number, target: ProbeTarget, timeoutMs: number, intervalMs: number, firstDelayMs: number): void;
  /** Continue a reported (parked) check: next probe after `delayMs`. */
  resume(id: number, delayMs: number, quiet: boolean): void;
  remove(id: number): void;
  /** Counters; `newWindow` starts a new lateness window. */
  stats(newWindow: boolean): TcpEngineStats;
  /** Stop every probe and close every socket. */
  stop(): void;
}

/** Builds an engine that reports to `onResult` (injected into the manager). */
export type TcpEngineFactory = (onResult: TcpResultHandler) => TcpCheckEngine;
