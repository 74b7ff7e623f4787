// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's measurements as a timeline (pure): requests per second ok and failed (by the second each
 * request was sent), each director's VRRP state as runs of equal state, and the requests of a time
 * window. Times in the inputs are epoch milliseconds; the timeline is in seconds since the lab began.
 */

/** One finished request, as scripts/lab/client.ts prints it. */
export interface RequestRecord {
  /** When it was sent (epoch ms). */
  t: number;
  /** How long it took (ms). */
  ms: number;
  ok: boolean;
  /** The real server that answered (`RS1`, `RS2`), when ok. */
  body?: string;
  /** Why it failed (`ECONNREFUSED`, `TIMEOUT`, `HTTP 503 …`), when not ok. */
  err?: string;
}

/** A director's VRRP state at one moment: `MASTER`, `BACKUP`, `FAULT`, `INIT`, or `down` (no answer). */
export interface StateSample {
  t: number;
  director: string;
  state: string;
}

export interface RatePoint {
  /** Seconds since the start. */
  t: number;
  ok: number;
  failed: number;
}

export interface StateRun {
  director: string;
  state: string;
  /** Seconds since the start. */
  from: number;
  to: number;
}

/** Requests sent in [from, to) (epoch ms), and how many of them failed. */
export function countIn(
  records: readonly RequestRecord[],
  from: number,
  to: number,
): { sent: number; failed: number } {
  let sent = 0;
  let failed = 0;
  for (const r of records) {
    if (r.t < from || r.t >= to) continue;
    sent += 1;
    if (!r.ok) failed += 1;
  }
  return { sent, failed };
}

/** Requests per second, ok and failed, one point per whole second of [start, end). */
export function ratesPerSecond(records: readonly RequestRecord[], start: number, end: number): RatePoint[] {
  const seconds = Math.max(0, Math.ceil((end - start) / 1000));
  const points: RatePoint[] = Array.from({ length: seconds }, (_, i) => ({ t: i, ok: 0, failed: 0 }));
  for (const r of records) {
    const i = Math.floor((r.t - start) / 1000);
    const p = points[i];
    if (!p) continue;
    if (r.ok) p.ok += 1;
    else p.failed += 1;
  }
  return points;
}

/**
 * Each director's samples as runs of equal state, from [start, end): a run lasts from its first
 * sample to the next sample with another state (or the end). Before a director's first sample, no run.
 */
export function stateRuns(samples: readonly StateSample[], start: number, end: number): StateRun[] {
  const runs: StateRun[] = [];
  const open = new Map<string, StateRun>();
  const sec = (t: number): number => Math.round((Math.min(Math.max(t, start), end) - start) / 100) / 10;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    const cur = open.get(s.director);
    if (cur && cur.state === s.state) continue;
    if (cur) cur.to = sec(s.t);
    const run = { director: s.director, state: s.state, from: sec(s.t), to: sec(end) };
    runs.push(run);
    open.set(s.director, run);
  }
  return runs.filter((r) => r.to > r.from);
}

/** The state of `director` at second `t` of the timeline (`down` outside every run). */
export function stateAt(runs: readonly StateRun[], director: string, t: number): string {
  const run = runs.find((r) => r.director === director && r.from <= t && t < r.to);
  return run?.state ?? 'down';
}

/** How many times each director's state changed within [from, to) (epoch ms). */
export function transitionsIn(samples: readonly StateSample[], from: number, to: number): number {
  let n = 0;
  const last = new Map<string, string>();
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    const prev = last.get(s.director);
    if (prev !== undefined && prev !== s.state && s.t >= from && s.t < to) n += 1;
    last.set(s.director, s.state);
  }
  return n;
}
