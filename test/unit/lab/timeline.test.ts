// SPDX-License-Identifier: Apache-2.0
// The lab's pure parts: requests per second, VRRP state runs, the report's counts and the closing
// `lab:` line, on a made-up run where the master dies at 10 s and comes back at 20 s.
import test from 'ava';
import {
  ecmpHeadline,
  ecmpLabLine,
  ecmpLabLinePattern,
  formatReport,
  headline,
  labLine,
  labLinePattern,
  settleServiceBack,
  type ReportPhase,
} from '../../../scripts/lab/report.js';
import type { RequestRecord, StateSample } from '../../../scripts/lab/timeline.js';
import { countIn, ratesPerSecond, stateAt, stateRuns, transitionsIn } from '../../../scripts/lab/timeline.js';

const t0 = 1_000_000;
/** 10 requests a second for 30 s; those sent in [10 s, 12.5 s) fail. */
const records: RequestRecord[] = Array.from({ length: 300 }, (_, i) => {
  const t = t0 + i * 100;
  const ok = !(t >= t0 + 10_000 && t < t0 + 12_500);
  return ok ? { t, ms: 3, ok, body: i % 2 ? 'RS1' : 'RS2' } : { t, ms: 1000, ok, err: 'TIMEOUT' };
});
const samples: StateSample[] = [];
for (let t = t0; t < t0 + 30_000; t += 250) {
  samples.push({
    t,
    director: 'lvs1',
    state: t < t0 + 10_000 ? 'MASTER' : t < t0 + 20_000 ? 'down' : 'MASTER',
  });
  samples.push({
    t,
    director: 'lvs2',
    state: t >= t0 + 12_000 && t < t0 + 20_500 ? 'MASTER' : 'BACKUP',
  });
}

test('requests per second count ok and failed by the second they were sent', (t) => {
  const r = ratesPerSecond(records, t0, t0 + 30_000);
  t.is(r.length, 30);
  t.deepEqual(r[0], { t: 0, ok: 10, failed: 0 });
  t.deepEqual(r[10], { t: 10, ok: 0, failed: 10 });
  t.deepEqual(r[12], { t: 12, ok: 5, failed: 5 });
  t.deepEqual(countIn(records, t0 + 10_000, t0 + 13_000), { sent: 30, failed: 25 });
  t.is(
    r.reduce((s, p) => s + p.ok + p.failed, 0),
    300,
  );
});

test('state runs: one run per stretch of equal state, in seconds since the start', (t) => {
  const runs = stateRuns(samples, t0, t0 + 30_000);
  t.deepEqual(
    runs.filter((r) => r.director === 'lvs1'),
    [
      { director: 'lvs1', state: 'MASTER', from: 0, to: 10 },
      { director: 'lvs1', state: 'down', from: 10, to: 20 },
      { director: 'lvs1', state: 'MASTER', from: 20, to: 30 },
    ],
  );
  t.is(stateAt(runs, 'lvs2', 15), 'MASTER');
  t.is(stateAt(runs, 'lvs2', 25), 'BACKUP');
  t.is(stateAt(runs, 'lvs3', 5), 'down');
  t.is(transitionsIn(samples, t0, t0 + 30_000), 4);
  t.is(transitionsIn(samples, t0, t0 + 9_000), 0);
});

const phases: ReportPhase[] = [
  {
    key: 'election',
    title: 'election',
    start: t0,
    end: t0 + 10_000,
    measures: [{ what: 'm', ms: 50 }],
    notes: [],
  },
  {
    key: 'failover',
    title: 'master killed',
    start: t0 + 10_000,
    end: t0 + 20_000,
    measures: [
      { what: 'lvs2 holds both VIPs', ms: 2000 },
      { what: 'service back', ms: 2500, headline: true as const },
      { what: 'later', ms: 9000 },
    ],
    notes: [],
  },
  {
    key: 'preempt',
    title: 'preempt',
    start: t0 + 20_000,
    end: t0 + 30_000,
    measures: [
      { what: 'answering', ms: 5000 },
      { what: 'back', ms: 800, headline: true as const },
    ],
    notes: ['x'],
  },
];

test('the lab line: failover = the last failover measure, its failed requests, the preempt time', (t) => {
  const h = headline(phases, records);
  t.deepEqual(h, { failoverMs: 2500, failedRequests: 25, preemptMs: 800 });
  t.throws(() => headline([phases[0]!, phases[1]!], records), { message: /no preempt phase/ });
  const line = labLine(h);
  t.is(line, 'lab: failover 2500 ms, 25 requests failed, preempt back 800 ms');
  t.regex(line, labLinePattern);
  t.throws(() => headline(phases.slice(0, 1), records), { message: /no failover phase/ });
});

