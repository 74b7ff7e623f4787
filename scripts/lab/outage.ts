// SPDX-License-Identifier: Apache-2.0
/**
 * When the service came back after an instant, from the client's requests (pure). The lab measures
 * a failover as the time from the kill to the sending of the first request of the unbroken run of
 * served requests that lasts until the end of the phase: a request the dying director's kernel still
 * served in its last milliseconds (its IPVS table and VIP outlive the killed daemon for a moment) is
 * followed by failures, so it does not end the outage. Requests are ordered by when they were sent,
 * not by when they ended: a request sent into the void before the backup's gratuitous ARP times out
 * a whole client timeout later, while requests sent after the ARP are already served; its end says
 * nothing about when the service came back. The failed requests' span (the first one sent to the
 * last one ended) is reported beside it as the outage seen by the most unlucky client.
 */
import type { RequestRecord } from './timeline.js';

export interface Outage {
  /** Requests sent in [from, to), and how many of them failed. */
  sent: number;
  failed: number;
  /**
   * Ms from `from` to the sending of the first request of the unbroken run of served requests that
   * lasts until `to`: every request sent in [from + backMs, to) was served and, when a request of the
   * window failed, backMs is after the last failed one was sent. Undefined when no request was sent
   * in the window or the last one sent failed: the service did not come back.
   */
  backMs: number | undefined;
  /** The failed requests of the window: ms from `from` to the first one's sending and to the last one's end. */
  failedSpan: { firstSentMs: number; lastEndMs: number } | undefined;
}

/** The outage after `from` seen by the requests sent in [from, to) (epoch ms; in any order). */
export function outage(records: readonly RequestRecord[], from: number, to: number): Outage {
  let sent = 0;
  let failed = 0;
  let firstFailSent = Infinity;
  let lastFailSent = -Infinity;
  let lastFailEnd = -Infinity;
  for (const r of records) {
    if (r.t < from || r.t >= to) continue;
    sent += 1;
    if (r.ok) continue;
    failed += 1;
    firstFailSent = Math.min(firstFailSent, r.t);
    lastFailSent = Math.max(lastFailSent, r.t);
    lastFailEnd = Math.max(lastFailEnd, r.t + r.ms);
  }
  // a served request sent in the same millisecond as the last failed one is not after it: the run
  // starts strictly later
  let back = Infinity;
  for (const r of records)
    if (r.ok && r.t >= from && r.t < to && r.t > lastFailSent) back = Math.min(back, r.t);
  return {
    sent,
    failed,
    backMs: back === Infinity ? undefined : back - from,
    failedSpan: failed > 0 ? { firstSentMs: firstFailSent - from, lastEndMs: lastFailEnd - from } : undefined,
  };
}
