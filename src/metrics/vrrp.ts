// SPDX-License-Identifier: Apache-2.0
/**
 * The VRRP worker's metrics, from its snapshot (`VrrpEngine.snapshot()`, the reply to `status` on
 * `vrrp.sock`): per instance its state (one series per state, 1 for the current one), effective
 * priority, transitions, adverts, priority-0 adverts, drops by reason and the VIPs it holds; the
 * process's timer lateness as a histogram; the last failover drill per instance. The label for the
 * instance is `vrrp_instance` (Prometheus adds `instance` for the scrape target). Pure.
 */
import type { VrrpEngineSnapshot } from '../vrrp/engine.js';
import { DROP_REASONS, type VrrpStateName } from '../vrrp/types.js';
import { bool, family, histogram, sample, type MetricFamily } from './family.js';

/** The states a `lvsd_vrrp_instance_state` series exists for. */
const STATES: readonly VrrpStateName[] = ['init', 'backup', 'master', 'fault', 'stop'];

/** The lateness buckets' keys in the snapshot (`le0.1` ms ...), as bounds in seconds. */
function latenessBuckets(b: Readonly<Record<string, number>>): { bounds: number[]; counts: number[] } {
  const bounds: number[] = [];
  const counts: number[] = [];
  for (const [k, n] of Object.entries(b)) {
    if (k === 'inf') continue;
    bounds.push(Number(k.slice(2)) / 1000);
    counts.push(n);
  }
  counts.push(b['inf'] ?? 0);
  return { bounds, counts };
}

/** The drill's measured phases, as `phase` label values. */
const DRILL_PHASES = [
  ['peer_master', 'peerMasterMs'],
  ['vips_gone', 'vipsGoneMs'],
  ['vips_answer', 'vipsAnswerMs'],
] as const;

function drillFamilies(s: VrrpEngineSnapshot): MetricFamily[] {
  const ok = family(
    'lvsd_drill_last_success',
    'gauge',
    'Whether the last failover drill of the instance succeeded (1) or not (0).',
  );
  const secs = family(
    'lvsd_drill_last_seconds',
    'gauge',
    "The last failover drill's measured times: peer_master, vips_gone, vips_answer (from the hand-over), back_master (from the release).",
  );
  for (const r of s.lastDrill ?? []) {
    if (r.instance === '-') continue;
    const l = { vrrp_instance: r.instance };
    sample(ok, bool(r.ok), l);
    for (const [phase, key] of DRILL_PHASES) {
      const ms = r[key];
      if (ms !== undefined) sample(secs, ms / 1000, { ...l, phase });
    }
    if (r.back?.masterMs !== undefined) sample(secs, r.back.masterMs / 1000, { ...l, phase: 'back_master' });
  }
  return [ok, secs];
}

export function vrrpFamilies(s: VrrpEngineSnapshot): MetricFamily[] {
  const state = family(
    'lvsd_vrrp_instance_state',
    'gauge',
    'VRRP state of the instance: 1 for the state it is in, 0 for the others.',
  );
  const prio = family(
    'lvsd_vrrp_effective_priority',
    'gauge',
    'Priority the instance advertises now (base priority with tracking applied).',
  );
  const transitions = family('lvsd_vrrp_transitions_total', 'counter', 'VRRP state changes of the instance.');
  const sent = family('lvsd_vrrp_adverts_sent_total', 'counter', 'VRRP adverts sent (priority 0 included).');
  const rcvd = family('lvsd_vrrp_adverts_received_total', 'counter', 'Valid VRRP adverts received.');
  const zeroSent = family(
    'lvsd_vrrp_priority_zero_sent_total',
    'counter',
    'Priority-0 adverts sent (releasing mastership).',
  );
  const zeroRcvd = family(
    'lvsd_vrrp_priority_zero_received_total',
    'counter',
    'Priority-0 adverts received (the master released).',
  );
  const drops = family(
    'lvsd_vrrp_packets_dropped_total',
    'counter',
    'VRRP packets for the instance dropped, by reason.',
  );
  const vips = family(
    'lvsd_vip_held',
    'gauge',
    'A virtual IP address this director holds now for the instance (1; absent when not held).',
  );
  for (const i of s.instances) {
    const l = { vrrp_instance: i.name, vrid: i.vrid, family: i.family };
    for (const st of STATES) sample(state, bool(i.state === st), { ...l, state: st });
    sample(prio, i.effectivePriority, l);
    sample(transitions, i.transitions, l);
    sample(sent, i.stats.advertSent, l);
    sample(rcvd, i.stats.advertRcvd, l);
    sample(zeroSent, i.stats.priZeroSent, l);
    sample(zeroRcvd, i.stats.priZeroRcvd, l);
    for (const reason of DROP_REASONS) sample(drops, i.stats.drops[reason] ?? 0, { ...l, reason });
    for (const v of i.vipsHeld) sample(vips, 1, { vrrp_instance: i.name, vip: v.slice(v.indexOf('|') + 1) });
  }
  const t = s.timerLateness;
  const lateness = histogram(
    family(
      'lvsd_vrrp_timer_lateness_seconds',
      'histogram',
      'How late the VRRP timers fired (every instance of the worker).',
    ),
    { ...latenessBuckets(t.buckets), sum: (t.meanMs * t.count) / 1000 },
  );
  return [
    state,
    prio,
    transitions,
    sent,
    rcvd,
    zeroSent,
    zeroRcvd,
    drops,
    vips,
    lateness,
    ...drillFamilies(s),
  ];
}
