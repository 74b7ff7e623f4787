// SPDX-License-Identifier: Apache-2.0
/**
 * Check timing, as keepalived 2.2.7 paces its checkers (docs/config.md, "Check timing"): a table over
 * TCP_CHECK, HTTP_GET (with and without fast_recovery) and MISC_CHECK × delay_loop × retry ×
 * delay_before_retry × how long a failed probe takes (refused at once, or connect_timeout) ×
 * warmup × alpha. Each row is a keepalived.conf text run through the config loader and the real
 * check tasks on a fake clock; the probe answers from a fake server that is alive, dies, and comes
 * back. The expected out and back times are computed here from the documented rules, not from lvsd.
 */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { CheckTasks } from '../../../src/check/check-tasks.js';
import type { CheckState } from '../../../src/check/result.js';
import { initialCheckState, nextCheckState } from '../../../src/check/result.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { silentLogger } from '../../fakes/silent-logger.js';

type Kind = 'tcp' | 'http' | 'http-fast' | 'misc';

interface Row {
  kind: Kind;
  delayLoop: number;
  retry: number;
  delayBeforeRetry: number;
  /** A failed probe takes connect_timeout (the server's host is gone) rather than being refused at once. */
  timesOut: boolean;
  /** `warmup` seconds, absent = not written. */
  warmup?: number;
  alpha: boolean;
}

const connectTimeout = 0.7;
/** How long the MISC_CHECK script runs when the real is down (it probes, then gives up). */
const miscFailMs = 200;

function checkerBlock(r: Row): string {
  const timing = [
    `retry ${r.retry}`,
    `delay_before_retry ${r.delayBeforeRetry}`,
    `connect_timeout ${connectTimeout}`,
    ...(r.warmup !== undefined ? [`warmup ${r.warmup}`] : []),
  ].join('\n      ');
  switch (r.kind) {
    case 'tcp':
      return `TCP_CHECK {\n      ${timing}\n    }`;
    case 'http':
    case 'http-fast':
      return `HTTP_GET {\n      url {\n        path /\n      }\n      ${r.kind === 'http-fast' ? 'fast_recovery\n      ' : ''}${timing}\n    }`;
    case 'misc':
      return `MISC_CHECK {\n      misc_path "/bin/true"\n      ${timing}\n    }`;
  }
}

function configOf(r: Row): string {
  return `
virtual_server 192.0.2.1 80 {
  delay_loop ${r.delayLoop}
  lb_algo rr
  protocol TCP
  ${r.alpha ? 'alpha' : ''}
  real_server 10.0.0.1 80 {
    ${checkerBlock(r)}
  }
}
`;
}

interface Event {
  up: boolean;
  at: number;
}

/** Runs the row's checker until `untilMs` against a server alive when `alive(t)`; its up/down changes. */
async function simulate(r: Row, alive: (t: number) => boolean, untilMs: number): Promise<Event[]> {
  const { model, diagnostics } = parseConfigText(configOf(r), 'timing.conf', { configId: 'lvs1', env: {} });
  if (!model) throw new Error(JSON.stringify(diagnostics));
  const spec = checkSpecFromModel(model);
  const checker = spec.virtualServers[0]!.reals[0]!.checkers[0]!;
  const clock = new FakeClock();
  const failMs = r.kind === 'misc' ? miscFailMs : r.timesOut ? connectTimeout * 1000 : 0;
  const events: Event[] = [];
  let state: CheckState = initialCheckState(checker.timing);
  const tasks = new CheckTasks({
    clock,
    timers: clock,
    rng: { next: () => 0.5 },
    logger: silentLogger,
    probes: () => () =>
      alive(clock.now())
        ? Promise.resolve({ ok: true as const })
        : new Promise((res) => clock.setTimeout(() => res({ ok: false, reason: 'dead' }), failMs)),
    fold: (_task, result) => {
      const step = nextCheckState(state, result, checker.timing);
      state = step.state;
      if (step.transition) events.push({ up: step.transition === 'up', at: clock.now() });
      else if (step.firstVerdict && !state.up) events.push({ up: false, at: clock.now() });
      return { delayMs: step.delayMs, state };
    },
  });
  tasks.update(spec);
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) await new Promise((res) => setImmediate(res));
  };
  // Move the clock from one timer to the next, so every probe starts and ends at its exact time.
  for (;;) {
    await settle();
    const at = clock.nextAt();
    if (at === undefined || at > untilMs) break;
    clock.advance(at - clock.now());
  }
  await tasks.stop();
  return events;
}

/** The first probe: a random point in [0, warmup] (the rng gives 0.5); warmup defaults to delay_loop. */
function firstProbeAt(r: Row): number {
  const warmupMs = (r.warmup ?? r.delayLoop) * 1000;
  return Math.floor(0.5 * (warmupMs + 1));
}

/**
 * The documented rules as arithmetic. With the server alive, probes run delay_loop apart from the
 * first (a success takes no time here). The server dies at `died`, a third into an interval; the
 * next probe fails and starts the retries.
 */
