// SPDX-License-Identifier: Apache-2.0
/**
 * What an LVS worker that hands over in place (hitless restart, SIGQUIT) leaves its successor in
 * `lvs-handoff.json`: the IPVS table, FULLNAT rules, sync daemons and `lvs_timeouts` stay in the
 * kernel, and the record says so and carries the kernel's own timeouts, which the successor puts
 * back at its real stop. Pure.
 */
import type { IpvsTimeouts } from '../ipvs/model.js';

export interface LvsHandoffRecord {
  readonly version: 1;
  /** Wall-clock time (ms since the epoch) of the handover. */
  readonly at: number;
  /** The kernel's timeouts before `lvs_timeouts` changed them; absent when lvsd had not. */
  readonly timeoutsBefore?: IpvsTimeouts;
}

function isTimeouts(x: unknown): x is IpvsTimeouts {
  const t = x as Partial<IpvsTimeouts> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    [t.tcp, t.tcpFin, t.udp].every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)
  );
}

/** Whether `x` is an LVS handoff record (it is read from a file). */
export function isLvsHandoffRecord(x: unknown): x is LvsHandoffRecord {
  const r = x as Partial<LvsHandoffRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    typeof r.at === 'number' &&
    (r.timeoutsBefore === undefined || isTimeouts(r.timeoutsBefore))
  );
}
