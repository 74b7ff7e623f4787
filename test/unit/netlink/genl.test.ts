// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { Buffer } from 'node:buffer';
import { AttrWriter, NlFlags } from '../../../src/netlink/codec.js';
import { GenlClient } from '../../../src/netlink/genl.js';
import { fakeTransport } from '../../fakes/fake-netlink.js';

const familyReply = (id: number): Buffer => new AttrWriter().string(2, 'IPVS').u16(1, id).toBuffer();

test('resolveFamily asks nlctrl for the name and returns the id', async (t) => {
  const tr = fakeTransport((r) =>
    r.family === 0x10 && r.cmd === 3 ? { replies: [familyReply(33)], cmd: 1 } : { errno: 22 },
  );
  const c = new GenlClient(tr);
  t.is(await c.resolveFamily('IPVS'), 33);
  const req = tr.requests[0];
  t.is(req?.flags, NlFlags.REQUEST | NlFlags.ACK);
  t.deepEqual(req?.attrs, new AttrWriter().string(2, 'IPVS').toBuffer());
});

test('resolveFamily returns undefined when the family is not registered (ENOENT)', async (t) => {
  const c = new GenlClient(fakeTransport(() => ({ errno: 2 })));
  t.is(await c.resolveFamily('IPVS'), undefined);
});

test('exchange pipelines a window of requests per datagram, outcomes in order', async (t) => {
  const tr = fakeTransport((r) => (r.cmd === 5 ? { errno: 17 } : {}));
  const c = new GenlClient(tr);
  const msgs = [1, 2, 5, 2, 2].map((cmd) => ({ cmd, attrs: Buffer.alloc(0) }));
  const out = await c.exchange(40, 1, msgs, { window: 3 });
  t.deepEqual(tr.datagrams, [3, 2]);
  t.deepEqual(
    out.map((o) => (o === undefined ? 'unsent' : o.ok ? 'ok' : o.errno)),
    ['ok', 'ok', 17, 'ok', 'ok'],
  );
});

test('exchange with stopOnError sends no datagram after one that failed', async (t) => {
  const tr = fakeTransport((r) => (r.cmd === 5 ? { errno: 17 } : {}));
  const c = new GenlClient(tr);
  const msgs = [1, 5, 2, 2].map((cmd) => ({ cmd, attrs: Buffer.alloc(0) }));
  const out = await c.exchange(40, 1, msgs, { window: 2, stopOnError: true });
  t.deepEqual(tr.datagrams, [2]);
  t.deepEqual(
    out.map((o) => (o === undefined ? 'unsent' : o.ok ? 'ok' : o.errno)),
    ['ok', 17, 'unsent', 'unsent'],
  );
});

test('dumps collect every part until NLMSG_DONE and ask for no ACK', async (t) => {
  const parts = [Buffer.from([8, 0, 1, 0, 1, 0, 0, 0]), Buffer.from([8, 0, 1, 0, 2, 0, 0, 0])];
  const tr = fakeTransport(() => ({ replies: parts }));
  const c = new GenlClient(tr);
  const [o] = await c.exchange(40, 1, [{ cmd: 4, attrs: Buffer.alloc(0), dump: true }]);
  t.is(tr.requests[0]?.flags, NlFlags.REQUEST | NlFlags.DUMP);
  if (o === undefined || !o.ok) return t.fail('dump failed');
  t.deepEqual(
    o.replies.map((r) => r.attrs),
    parts,
  );
});

test('an unanswered request times out with ETIMEDOUT instead of hanging', async (t) => {
  const c = new GenlClient(
    fakeTransport(() => 'drop'),
    { timeoutMs: 20 },
  );
  const [o] = await c.exchange(40, 1, [{ cmd: 1, attrs: Buffer.alloc(0) }]);
  t.deepEqual(o, { ok: false, errno: 110 });
});

test('a socket ENOBUFS fails every request in flight with ENOBUFS', async (t) => {
  const tr = fakeTransport(() => 'drop');
  const c = new GenlClient(tr, { timeoutMs: 5000 });
  const p = c.exchange(40, 1, [
    { cmd: 1, attrs: Buffer.alloc(0) },
    { cmd: 1, attrs: Buffer.alloc(0) },
  ]);
  tr.raise('ENOBUFS');
  t.deepEqual(await p, [
    { ok: false, errno: 105 },
    { ok: false, errno: 105 },
  ]);
});

test('ackLastOnly: only the last request of a datagram asks for an ACK; failures still answered', async (t) => {
  const tr = fakeTransport((r) => (r.cmd === 5 ? { errno: 17 } : {}));
  const c = new GenlClient(tr);
  const msgs = [1, 5, 2, 2, 5].map((cmd) => ({ cmd, attrs: Buffer.alloc(0) }));
  const out = await c.exchange(40, 1, msgs, { window: 3, ackLastOnly: true });
  t.deepEqual(
    tr.requests.map((r) => (r.flags & NlFlags.ACK) !== 0),
    [false, false, true, false, true],
  );
  t.deepEqual(
    out.map((o) => (o === undefined ? 'unsent' : o.ok ? 'ok' : o.errno)),
    ['ok', 17, 'ok', 'ok', 17],
  );
});

test('ackLastOnly: a lost datagram leaves every request of it timed out, none reported ok', async (t) => {
  const c = new GenlClient(
    fakeTransport(() => 'drop'),
    { timeoutMs: 20 },
  );
  const msgs = [1, 2, 3].map((cmd) => ({ cmd, attrs: Buffer.alloc(0) }));
  const out = await c.exchange(40, 1, msgs, { ackLastOnly: true });
  t.deepEqual(out, [
    { ok: false, errno: 110 },
    { ok: false, errno: 110 },
    { ok: false, errno: 110 },
  ]);
});
