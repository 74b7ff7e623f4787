// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { seededRng } from '../../fakes/seeded-rng.js';
import type { CheckState, ProbeResult } from '../../../src/check/result.js';
import type { CheckTiming } from '../../../src/check/types.js';
import { hiddenClasses } from '../../helpers/hidden-class.js';
import {
  firstProbeDelay,
  initialCheckState,
  nextCheckState,
  successIsQuiet,
} from '../../../src/check/result.js';
import { timing } from './spec-fixtures.js';
import { httpUrlRound } from '../../../src/check/from-model.js';

const ok: ProbeResult = { ok: true };
const fail: ProbeResult = { ok: false, reason: 'refused' };

/** Run a script of probe results; return [up, delay, transition] after each. */
function run(start: CheckState, probes: ProbeResult[], t = timing): Array<[boolean, number, string]> {
  let s = start;
  return probes.map((p) => {
    const step = nextCheckState(s, p, t);
    s = step.state;
    return [s.up, step.delayMs, step.transition ?? (step.firstVerdict ? 'first' : '-')];
  });
}

const rows: Array<{
  name: string;
  alpha: boolean;
  retry?: number;
  probes: ProbeResult[];
  want: Array<[boolean, number, string]>;
}> = [
  {
    name: 'healthy real stays up, probes every delay_loop, no transition logged',
    alpha: false,
    probes: [ok, ok, ok],
    want: [
      [true, 3000, 'first'],
      [true, 3000, '-'],
      [true, 3000, '-'],
    ],
  },
  {
    name: 'retry 2: down only after the third consecutive failure, retries delay_before_retry apart',
    alpha: false,
    probes: [ok, fail, fail, fail, fail],
    want: [
      [true, 3000, 'first'],
      [true, 500, '-'],
      [true, 500, '-'],
      [false, 3000, 'down'],
      [false, 500, '-'],
    ],
  },
  {
    name: 'a success in the middle of retries resets the count',
    alpha: false,
    probes: [ok, fail, fail, ok, fail, fail, fail],
    want: [
      [true, 3000, 'first'],
      [true, 500, '-'],
      [true, 500, '-'],
      [true, 3000, '-'],
      [true, 500, '-'],
      [true, 500, '-'],
      [false, 3000, 'down'],
    ],
  },
  {
    name: 'down real comes back on the first success',
    alpha: false,
    retry: 0,
    probes: [fail, fail, ok],
    want: [
      [false, 3000, 'down'],
      [false, 3000, '-'],
      [true, 3000, 'up'],
    ],
  },
  {
    name: 'alpha: starts down, up on the first success',
    alpha: true,
    probes: [ok],
    want: [[true, 3000, 'up']],
  },
  {
    name: 'alpha: a failing real has its first verdict at the first failure, then retries as TCP_CHECK does',
    alpha: true,
    probes: [fail, fail, fail],
    want: [
      [false, 3000, 'first'],
      [false, 500, '-'],
      [false, 500, '-'],
    ],
  },
  {
    name: 'a failure before the first verdict is down at once (retries used up at start)',
    alpha: false,
    probes: [fail, fail, fail, fail],
    want: [
      [false, 3000, 'down'],
      [false, 500, '-'],
      [false, 500, '-'],
      [false, 3000, '-'],
    ],
  },
];

for (const r of rows) {
  test(`nextCheckState: ${r.name}`, (t) => {
    const tm = { ...timing, alpha: r.alpha, retry: r.retry ?? timing.retry };
    t.deepEqual(run(initialCheckState(tm), r.probes, tm), r.want);
  });
}

test('nextCheckState: dynamic weight kept across weightless successes and failures, change flagged', (t) => {
  let s = initialCheckState(timing);
  let step = nextCheckState(s, { ok: true, weight: 7 }, timing);
  t.is(step.state.dynamicWeight, 7);
  t.true(step.weightChanged);
  s = step.state;
  step = nextCheckState(s, { ok: true }, timing);
  t.is(step.state.dynamicWeight, 7);
  t.falsy(step.weightChanged);
  step = nextCheckState(step.state, { ok: true, weight: 3 }, timing);
  t.is(step.state.dynamicWeight, 3);
  t.true(step.weightChanged);
});

