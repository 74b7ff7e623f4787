// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's phases (I/O, shared by the VRRP walk, walk.io.ts, and the ECMP walk, ecmp-walk.io.ts):
 * a phase acts, waits for the outcome it measures, reports one progress line, then lets traffic run
 * for `dwellMs` so the timeline shows the steady state after it. A phase lasts until the next one
 * starts. `serviceBack` waits for the client's requests to show the service back after an instant.
 */
import { sleep } from '../../test/vm/e2e/ha-lab.js';
import { outage } from './outage.js';
import type { ReportMeasure } from './report.js';
import { failureReasons } from './report.js';
import type { Traffic } from './traffic.io.js';

export interface LabPhase<K extends string> {
  key: K;
  title: string;
  /** Epoch ms: when the phase's action began, and when the next phase began (or traffic stopped). */
  start: number;
  end: number;
  measures: ReportMeasure[];
  notes: string[];
}

/** What every walk has: the traffic, the phases so far and how to report them. */
export interface PhaseRun<K extends string> {
  traffic: Traffic;
  dwellMs: number;
  /** The client's request timeout: a request sent before an instant has finished this long after it. */
  requestTimeoutMs: number;
  phases: Array<LabPhase<K>>;
  progress(phase: LabPhase<K>): void;
  /** Throw after this phase (tests: the lab must clean up when it fails). */
  failAfter?: string;
}

/**
 * Long enough an unbroken run of served requests to call the service back while the walk goes on
 * (the report takes the figure again over the whole phase, settleServiceBack): 2 s is 20 requests at
 * the default rate, and a VIP flapping between directors breaks a run within that.
 */
const steadyMs = 2000;

/**
 * Wait until the service is back after `from` (outage.ts) and has stayed back `steadyMs`, judged on
 * the requests sent before now − (request timeout + 500 ms), which have all ended; its `backMs`.
 * Throws, saying what failed, when that has not happened within `timeoutMs` (failures never stop)
 * or the client died: the lab then fails and cleans up.
 */
export async function serviceBack(
  w: PhaseRun<string>,
  from: number,
  after: string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const broken = w.traffic.failed();
    if (broken) throw new Error(broken);
    const settled = Date.now() - w.requestTimeoutMs - 500;
    const o = outage(w.traffic.records, from, settled);
    if (o.backMs !== undefined && settled - (from + o.backMs) >= steadyMs) return o.backMs;
    if (Date.now() > deadline) {
      const run = o.backMs === undefined ? 'none' : `one from ${o.backMs} ms, too short`;
      throw new Error(
        `service not back after ${after} (waited ${timeoutMs / 1000} s): ${o.failed} of the ${o.sent} requests ` +
          `sent since failed (${failureReasons(w.traffic.records, from, settled) || 'none'}); ` +
          `unbroken run of served requests lasting ${steadyMs} ms: ${run}`,
      );
    }
    await sleep(100);
  }
}

export async function phase<K extends string>(
  w: PhaseRun<K>,
  key: K,
  title: string,
  body: (p: LabPhase<K>) => Promise<void>,
): Promise<LabPhase<K>> {
  const p: LabPhase<K> = { key, title, start: Date.now(), end: 0, measures: [], notes: [] };
  const prev = w.phases[w.phases.length - 1];
  if (prev) prev.end = p.start;
  w.phases.push(p);
  await body(p);
  w.progress(p);
  if (w.failAfter === key) throw new Error(`--fail-after ${key}: failing on purpose`);
  await sleep(w.dwellMs);
  const broken = w.traffic.failed();
  if (broken) throw new Error(broken);
  return p;
}

/** Record `what` as the time from the phase's start until now. */
export function measured(p: LabPhase<string>, what: string): void {
  p.measures.push({ what, ms: Date.now() - p.start });
}
