// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's report (pure): each phase with when it began, what was measured and the requests sent
 * and failed while it lasted; both directors' `lvsd status`; and the closing line
 * `lab: failover X ms, N requests failed, preempt back Y ms` (the ECMP lab's: `lab ecmp: …`).
 */
import { outage } from './outage.js';
import type { RequestRecord } from './timeline.js';
import { countIn } from './timeline.js';

export interface ReportPhase {
  key: string;
  title: string;
  start: number;
  end: number;
  measures: ReadonlyArray<ReportMeasure>;
  notes: readonly string[];
}

export interface ReportMeasure {
  what: string;
  ms: number;
  /** The figure the closing `lab:` line quotes for this phase. */
  headline?: true;
  /**
   * The service back after the phase's start (outage.ts `backMs`): the walk takes it while later
   * requests are still in flight, `settleServiceBack` takes it again over the whole phase.
   */
  serviceBack?: true;
}

/** The figures of the closing line. */
export interface Headline {
  failoverMs: number;
  failedRequests: number;
  preemptMs: number;
}

/** The closing line; `labLinePattern` matches exactly this. */
export function labLine(h: Headline): string {
  return `lab: failover ${h.failoverMs} ms, ${h.failedRequests} requests failed, preempt back ${h.preemptMs} ms`;
}

export const labLinePattern = /^lab: failover (\d+) ms, (\d+) requests failed, preempt back (\d+) ms$/;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * The headline from the phases: the failover phase's headline measure (service back through the
 * backup), the requests that failed while that phase lasted, and the preempt phase's headline
 * measure (the preemption itself).
 */
export function headline(phases: readonly ReportPhase[], records: readonly RequestRecord[]): Headline {
  const fo = headlineOf(phases, 'failover');
  return {
    failoverMs: fo.ms,
    failedRequests: countIn(records, fo.phase.start, fo.phase.end).failed,
    preemptMs: headlineOf(phases, 'preempt').ms,
  };
}

/** The phase `key` and its measure marked `headline` (by default) or the one named `what`. */
function headlineOf(
  phases: readonly ReportPhase[],
  key: string,
  what?: RegExp,
): { phase: ReportPhase; ms: number } {
  const phase = phases.find((x) => x.key === key);
  const m = phase?.measures.find((x) => (what ? what.test(x.what) : x.headline));
  if (!phase || !m) throw new Error(`no ${key} phase measured`);
  return { phase, ms: m.ms };
}

/** The figures of the ECMP lab's closing line. */
export interface EcmpHeadline {
  /** A director died: the service back (unbroken run of served requests), and the requests that failed. */
  lostMs: number;
  failedRequests: number;
  /** When the router dropped the dead director. */
  droppedMs: number;
  /** `lvsd drain`: when the router dropped the drained director, and the requests that failed meanwhile. */
  drainMs: number;
  drainFailed: number;
}

export function ecmpLabLine(h: EcmpHeadline): string {
  return (
    `lab ecmp: director lost ${h.lostMs} ms, ${h.failedRequests} requests failed, ` +
    `router dropped it ${h.droppedMs} ms, drain ${h.drainMs} ms with ${h.drainFailed} requests failed`
  );
}

export const ecmpLabLinePattern =
  /^lab ecmp: director lost (\d+) ms, (\d+) requests failed, router dropped it (\d+) ms, drain (\d+) ms with (\d+) requests failed$/;

/** The ECMP headline from the phases `killed` and `drain` (ecmp-walk.io.ts). */
export function ecmpHeadline(
  phases: readonly ReportPhase[],
  records: readonly RequestRecord[],
): EcmpHeadline {
  const lost = headlineOf(phases, 'killed');
  const drain = headlineOf(phases, 'drain', /^the router drops/);
  return {
    lostMs: lost.ms,
    failedRequests: countIn(records, lost.phase.start, lost.phase.end).failed,
    droppedMs: headlineOf(phases, 'killed', /^the router drops/).ms,
    drainMs: drain.ms,
    drainFailed: countIn(records, drain.phase.start, drain.phase.end).failed,
  };
}