test("the ECMP lab line: the dead director's service back and drop, the drain and their failed requests", (t) => {
  const ecmp: ReportPhase[] = [
    {
      key: 'drain',
      title: 'lvsd drain on d2',
      start: t0 + 20_000,
      end: t0 + 30_000,
      measures: [{ what: 'the router drops d2 (drained, withdrawn)', ms: 1200 }],
      notes: [],
    },
    {
      key: 'killed',
      title: 'd3 dies',
      start: t0 + 10_000,
      end: t0 + 20_000,
      measures: [
        { what: 'the router drops d3 (BGP hold time 3 s)', ms: 3100 },
        { what: 'service back', ms: 2500, headline: true as const },
      ],
      notes: [],
    },
  ];
  const h = ecmpHeadline(ecmp, records);
  t.deepEqual(h, { lostMs: 2500, failedRequests: 25, droppedMs: 3100, drainMs: 1200, drainFailed: 0 });
  const line = ecmpLabLine(h);
  t.is(
    line,
    'lab ecmp: director lost 2500 ms, 25 requests failed, router dropped it 3100 ms, drain 1200 ms with 0 requests failed',
  );
  t.regex(line, ecmpLabLinePattern);
  t.notRegex(line, labLinePattern);
  t.throws(() => ecmpHeadline(ecmp.slice(1), records), { message: /no drain phase/ });
});

test('the report lists each phase with its requests sent and failed and why they failed', (t) => {
  const text = formatReport({
    heading: 'H',
    t0,
    phases,
    records,
    status: { lvs1: 'VRRP\n  VI_EXT MASTER\n' },
    files: ['timeline: x.svg'],
  });
  t.regex(text, /2\. master killed\s+10\.0 s\s+100\s+25\n/);
  t.regex(text, /failed requests: TIMEOUT x25/);
  t.regex(text, /all requests: 300 sent, 25 failed; served by RS1 \d+, RS2 \d+/);
  t.regex(text, /--- lvsd status on lvs1\nVRRP\n {2}VI_EXT MASTER/);
  t.notRegex(text, /^lab:/m);
});

test('settling: the service-back measure is taken again over the whole phase, with the failed span', (t) => {
  // the walk took it at 300 ms: a request the dying director served, before the failures ended
  const live = phases.map((p) =>
    p.key === 'failover'
      ? {
          ...p,
          measures: p.measures.map((m) => (m.headline ? { ...m, ms: 300, serviceBack: true as const } : m)),
        }
      : p,
  );
  const settled = settleServiceBack(live, records);
  const fo = settled.find((p) => p.key === 'failover')!;
  t.is(fo.measures.find((m) => m.serviceBack)?.ms, 2500);
  t.deepEqual(
    fo.measures.map((m) => m.what),
    ['lvs2 holds both VIPs', 'service back', 'later'],
  );
  t.is(fo.notes[0], 'failed requests: the first sent at 0 ms, the last ended at 3400 ms');
  t.is(headline(settled, records).failoverMs, 2500);
  t.is(settled[0], live[0], 'a phase without a service-back measure is left alone');
  // failures that never stopped: the last request of the phase failed
  const failing = [...records, { t: t0 + 19_950, ms: 20, ok: false, err: 'ECONNREFUSED' }];
  t.throws(() => settleServiceBack(live, failing), {
    message:
      /^phase 2 \(master killed\): the service was not back when the phase ended: the last request sent in it that ended in it failed \(26 of 101 failed: TIMEOUT x25, ECONNREFUSED x1\)$/,
  });
});

test('settling: a request in flight when the next phase began does not decide whether the service was back', (t) => {
  const live = phases.map((p) =>
    p.key === 'failover'
      ? { ...p, measures: p.measures.map((m) => (m.headline ? { ...m, serviceBack: true as const } : m)) }
      : p,
  );
  // sent 5 ms before the next phase stopped the real it went to: reset after the boundary
  const cut = [...records, { t: t0 + 19_995, ms: 40, ok: false, err: 'ECONNRESET' }];
  const fo = settleServiceBack(live, cut).find((p) => p.key === 'failover')!;
  t.is(fo.measures.find((m) => m.serviceBack)?.ms, 2500);
  t.regex(
    formatReport({ heading: 'H', t0, phases: [fo], records: cut, status: {}, files: [] }),
    /ECONNRESET x1/,
  );
});
