// SPDX-License-Identifier: Apache-2.0
// The metric mapping: engine snapshots (built from the engines' own counter types) to metric
// families, rendered by prom-client; each row names a series and the value it must carry.
import test from 'ava';
import type { LvsWorkerSnapshot } from '../../../src/check/status.js';
import { BucketHistogram } from '../../../src/core/histogram.js';
import { lvsFamilies } from '../../../src/metrics/lvs.js';
import { renderMetrics } from '../../../src/metrics/render.js';
import { type SupervisorView, supervisorFamilies } from '../../../src/metrics/supervisor.js';
import { vrrpFamilies } from '../../../src/metrics/vrrp.js';
import type { VrrpEngineSnapshot } from '../../../src/vrrp/engine.js';
import { LatenessHistogram, type InstanceSnapshot } from '../../../src/vrrp/instance.js';
import { newStats } from '../../../src/vrrp/stats.js';
import { DROP_REASONS } from '../../../src/vrrp/types.js';

/** `series{labels} value` lines of an exposition, by their text before the value. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function instance(over: Partial<InstanceSnapshot>): InstanceSnapshot {
  return {
    name: 'VI_WEB',
    vrid: 51,
    family: 'inet',
    state: 'master',
    effectivePriority: 150,
    drillHold: false,
    trackers: [],
    masterSrc: null,
    transitions: 2,
    vipsHeld: ['3|192.0.2.100/24'],
    vipsRestored: 0,
    routing: {},
    stats: newStats(),
    errors: { advertSend: 0, garpSend: 0, vip: 0 },
    ...over,
  };
}

function vrrpSnapshot(): VrrpEngineSnapshot {
  const stats = newStats();
  stats.advertSent = 40;
  stats.advertRcvd = 7;
  stats.priZeroSent = 1;
  stats.drops.badTtl = 3;
  const lateness = new LatenessHistogram();
  for (const ms of [0.05, 0.3, 0.3, 7, 500]) lateness.observe(ms);
  return {
    instances: [
      instance({ stats }),
      instance({
        name: 'VI_DB',
        vrid: 52,
        family: 'inet6',
        state: 'backup',
        effectivePriority: 100,
        vipsHeld: [],
      }),
    ],
    waiting: [],
    sockets: [],
    firewall: {},
    garpPacing: {},
    static: {},
    timerLateness: lateness.toJSON(),
    lastDrill: [
      {
        instance: 'VI_WEB',
        ok: true,
        peerMasterMs: 1250,
        vipsGoneMs: 1300,
        vipsAnswerMs: 1500,
        back: { ok: true, masterMs: 900 },
      },
      { instance: 'VI_DB', ok: false, error: 'no peer advert seen' },
    ],
    notify: {},
    trackers: {},
  };
}

function lvsSnapshot(): LvsWorkerSnapshot {
  const http = new BucketHistogram();
  for (const s of [0.004, 0.02, 0.02, 3]) http.observe(s);
  const sched = {
    tasks: 3,
    inFlight: 0,
    waiting: 0,
    runs: 120,
    lateRuns: 4,
    windowRuns: 5,
    maxLatenessMs: 12,
    meanLatenessMs: 3,
  };
  return {
    syncs: 9,
    syncErrors: 1,
    driftFound: 2,
    virtualServers: [
      {
        // keepalived's forms, as manager.status() gives them (check/effects.ts vsText, rsText)
        vs: '[192.0.2.100]:tcp:80',
        quorumUp: true,
        reals: [
          { rs: '[192.0.2.11]:tcp:80', alive: true, drained: false, weight: 3, checks: [] },
          { rs: '[192.0.2.12]:tcp:80', alive: false, drained: false, weight: 0, checks: [] },
        ],
      },
      {
        vs: 'FWM 7',
        quorumUp: false,
        reals: [{ rs: '[192.0.2.13]:tcp:0', alive: true, drained: true, weight: 0, checks: [] }],
      },
    ],
    scheduler: sched,
    schedulerWindow: { ...sched, maxLatenessMs: 250 },
    checkDurations: { http: http.snapshot() },
    ipvsOps: { addService: { ok: 2, error: 0 }, addDest: { ok: 5, error: 1 } },
  };
}

test('VRRP: state as one series per state, priority, counters, drops by every reason, VIPs held', async (t) => {
  const s = series(await renderMetrics([vrrpFamilies(vrrpSnapshot())]));
  const web = 'vrrp_instance="VI_WEB",vrid="51",family="inet"';
  const rows: Array<[string, number]> = [
    [`lvsd_vrrp_instance_state{${web},state="master"}`, 1],
    [`lvsd_vrrp_instance_state{${web},state="backup"}`, 0],
    [`lvsd_vrrp_instance_state{${web},state="fault"}`, 0],
    ['lvsd_vrrp_instance_state{vrrp_instance="VI_DB",vrid="52",family="inet6",state="backup"}', 1],
    ['lvsd_vrrp_instance_state{vrrp_instance="VI_DB",vrid="52",family="inet6",state="master"}', 0],
    [`lvsd_vrrp_effective_priority{${web}}`, 150],
    [`lvsd_vrrp_transitions_total{${web}}`, 2],
    [`lvsd_vrrp_adverts_sent_total{${web}}`, 40],
    [`lvsd_vrrp_adverts_received_total{${web}}`, 7],
    [`lvsd_vrrp_priority_zero_sent_total{${web}}`, 1],
    [`lvsd_vrrp_packets_dropped_total{${web},reason="badTtl"}`, 3],
    [`lvsd_vrrp_packets_dropped_total{${web},reason="authMismatch"}`, 0],
    ['lvsd_vip_held{vrrp_instance="VI_WEB",vip="192.0.2.100/24"}', 1],
  ];
  for (const [name, value] of rows) t.is(s.get(name), value, name);
  const dropSeries = [...s.keys()].filter((k) => k.startsWith(`lvsd_vrrp_packets_dropped_total{${web}`));
  t.is(dropSeries.length, DROP_REASONS.length);
  t.false([...s.keys()].some((k) => k.startsWith('lvsd_vip_held{vrrp_instance="VI_DB"')));
});

test('VRRP: timer lateness as a cumulative histogram in seconds', async (t) => {
  const s = series(await renderMetrics([vrrpFamilies(vrrpSnapshot())]));
  const rows: Array<[string, number]> = [
    ['lvsd_vrrp_timer_lateness_seconds_bucket{le="0.0001"}', 1],
    ['lvsd_vrrp_timer_lateness_seconds_bucket{le="0.0005"}', 3],
    ['lvsd_vrrp_timer_lateness_seconds_bucket{le="0.01"}', 4],
    ['lvsd_vrrp_timer_lateness_seconds_bucket{le="0.1"}', 4],
    ['lvsd_vrrp_timer_lateness_seconds_bucket{le="+Inf"}', 5],
    ['lvsd_vrrp_timer_lateness_seconds_count', 5],
  ];
  for (const [name, value] of rows) t.is(s.get(name), value, name);
  t.true(Math.abs((s.get('lvsd_vrrp_timer_lateness_seconds_sum') ?? 0) - 0.50765) < 1e-9);
});

test('VRRP: the last drill per instance, its phases in seconds', async (t) => {
  const s = series(await renderMetrics([vrrpFamilies(vrrpSnapshot())]));
  const rows: Array<[string, number]> = [
    ['lvsd_drill_last_success{vrrp_instance="VI_WEB"}', 1],
    ['lvsd_drill_last_success{vrrp_instance="VI_DB"}', 0],
    ['lvsd_drill_last_seconds{vrrp_instance="VI_WEB",phase="peer_master"}', 1.25],
    ['lvsd_drill_last_seconds{vrrp_instance="VI_WEB",phase="vips_gone"}', 1.3],
    ['lvsd_drill_last_seconds{vrrp_instance="VI_WEB",phase="vips_answer"}', 1.5],
    ['lvsd_drill_last_seconds{vrrp_instance="VI_WEB",phase="back_master"}', 0.9],
  ];
  for (const [name, value] of rows) t.is(s.get(name), value, name);
  t.false([...s.keys()].some((k) => k.startsWith('lvsd_drill_last_seconds{vrrp_instance="VI_DB"')));
});

test('LVS: quorum, reals, checks, IPVS operations by op and result', async (t) => {
  const s = series(await renderMetrics([lvsFamilies(lvsSnapshot())]));
  const r11 = 'virtual_server="tcp:192.0.2.100:80",real_server="192.0.2.11:80"';
  const r12 = 'virtual_server="tcp:192.0.2.100:80",real_server="192.0.2.12:80"';
  const rows: Array<[string, number]> = [
    ['lvsd_virtual_server_quorum{virtual_server="tcp:192.0.2.100:80"}', 1],
    ['lvsd_virtual_server_quorum{virtual_server="fwmark:7"}', 0],
    [`lvsd_real_server_up{${r11}}`, 1],
    [`lvsd_real_server_up{${r12}}`, 0],
    [`lvsd_real_server_weight{${r11}}`, 3],
    [`lvsd_real_server_weight{${r12}}`, 0],
    ['lvsd_real_server_drained{virtual_server="fwmark:7",real_server="192.0.2.13:0"}', 1],
    ['lvsd_check_runs_total', 120],
    ['lvsd_check_late_runs_total', 4],
    ['lvsd_check_lateness_seconds', 0.25],
    ['lvsd_check_duration_seconds_bucket{checker="http",le="0.005"}', 1],
    ['lvsd_check_duration_seconds_bucket{checker="http",le="0.025"}', 3],
    ['lvsd_check_duration_seconds_bucket{checker="http",le="2.5"}', 3],
    ['lvsd_check_duration_seconds_bucket{checker="http",le="5"}', 4],
    ['lvsd_check_duration_seconds_bucket{checker="http",le="+Inf"}', 4],
    ['lvsd_check_duration_seconds_count{checker="http"}', 4],
    ['lvsd_ipvs_operations_total{op="addDest",result="ok"}', 5],
    ['lvsd_ipvs_operations_total{op="addDest",result="error"}', 1],
    ['lvsd_ipvs_operations_total{op="addService",result="ok"}', 2],
    ['lvsd_ipvs_syncs_total{result="ok"}', 9],
    ['lvsd_ipvs_syncs_total{result="error"}', 1],
    ['lvsd_ipvs_drift_found_total', 2],
  ];
  for (const [name, value] of rows) t.is(s.get(name), value, name);
});

/** The supervisor of a daemon that has not reloaded yet, started at 1,796,000,000. */
const supervisor: SupervisorView = {
  version: '0.1.0',
  node: 'v20.0.0',
  reloads: { success: 0, invalid: 0, failed: 0 },
  lastReloadOk: true,
  reloadTimes: { lastSeconds: undefined, lastSuccessAt: 1_796_000_000 },
  workers: [],
};

