// SPDX-License-Identifier: Apache-2.0
// The lab's failover figure (scripts/lab/outage.ts): the service is back from the first request of
// the unbroken run of served requests that lasts until the end of the window, so a request the
// dying director still served does not end the outage; properties over random request logs, then
// the run that reported "failover 9 ms, 24 requests failed".
import test from 'ava';
import fc from 'fast-check';
import { outage } from '../../../scripts/lab/outage.js';
import type { RequestRecord } from '../../../scripts/lab/timeline.js';

const from = 1000;
const to = 9000;

/** Request logs around [from, to): some sent before or after it, in any order, with ties in time. */
const record = fc.record({
  t: fc.integer({ min: 0, max: 10_000 }),
  ms: fc.integer({ min: 0, max: 1000 }),
  ok: fc.boolean(),
});
/** Mostly failures first and then successes, as a failover makes them, with noise. */
const failover = fc
  .tuple(
    fc.integer({ min: from, max: to }),
    fc.array(record, { maxLength: 60 }),
    fc.double({ min: 0, max: 0.3 }),
  )
  .map(([cut, rs, noise]) => rs.map((r, i) => ({ ...r, ok: r.t >= cut !== (i * 0.618) % 1 < noise })));
const logs = fc.oneof(fc.array(record, { maxLength: 60 }), failover);
const inWindow = (rs: readonly RequestRecord[]): RequestRecord[] => rs.filter((r) => r.t >= from && r.t < to);

test('every request sent from the service back until the window ends was served, and none earlier qualifies', (t) => {
  fc.assert(
    fc.property(logs, (rs) => {
      const { backMs } = outage(rs, from, to);
      const w = inWindow(rs);
      if (backMs === undefined) return true;
      const back = from + backMs;
      // the run is unbroken, and it starts with a request served
      if (!w.filter((r) => r.t >= back).every((r) => r.ok)) return false;
      if (!w.some((r) => r.t === back && r.ok)) return false;
      // maximal: every earlier served request has a failure sent at or after it
      return w.filter((r) => r.ok && r.t < back).every((ok) => w.some((f) => !f.ok && f.t >= ok.t));
    }),
  );
  t.pass();
});

test('the service is back after the last failed request was sent; not back when the last one sent failed', (t) => {
  fc.assert(
    fc.property(logs, (rs) => {
      const o = outage(rs, from, to);
      const w = inWindow(rs);
      const fails = w.filter((r) => !r.ok);
      const lastSent = Math.max(...w.map((r) => r.t));
      const lastFailed = fails.some((f) => f.t === lastSent);
      if (w.length === 0 || lastFailed) return o.backMs === undefined;
      if (o.backMs === undefined) return false;
      return fails.every((f) => from + o.backMs! > f.t);
    }),
  );
  t.pass();
});

test('counts and the failed span cover exactly the window, whatever order the requests ended in', (t) => {
  fc.assert(
    fc.property(logs, fc.integer(), (rs, seed) => {
      const o = outage(rs, from, to);
      const w = inWindow(rs);
      const fails = w.filter((r) => !r.ok);
      if (o.sent !== w.length || o.failed !== fails.length) return false;
      if (fails.length === 0) {
        if (o.failedSpan !== undefined) return false;
      } else {
        const span = o.failedSpan;
        if (span === undefined) return false;
        if (span.firstSentMs !== Math.min(...fails.map((f) => f.t)) - from) return false;
        if (span.lastEndMs !== Math.max(...fails.map((f) => f.t + f.ms)) - from) return false;
      }
      const shuffled = [...rs].sort((a, b) => ((a.t * 7919 + seed) % 97) - ((b.t * 7919 + seed) % 97));
      return JSON.stringify(outage(shuffled, from, to)) === JSON.stringify(o);
    }),
  );
  t.pass();
});

test('no failure: the service never went away, back with the first request sent', (t) => {
  const rs = [900, 1009, 1100, 1200].map((tt) => ({ t: tt, ms: 4, ok: true }));
  t.deepEqual(outage(rs, from, to), { sent: 3, failed: 0, backMs: 9, failedSpan: undefined });
  t.deepEqual(outage([], from, to), { sent: 0, failed: 0, backMs: undefined, failedSpan: undefined });
});

test('"failover 9 ms, 24 requests failed": the dying director served one, then 24 failed, then lvs2 served', (t) => {
  const kill = 1_000_000;
  const rs: RequestRecord[] = [{ t: kill - 91, ms: 5, ok: true }];
  for (let i = 0; i < 30; i += 1) rs.push({ t: kill + 9 + i * 100, ms: 5, ok: true }); // 30 s at 10/s
  for (const r of rs.slice(2, 26)) Object.assign(r, { ms: 1000, ok: false, err: 'TIMEOUT' });
  // as the client reports them: in the order they ended
  rs.sort((a, b) => a.t + a.ms - (b.t + b.ms));
  const o = outage(rs, kill, kill + 30_000);
  t.is(o.failed, 24);
  t.is(o.backMs, 2509, 'from the first request after the 24 failures, not the one at 9 ms');
  t.deepEqual(o.failedSpan, { firstSentMs: 109, lastEndMs: 3409 });
  // failures that never stop: the last request sent failed, the service is not back
  rs.push({ t: kill + 29_990, ms: 1000, ok: false, err: 'TIMEOUT' });
  t.is(outage(rs, kill, kill + 30_000).backMs, undefined);
});
