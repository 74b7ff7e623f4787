// SPDX-License-Identifier: Apache-2.0
/**
 * The LVS worker's metrics, from its snapshot (`LvsWorkerSnapshot`, the reply to `status` on
 * `lvsd.sock`): quorum per virtual server; state, weight and drain per real server; check runs,
 * late runs, lateness and probe durations; kernel operations by op and result, and sync rounds;
 * the BGP announcements (each VIP, the drain, the engine's sessions).
 * Virtual and real servers are labelled as `lvsd status` prints them (`tcp:192.0.2.1:80`,
 * `fwmark:7`, `192.0.2.11:80`; the snapshot has keepalived's `[192.0.2.1]:tcp:80`), so a series can
 * be pasted into `lvsd real drain` and joins the kernel's `lvsd_ipvs_*` series. Pure.
 */
import type { LvsWorkerSnapshot } from '../check/status.js';
import { realServerText, virtualServerText } from '../core/server-ref.js';
import { bool, family, histogram, sample, type MetricFamily } from './family.js';

function serverFamilies(s: LvsWorkerSnapshot): MetricFamily[] {
  const quorum = family(
    'lvsd_virtual_server_quorum',
    'gauge',
    'Whether the virtual server has its quorum (1) or not (0).',
  );
  const up = family(
    'lvsd_real_server_up',
    'gauge',
    'Whether the real server passes its checks (1) or not (0).',
  );
  const weight = family(
    'lvsd_real_server_weight',
    'gauge',
    'Weight of the real server as lvsd wants it in the kernel (0 when down or drained).',
  );
  const drained = family(
    'lvsd_real_server_drained',
    'gauge',
    'Whether the real server is drained by `lvsd real drain` (1) or not (0).',
  );
  for (const vs of s.virtualServers) {
    const vsLabel = virtualServerText(vs.vs);
    sample(quorum, bool(vs.quorumUp), { virtual_server: vsLabel });
    for (const r of vs.reals) {
      const l = { virtual_server: vsLabel, real_server: realServerText(r.rs) };
      sample(up, bool(r.alive), l);
      sample(weight, r.weight, l);
      sample(drained, bool(r.drained), l);
    }
  }
  return [quorum, up, weight, drained];
}

function checkFamilies(s: LvsWorkerSnapshot): MetricFamily[] {
  const runs = sample(
    family(
      'lvsd_check_runs_total',
      'counter',
      'Health-check probes started (the event loop and the TCP engine).',
    ),
    s.scheduler.runs,
  );
  const late = sample(
    family(
      'lvsd_check_late_runs_total',
      'counter',
      'Health-check probes that started late (past the lateness threshold).',
    ),
    s.scheduler.lateRuns,
  );
  const lateness = sample(
    family(
      'lvsd_check_lateness_seconds',
      'gauge',
      'Largest lateness of a probe start in the last complete ten-second window.',
    ),
    s.schedulerWindow.maxLatenessMs / 1000,
  );
  const duration = family(
    'lvsd_check_duration_seconds',
    'histogram',
    'How long health-check probes took, by checker kind (probes run on the event loop; TCP_CHECK on the native engine reports none).',
  );
  for (const [checker, h] of Object.entries(s.checkDurations)) histogram(duration, h, { checker });
  return [runs, late, lateness, duration];
}

function ipvsFamilies(s: LvsWorkerSnapshot): MetricFamily[] {
  const ops = family(
    'lvsd_ipvs_operations_total',
    'counter',
    'IPVS operations lvsd asked of the kernel, by op and result (ok, error).',
  );
  for (const [op, n] of Object.entries(s.ipvsOps)) {
    sample(ops, n.ok, { op, result: 'ok' });
    sample(ops, n.error, { op, result: 'error' });
  }
  const syncs = family(
    'lvsd_ipvs_syncs_total',
    'counter',
    'Rounds that brought the kernel to the desired table (ok) or failed and will be retried (error).',
  );
  sample(syncs, s.syncs, { result: 'ok' });
  sample(syncs, s.syncErrors, { result: 'error' });
  const drift = family(
    'lvsd_ipvs_drift_found_total',
    'counter',
    "Drift checks that found lvsd's services changed in the kernel behind its back (each repaired by reading the kernel again).",
  );
  sample(drift, s.driftFound);
  return [ops, syncs, drift];
}

/** The BGP announcements (absent without `lvsd_bgp_table`). */
function bgpFamilies(s: LvsWorkerSnapshot): MetricFamily[] {
  const b = s.bgp;
  if (!b) return [];
  const announced = family(
    'lvsd_bgp_vip_announced',
    'gauge',
    'Whether the VIP is announced over BGP (1: its route is in lvsd_bgp_table) or withdrawn (0).',
  );
  for (const v of b.vips) sample(announced, bool(v.announced), { vip: v.vip });
  const drained = sample(
    family('lvsd_bgp_director_drained', 'gauge', 'Whether `lvsd drain` is in force (1) or not (0).'),
    bool(b.drained),
  );
  const failures = sample(
    family(
      'lvsd_bgp_announcer_failures_total',
      'counter',
      'Announcements and withdrawals the kernel refused.',
    ),
    b.failures,
  );
  const sessions = family(
    'lvsd_bgp_session_established',
    'gauge',
    "Whether the BGP engine's session is established (1) or not (0), as its control socket reports it.",
  );
  for (const x of b.sessions ?? []) sample(sessions, bool(x.established), { session: x.name });
  return [announced, drained, failures, sessions];
}

export function lvsFamilies(s: LvsWorkerSnapshot): MetricFamily[] {
  return [...serverFamilies(s), ...checkFamilies(s), ...ipvsFamilies(s), ...bgpFamilies(s)];
}
