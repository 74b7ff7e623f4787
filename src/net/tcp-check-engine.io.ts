// SPDX-License-Identifier: Apache-2.0
/**
 * The native TCP check engine (native/tcp_check_engine.c) behind the manager's `TcpCheckEngine`
 * port: probes run on native threads, each with its own epoll set, and only results that matter
 * come back to the event loop, as one Buffer of 16-byte records per batch (id u32, errno i32,
 * lateness ms i32, pad). Errno numbers become the names node:net would give (`ECONNREFUSED`);
 * a deadline is the reason `timeout`, as for every other probe.
 */
import { availableParallelism, constants } from 'node:os';
import type { ProbeTarget } from '../check/probe.js';
import type { ProbeResult } from '../check/result.js';
import type { TcpCheckEngine, TcpEngineStats, TcpResultHandler } from '../check/tcp-engine.js';
import { addrBuffer, native } from './raw-socket.io.js';

const RECORD = 16;
const ETIMEDOUT = constants.errno.ETIMEDOUT;
const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));
const up: ProbeResult = Object.freeze({ ok: true });

export interface NativeTcpEngineOptions {
  /**
   * Probe threads. One does 10,000 probes/s at ~15 % of a CPU on a host that is not emulated; a
   * second helps where a connect is expensive (4,324 instead of 3,156 probes/s in the 2-vCPU
   * emulated VM of bench/checks) and costs nothing while idle. @default min(2, available CPUs)
   */
  threads?: number;
  /** Added to the probe threads' nice value, so folding results wins over probing. @default 5 */
  nice?: number;
  /** Probes in flight at once, per thread (also bounded by the descriptor limit). @default 4096 */
  maxInFlightPerThread?: number;
  /**
   * Probes started less than 100 ms ago and still connecting, per thread: due probes start at the
   * pace the network answers rather than in one burst. @default 256
   */
  maxYoungPerThread?: number;
  /** A probe starting this late counts as late. @default 250 */
  lateMs?: number;
}

function errnoName(err: number): string {
  return errnoNames.get(err) ?? `errno ${err}`;
}

function resultOf(err: number): ProbeResult {
  if (err === 0) return up;
  if (err === ETIMEDOUT) return { ok: false, reason: 'timeout' };
  return { ok: false, reason: errnoName(err) };
}

export function nativeTcpEngine(
  onResult: TcpResultHandler,
  opts: NativeTcpEngineOptions = {},
): TcpCheckEngine {
  const addon = native();
  const threads = opts.threads ?? Math.min(2, availableParallelism());
  let stopped = false;
  const handle = addon.tcpEngineCreate(
    (records) => {
      // A batch queued before stop() may still be delivered: nothing reaches the caller after it.
      if (stopped) return;
      for (let off = 0; off + RECORD <= records.length; off += RECORD) {
        onResult(
          records.readUInt32LE(off),
          resultOf(records.readInt32LE(off + 4)),
          records.readInt32LE(off + 8),
        );
      }
    },
    threads,
    opts.maxInFlightPerThread ?? 4096,
    opts.lateMs ?? 250,
    opts.nice ?? 5,
    opts.maxYoungPerThread ?? 256,
  );
  return {
    add(id: number, t: ProbeTarget, timeoutMs: number, intervalMs: number, firstDelayMs: number): void {
      const fam = t.family === 6 ? 'inet6' : 'inet';
      addon.tcpEngineAdd(
        handle,
        id,
        addrBuffer(t.host, fam),
        t.port,
        t.localAddress === undefined ? null : addrBuffer(t.localAddress, fam),
        t.localPort ?? 0,
        Math.max(1, Math.round(timeoutMs)),
        Math.max(1, Math.round(intervalMs)),
        Math.max(0, Math.round(firstDelayMs)),
        t.fwmark ?? 0,
        t.bindIf ?? null,
      );
    },
    resume: (id, delayMs, quiet) =>
      addon.tcpEngineResume(handle, id, Math.max(0, Math.round(delayMs)), quiet),
    remove: (id) => addon.tcpEngineRemove(handle, id),
    stats(newWindow: boolean): TcpEngineStats {
      const s = addon.tcpEngineStats(handle, newWindow);
      const n = (k: string): number => s[k] ?? 0;
      return {
        checks: n('checks'),
        runs: n('runs'),
        lateRuns: n('lateRuns'),
        inFlight: n('inFlight'),
        windowRuns: n('windowRuns'),
        maxLatenessMs: n('maxLatenessMs'),
        sumLatenessMs: n('sumLatenessMs'),
        localErrors: n('localErrors'),
        lastLocalError: n('lastLocalErrno') ? errnoName(n('lastLocalErrno')) : '',
        maxInFlight: n('maxInFlight'),
      };
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      addon.tcpEngineStop(handle);
    },
  };
}
