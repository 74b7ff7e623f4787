// SPDX-License-Identifier: Apache-2.0
// GenlClient.exchangeEach: a run of dumps, each sent once the one before is answered, in batches
// the transport answers inline (exchangeNow), on a fake kernel that refuses a second dump in
// flight with EBUSY as the real one does.
import test from 'ava';
import { Buffer } from 'node:buffer';
import { GenlClient, type GenlMessage, type GenlOutcome } from '../../../src/netlink/genl.js';
import { fakeTransport, type FakeRequest } from '../../fakes/fake-netlink.js';

const dump = (cmd: number): GenlMessage => ({
  cmd,
  attrs: Buffer.from([8, 0, 1, 0, cmd, 0, 0, 0]),
  dump: true,
});
/** Each dump answered with two parts naming its cmd, so an answer shows which request it was. */
const twoParts = (r: FakeRequest): { replies: Buffer[] } => ({
  replies: [Buffer.from([8, 0, 1, 0, r.cmd, 0, 0, 0]), Buffer.from([8, 0, 2, 0, r.cmd, 0, 0, 0])],
});
const summary = (out: GenlOutcome[]): (string | number)[] =>
  out.map((o) => (o.ok ? `${o.replies.length}x${String(o.replies[0]?.attrs[4])}` : o.errno));

test('inline: every dump answered in order, a batch per call of the transport', async (t) => {
  const tr = fakeTransport(twoParts, { inline: {} });
  const calls: number[] = [];
  const now = tr.exchangeNow?.bind(tr);
  if (now === undefined) return t.fail('the fake has no exchangeNow');
  tr.exchangeNow = (reqs) => {
    const r = now(reqs);
    calls.push(r.sent);
    return r;
  };
  const c = new GenlClient(tr);
  const msgs = [1, 2, 3, 4, 5, 6, 7].map(dump);
  const out = await c.exchangeEach(40, 1, msgs, { batch: 3 });
  t.deepEqual(summary(out), ['2x1', '2x2', '2x3', '2x4', '2x5', '2x6', '2x7']);
  t.deepEqual(calls, [3, 3, 1]);
  t.deepEqual(tr.datagrams, [1, 1, 1, 1, 1, 1, 1], 'each request alone');
  t.is(tr.busyRefusals, 0);
});

test('inline: a batch stops sending once maxBytes of answers are read; the rest go in the next calls', async (t) => {
  const tr = fakeTransport(twoParts, { inline: {} });
  const calls: number[] = [];
  const now = tr.exchangeNow?.bind(tr);
  if (now === undefined) return t.fail('the fake has no exchangeNow');
  tr.exchangeNow = (reqs, maxBytes) => {
    const r = now(reqs, maxBytes);
    calls.push(r.sent);
    return r;
  };
  // each answer: two parts and DONE, 3 messages of 28 + 28 + 20 bytes
  const out = await new GenlClient(tr).exchangeEach(40, 1, [1, 2, 3, 4, 5].map(dump), {
    batch: 10,
    maxBytes: 100,
  });
  t.deepEqual(summary(out), ['2x1', '2x2', '2x3', '2x4', '2x5']);
  t.deepEqual(calls, [2, 2, 1]);
});

test('inline: an answer the socket had not finished is awaited before the next dump is sent', async (t) => {
  const tr = fakeTransport(twoParts, { inline: { dryAt: 1 } });
  const c = new GenlClient(tr);
  const out = await c.exchangeEach(40, 1, [1, 2, 3, 4].map(dump), { batch: 10 });
  t.deepEqual(summary(out), ['2x1', '2x2', '2x3', '2x4'], 'the cut answer whole, from both paths');
  t.is(tr.busyRefusals, 0, 'no dump sent while one was still being read');
  t.deepEqual(
    tr.requests.map((r) => r.cmd),
    [1, 2, 3, 4],
  );
});

test('inline: a dump that meets another one still being read (EBUSY) is sent again', async (t) => {
  let refused = 0;
  const tr = fakeTransport(
    (r) => {
      if (r.cmd === 2 && refused++ === 0) return { errno: 16 };
      return twoParts(r);
    },
    { inline: {} },
  );
  const c = new GenlClient(tr);
  const out = await c.exchangeEach(40, 1, [1, 2, 3].map(dump));
  t.deepEqual(summary(out), ['2x1', '2x2', '2x3']);
  t.deepEqual(
    tr.requests.map((r) => r.cmd),
    [1, 2, 3, 2],
  );
});

test('inline: EBUSY three times over is reported, not retried for ever', async (t) => {
  const tr = fakeTransport((r) => (r.cmd === 2 ? { errno: 16 } : twoParts(r)), { inline: {} });
  const out = await new GenlClient(tr).exchangeEach(40, 1, [1, 2, 3].map(dump));
  t.deepEqual(summary(out), ['2x1', 16, '2x3']);
  t.is(tr.requests.filter((r) => r.cmd === 2).length, 4);
});

test('inline: a failed send fails that request and every later one with its errno', async (t) => {
  const tr = fakeTransport(twoParts, { inline: { sendErrnoAt: { index: 2, errno: 9 } } });
  const out = await new GenlClient(tr).exchangeEach(40, 1, [1, 2, 3, 4].map(dump), { batch: 10 });
  t.deepEqual(summary(out), ['2x1', '2x2', 9, 9]);
  t.is(tr.requests.length, 2);
});

test('inline: a receive-queue overrun fails what was lost and the rest with ENOBUFS', async (t) => {
  const tr = fakeTransport(twoParts, { inline: { overrunAt: 1 } });
  const out = await new GenlClient(tr).exchangeEach(40, 1, [1, 2, 3].map(dump), { batch: 10 });
  t.deepEqual(summary(out), ['2x1', 105, 105]);
});

test('inline: a dump never answered times out (ETIMEDOUT), the rest still sent', async (t) => {
  const tr = fakeTransport((r) => (r.cmd === 2 ? 'drop' : twoParts(r)), { inline: {} });
  const out = await new GenlClient(tr, { timeoutMs: 20 }).exchangeEach(40, 1, [1, 2, 3].map(dump));
  t.deepEqual(summary(out), ['2x1', 110, '2x3']);
});

test('inline: a request of another caller still in flight is answered before the run starts', async (t) => {
  const tr = fakeTransport(twoParts, { inline: {} });
  const c = new GenlClient(tr);
  const other = c.exchange(40, 1, [dump(9)]);
  const out = await c.exchangeEach(40, 1, [1, 2].map(dump));
  const [o] = await other;
  t.deepEqual(summary(out), ['2x1', '2x2']);
  t.true(o !== undefined && o.ok && o.replies.length === 2);
  t.is(tr.busyRefusals, 0);
});

test('without exchangeNow: one request per datagram, each after the one before', async (t) => {
  const tr = fakeTransport(twoParts);
  const out = await new GenlClient(tr).exchangeEach(40, 1, [1, 2, 3].map(dump));
  t.deepEqual(summary(out), ['2x1', '2x2', '2x3']);
  t.deepEqual(tr.datagrams, [1, 1, 1]);
});