test('firstProbeDelay: a random point in [0, warmup]; warmup 0 = at once', (t) => {
  const rng = seededRng(1);
  const loop = Array.from({ length: 1000 }, () => firstProbeDelay({ warmupMs: 1000 }, rng));
  t.true(loop.every((d) => d >= 0 && d <= 1000));
  // Spread: every tenth of the interval gets some probes (no thundering herd).
  const buckets = new Set(loop.map((d) => Math.min(9, Math.floor(d / 100))));
  t.is(buckets.size, 10);
  const warm = Array.from({ length: 100 }, () => firstProbeDelay({ warmupMs: 200 }, rng));
  t.true(warm.every((d) => d >= 0 && d <= 200));
  t.true(Array.from({ length: 100 }, () => firstProbeDelay({ warmupMs: 0 }, rng)).every((d) => d === 0));
  t.is(firstProbeDelay({ warmupMs: 1000 }, { next: () => 0.999999999 }), 1000);
});

test('SMTP_CHECK: retries before its first verdict too (keepalived resets the count at every regular check)', (t) => {
  const tm = { ...timing, retriesBeforeFirstVerdict: true };
  t.deepEqual(run(initialCheckState(tm), [fail, fail, fail, ok], tm), [
    [true, 500, '-'],
    [true, 500, '-'],
    [false, 3000, 'down'],
    [true, 3000, 'up'],
  ]);
});

// How a checker that is already down is paced after a failure (keepalived's epilogues).
const pacingRows: Array<{
  name: string;
  pacing: 'always' | 'while-up' | 'http';
  probes: ProbeResult[];
  want: Array<[boolean, number, string]>;
}> = [
  {
    name: 'while-up (MISC/UDP/PING/DNS): retries while up, none once down (every delay_loop)',
    pacing: 'while-up',
    probes: [ok, fail, fail, fail, fail, fail, ok],
    want: [
      [true, 3000, 'first'],
      [true, 500, '-'],
      [true, 500, '-'],
      [false, 3000, 'down'],
      [false, 3000, '-'],
      [false, 3000, '-'],
      [true, 3000, 'up'],
    ],
  },
  {
    name: 'http: down verdict and failures while the failed URL is pending wait max(delay_before_retry, delay_loop)',
    pacing: 'http',
    probes: [ok, fail, fail, fail, fail, ok],
    want: [
      [true, 3000, 'first'],
      [true, 500, '-'],
      [true, 500, '-'],
      [false, 3000, 'down'],
      [false, 3000, '-'],
      [true, 3000, 'up'],
    ],
  },
];
for (const r of pacingRows)
  test(`pacing: ${r.name}`, (t) => {
    const tm = { ...timing, failurePacing: r.pacing };
    t.deepEqual(run(initialCheckState(tm), r.probes, tm), r.want);
  });

test('pacing http: delay_before_retry above delay_loop paces a down checker', (t) => {
  const tm = { ...timing, retry: 0, delayBeforeRetryMs: 5000, failurePacing: 'http' as const, urlRound: 1 };
  t.deepEqual(run(initialCheckState(tm), [ok, fail, fail, ok, fail, ok], tm), [
    [true, 3000, 'first'],
    [false, 5000, 'down'],
    [false, 5000, '-'],
    // the failed URL answered: the round follows a delay_loop later...
    [false, 3000, '-'],
    // ...a relapse before it is retried after delay_before_retry, and its success completes the round
    [false, 5000, '-'],
    [true, 3000, 'up'],
  ]);
});

test('successIsQuiet: only a settled, healthy checker may skip reporting successes', (t) => {
  const tm = { ...timing, retry: 1 };
  t.true(successIsQuiet({ up: true, hasRun: true, retryIt: 0 }, tm));
  t.false(successIsQuiet({ up: false, hasRun: true, retryIt: 0 }, tm), 'down: a success is a transition');
  t.false(successIsQuiet({ up: true, hasRun: false, retryIt: 0 }, tm), 'first verdict pending');
  t.false(successIsQuiet({ up: true, hasRun: true, retryIt: 1, lastFailure: 'timeout' }, tm), 'retrying');
  t.true(
    successIsQuiet({ up: true, hasRun: true, retryIt: 0, dynamicWeight: 3 }, tm),
    'a kept dynamic weight',
  );
});