test('one exposition of every source: families merged by name, each with one HELP and TYPE', async (t) => {
  const own = supervisorFamilies({
    ...supervisor,
    reloads: { success: 3, invalid: 1, failed: 0 },
    lastReloadOk: false,
    reloadTimes: { lastSeconds: 0.042, lastSuccessAt: 1_796_000_000.5 },
    workers: [
      { name: 'vrrp', restarts: 0, answered: true },
      { name: 'lvs', restarts: 2, answered: false },
    ],
  });
  const text = await renderMetrics([own, vrrpFamilies(vrrpSnapshot()), lvsFamilies(lvsSnapshot())]);
  const s = series(text);
  const rows: Array<[string, number]> = [
    ['lvsd_build_info{version="0.1.0",node="v20.0.0"}', 1],
    ['lvsd_config_reloads_total{result="success"}', 3],
    ['lvsd_config_reloads_total{result="invalid"}', 1],
    ['lvsd_config_reloads_total{result="failed"}', 0],
    ['lvsd_config_last_reload_successful', 0],
    ['lvsd_config_last_reload_success_timestamp_seconds', 1_796_000_000.5],
    ['lvsd_config_last_reload_duration_seconds', 0.042],
    ['lvsd_worker_restarts_total{worker="lvs"}', 2],
    ['lvsd_worker_up{worker="vrrp"}', 1],
    ['lvsd_worker_up{worker="lvs"}', 0],
  ];
  for (const [name, value] of rows) t.is(s.get(name), value, name);
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  t.is(new Set(types).size, types.length);
  t.true(types.includes('# TYPE lvsd_vrrp_timer_lateness_seconds histogram'));
  t.true(types.includes('# TYPE lvsd_ipvs_operations_total counter'));
});