function expectedOut(r: Row, died: number): number {
  const loop = r.delayLoop * 1000;
  const dbr = r.delayBeforeRetry * 1000;
  const first = firstProbeAt(r);
  const nextProbe = first + Math.ceil((died - first) / loop) * loop;
  if (r.kind === 'misc') {
    // paced from the script's start: retries start delay_before_retry apart
    return nextProbe + r.retry * Math.max(dbr, miscFailMs) + miscFailMs;
  }
  const fail = r.timesOut ? connectTimeout * 1000 : 0;
  // one probe and `retry` retries, each retry delay_before_retry after the previous failure ended
  return nextProbe + (r.retry + 1) * fail + r.retry * dbr;
}

/** Back, when the server is back just after the down verdict (`down`). */
function expectedBackSoon(r: Row, down: number): number {
  const loop = r.delayLoop * 1000;
  const dbr = r.delayBeforeRetry * 1000;
  switch (r.kind) {
    case 'tcp':
      return down + loop;
    case 'misc':
      return down - miscFailMs + loop;
    case 'http':
      // the failed URL after max(dbr, delay_loop), then the round (one URL) a delay_loop later
      return down + Math.max(dbr, loop) + loop;
    case 'http-fast':
      return down + Math.max(dbr, loop);
  }
}

/** When the server comes back in the second scenario: after the down checker's next probe failed. */
function lateReturn(r: Row, down: number): number {
  const loop = r.delayLoop * 1000;
  const dbr = r.delayBeforeRetry * 1000;
  if (r.kind === 'misc') return down - miscFailMs + loop + 1;
  if (r.kind === 'tcp') return down + loop + 1;
  return down + Math.max(dbr, loop) + 1;
}

/** Back, when the server returns at `lateReturn`: the down checker's pace after a failure. */
function expectedBackLate(r: Row, down: number): number {
  const loop = r.delayLoop * 1000;
  const dbr = r.delayBeforeRetry * 1000;
  const fail = r.timesOut ? connectTimeout * 1000 : 0;
  switch (r.kind) {
    case 'tcp':
      // TCP_CHECK retries even when down: the retry comes delay_before_retry after the failure
      return down + loop + fail + (r.retry > 0 ? dbr : loop);
    case 'misc':
      // MISC_CHECK does not retry once down: the next run is delay_loop after the last one started
      return down - miscFailMs + 2 * loop;
    case 'http':
      return down + 2 * Math.max(dbr, loop) + fail + loop;
    case 'http-fast':
      return down + 2 * Math.max(dbr, loop) + fail;
  }
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const kind of ['tcp', 'http', 'http-fast', 'misc'] as const)
    for (const delayLoop of [1, 3])
      for (const retry of [0, 1, 3])
        for (const delayBeforeRetry of [0.5, 2])
          for (const timesOut of kind === 'misc' ? [false] : [false, true])
            for (const warmup of [undefined, 0, 2.5])
              for (const alpha of [false, true]) {
                const r: Row = { kind, delayLoop, retry, delayBeforeRetry, timesOut, alpha };
                if (warmup !== undefined) r.warmup = warmup;
                out.push(r);
              }
  return out;
}

function label(r: Row): string {
  return `${r.kind} delay_loop ${r.delayLoop} retry ${r.retry} delay_before_retry ${r.delayBeforeRetry}${r.timesOut ? ' timeout' : ''} warmup ${r.warmup ?? '-'}${r.alpha ? ' alpha' : ''}`;
}

for (const kind of ['tcp', 'http', 'http-fast', 'misc'] as const) {
  test(`check timing (${kind}): start, out and back times follow keepalived's rules`, async (t) => {
    for (const r of rows().filter((x) => x.kind === kind)) {
      const loop = r.delayLoop * 1000;
      const first = firstProbeAt(r);
      const died = first + 2 * loop + Math.floor(loop / 3);
      const down = expectedOut(r, died);
      const upFirst: Event[] = r.alpha ? [{ up: true, at: first }] : [];
      for (const [back, want] of [
        [down + 1, expectedBackSoon(r, down)],
        [lateReturn(r, down), expectedBackLate(r, down)],
      ] as const) {
        const got = await simulate(r, (at) => at < died || at >= back, want + 1);
        t.deepEqual(
          got,
          [...upFirst, { up: false, at: down }, { up: true, at: want }],
          `${label(r)}, server back at ${back}`,
        );
      }
      // A server dead from the start: one failure is the first verdict (keepalived starts a
      // checker with its retries used up), so no retries before it goes down.
      const fail = r.kind === 'misc' ? miscFailMs : r.timesOut ? connectTimeout * 1000 : 0;
      t.deepEqual(
        await simulate(r, () => false, first + fail + 1),
        [{ up: false, at: first + fail }],
        `${label(r)}, dead from the start`,
      );
    }
  });
}