// HTTP_GET/SSL_GET without fast_recovery (keepalived: one URL per delay_loop; after a failure the
// failed URL again, then the whole round): successes needed before a checker that is not up is up.
const riseRows: Array<{
  name: string;
  urls: number;
  fastRecovery: boolean;
  alpha: boolean;
  probes: ProbeResult[];
  want: Array<[boolean, number, string]>;
}> = [
  {
    name: 'alpha, 2 URLs, no fast_recovery: up after 2 successes delay_loop apart',
    urls: 2,
    fastRecovery: false,
    alpha: true,
    probes: [ok, ok],
    want: [
      [false, 3000, '-'],
      [true, 3000, 'up'],
    ],
  },
  {
    name: 'alpha, 2 URLs, fast_recovery: up at the first success (the URLs back to back)',
    urls: 2,
    fastRecovery: true,
    alpha: true,
    probes: [ok],
    want: [[true, 3000, 'up']],
  },
  {
    name: '1 URL, no fast_recovery: after a failure the failed URL and a round: 2 successes',
    urls: 1,
    fastRecovery: false,
    alpha: false,
    probes: [ok, fail, fail, ok, ok, ok],
    want: [
      [true, 3000, 'first'],
      [true, 500, '-'],
      [false, 3000, 'down'],
      [false, 3000, '-'],
      [true, 3000, 'up'],
      [true, 3000, '-'],
    ],
  },
  {
    name: '1 URL, fast_recovery: back up at the first success',
    urls: 1,
    fastRecovery: true,
    alpha: false,
    probes: [ok, fail, fail, ok],
    want: [
      [true, 3000, 'first'],
      [true, 500, '-'],
      [false, 3000, 'down'],
      [true, 3000, 'up'],
    ],
  },
  {
    name: '3 URLs, no fast_recovery: a failure in the middle of the first round is a verdict; then the failed URL and a round',
    urls: 3,
    fastRecovery: false,
    alpha: true,
    probes: [ok, ok, fail, fail, ok, ok, ok, ok],
    want: [
      [false, 3000, '-'],
      [false, 3000, '-'],
      [false, 3000, 'first'],
      [false, 3000, '-'],
      [false, 3000, '-'],
      [false, 3000, '-'],
      [false, 3000, '-'],
      [true, 3000, 'up'],
    ],
  },
];
for (const r of riseRows)
  test(`rise: ${r.name}`, (t) => {
    const urlRound = httpUrlRound(r.urls, r.fastRecovery);
    const tm = {
      ...timing,
      retry: 1,
      alpha: r.alpha,
      failurePacing: 'http' as const,
      ...(urlRound !== undefined ? { urlRound } : {}),
    };
    t.deepEqual(run(initialCheckState(tm), r.probes, tm), r.want);
  });

test('states with the same fields share one hidden class, whatever path made them', (t) => {
  const paced: CheckTiming[] = [
    timing,
    { ...timing, failurePacing: 'http', urlRound: 3 },
    { ...timing, failurePacing: 'while-up' },
  ];
  const weighted: ProbeResult = { ok: true, weight: 7 };
  const script = [ok, fail, fail, fail, fail, ok, fail, weighted, fail, fail, fail, ok, ok, ok];
  const states: CheckState[] = [];
  for (const tm of paced)
    for (let i = 0; i < 40; i++) {
      let s = initialCheckState({ ...tm, alpha: i % 2 === 0 });
      for (const p of script) {
        s = nextCheckState(s, p.ok ? p : { ok: false, reason: `refused ${i}` }, tm).state;
        states.push(s);
      }
    }
  const byFields = new Map<string, CheckState[]>();
  for (const s of states) {
    const k = Object.keys(s).join(',');
    byFields.set(k, [...(byFields.get(k) ?? []), s]);
  }
  t.true(byFields.size >= 4, [...byFields.keys()].join(' | '));
  for (const [fields, group] of byFields) t.is(hiddenClasses(group), 1, fields);
});