test('before any reload: the last success is the start, and no reload duration is reported', async (t) => {
  const own = supervisorFamilies(supervisor);
  const text = await renderMetrics([own]);
  const s = series(text);
  t.is(s.get('lvsd_config_last_reload_success_timestamp_seconds'), 1_796_000_000);
  t.false([...s.keys()].some((k) => k.startsWith('lvsd_config_last_reload_duration_seconds')));
});

test('a label value with quotes, backslashes and a newline stays one well-formed series', async (t) => {
  const snap = lvsSnapshot();
  snap.virtualServers = [{ vs: 'group "a\\b"\nx', quorumUp: true, reals: [] }];
  const text = await renderMetrics([lvsFamilies(snap)]);
  t.true(text.includes('lvsd_virtual_server_quorum{virtual_server="group \\"a\\\\b\\"\\nx"} 1'));
});

test('the shipped dashboard and alert rules name only metrics lvsd exports', async (t) => {
  const { readFileSync } = await import('node:fs');
  const root = new URL('../../../../', import.meta.url);
  const own = supervisorFamilies({ ...supervisor, reloadTimes: { lastSeconds: 0.1, lastSuccessAt: 0 } });
  const names = new Set(
    [...own, ...vrrpFamilies(vrrpSnapshot()), ...lvsFamilies(lvsSnapshot())].map((f) => f.name),
  );
  for (const file of ['etc/grafana/lvsd-dashboard.json', 'etc/prometheus/lvsd-alerts.yml']) {
    const used = new Set(readFileSync(new URL(file, root), 'utf8').match(/lvsd_[a-z_]+/g) ?? []);
    for (const n of used) {
      const base = n.replace(/_(bucket|sum|count)$/, '');
      t.true(names.has(n) || names.has(base), `${file}: ${n}`);
    }
    t.true(used.size > 5, file);
  }
});