/** Why requests failed, most frequent first: `TIMEOUT x12, ECONNREFUSED x3`. */
export function failureReasons(records: readonly RequestRecord[], from: number, to: number): string {
  const by = new Map<string, number>();
  for (const r of records)
    if (!r.ok && r.t >= from && r.t < to) by.set(r.err ?? '?', (by.get(r.err ?? '?') ?? 0) + 1);
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} x${v}`)
    .join(', ');
}

/**
 * The phases with each service-back measure taken again over its whole phase, now that every
 * request has ended (the walk took it while requests were in flight, and failures may have come
 * after it), and a note with the failed requests' span. Throws when the last request sent in such a
 * phase that also ended in it failed (or none was sent): the service was not back when the phase
 * ended. A request still in flight when the next phase began is left out of that judgement (it is
 * counted with the phase's failures all the same): its fate is the next phase's doing, as a request
 * a real server was answering when the next phase stopped it.
 */
export function settleServiceBack<P extends ReportPhase>(
  phases: readonly P[],
  records: readonly RequestRecord[],
): P[] {
  return phases.map((p, i) => {
    if (!p.measures.some((m) => m.serviceBack)) return p;
    const o = outage(
      records.filter((r) => r.t + r.ms <= p.end),
      p.start,
      p.end,
    );
    const back = o.backMs;
    if (back === undefined) {
      const why =
        o.sent === 0 ? 'no request was sent in it' : 'the last request sent in it that ended in it failed';
      throw new Error(
        `phase ${i + 1} (${p.title}): the service was not back when the phase ended: ${why} ` +
          `(${o.failed} of ${o.sent} failed: ${failureReasons(records, p.start, p.end) || 'none'})`,
      );
    }
    const span = o.failedSpan
      ? [
          `failed requests: the first sent at ${o.failedSpan.firstSentMs} ms, the last ended at ${o.failedSpan.lastEndMs} ms`,
        ]
      : [];
    return {
      ...p,
      measures: p.measures.map((m) => (m.serviceBack ? { ...m, ms: back } : m)),
      notes: [...span, ...p.notes],
    };
  });
}

export interface ReportInput {
  heading: string;
  t0: number;
  phases: readonly ReportPhase[];
  records: readonly RequestRecord[];
  status: Readonly<Record<string, string>>;
  files: readonly string[];
}

export function formatReport(r: ReportInput): string {
  const out: string[] = [r.heading, ''];
  const served = new Map<string, number>();
  for (const q of r.records) if (q.ok && q.body) served.set(q.body, (served.get(q.body) ?? 0) + 1);
  out.push(`phase                                                  began     sent  failed`);
  for (const [i, p] of r.phases.entries()) {
    const c = countIn(r.records, p.start, p.end);
    out.push(
      `${`${i + 1}. ${p.title}`.padEnd(52)} ${seconds(p.start - r.t0).padStart(8)} ${String(c.sent).padStart(7)} ${String(c.failed).padStart(7)}`,
    );
    for (const m of p.measures) out.push(`     ${m.what.padEnd(50)} ${String(m.ms).padStart(7)} ms`);
    const why = failureReasons(r.records, p.start, p.end);
    if (why) out.push(`     failed requests: ${why}`);
    for (const n of p.notes) out.push(`     ${n}`);
  }
  const total = countIn(r.records, -Infinity, Infinity);
  const by = [...served.entries()].sort().map(([k, v]) => `${k} ${v}`);
  out.push(
    '',
    `all requests: ${total.sent} sent, ${total.failed} failed; served by ${by.join(', ') || 'none'}`,
  );
  for (const [d, s] of Object.entries(r.status)) out.push('', `--- lvsd status on ${d}`, s.trimEnd());
  out.push('', ...r.files);
  return out.join('\n');
}