test('LVS with BGP announcements: each VIP, the drain, refusals, the sessions; none without BGP', async (t) => {
  const snap = lvsSnapshot();
  const none = series(await renderMetrics([lvsFamilies(snap)]));
  t.false([...none.keys()].some((k) => k.startsWith('lvsd_bgp_')));
  snap.bgp = {
    table: 100,
    drained: true,
    failures: 2,
    vips: [
      {
        vip: '192.0.2.100',
        family: 'inet',
        announced: false,
        wanted: false,
        reason: 'drained',
        services: [],
        withoutQuorum: [],
        changes: 2,
      },
      {
        vip: '2001:db8::1',
        family: 'inet6',
        announced: true,
        wanted: true,
        services: [],
        withoutQuorum: [],
        changes: 1,
      },
    ],
    sessions: [{ name: 'uplink', state: 'up', established: true, info: 'Established' }],
  };
  const s = series(await renderMetrics([lvsFamilies(snap)]));
  const rows: Array<[string, number]> = [
    ['lvsd_bgp_vip_announced{vip="192.0.2.100"}', 0],
    ['lvsd_bgp_vip_announced{vip="2001:db8::1"}', 1],
    ['lvsd_bgp_director_drained', 1],
    ['lvsd_bgp_announcer_failures_total', 2],
    ['lvsd_bgp_session_established{session="uplink"}', 1],
  ];
  for (const [name, value] of rows) t.is(s.get(name), value, name);
});
