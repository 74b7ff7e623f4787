// SPDX-License-Identifier: Apache-2.0
// The real socket's exchangeNow (native/lvsd_net.c exchangeNetlink) against the real kernel, over
// rtnetlink, which any user may read in this network namespace (ip_vs, which has its own VM tests
// through `lvsd ipvs -Ln`, is not on this host): each request answered before the next is sent, in
// one call, and what it refuses before sending anything.
import test from 'ava';
import { Buffer } from 'node:buffer';
import { NlMsgType, decodeMessages } from '../../../src/netlink/codec.js';
import { openNetlinkTransport } from '../../../src/netlink/socket.io.js';
import { NETLINK_ROUTE } from '../../../src/netlink/transport.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const REQUEST = 1;
const ACK = 4;
const DUMP = 0x300;

function request(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + payload.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  return Buffer.concat([h, payload]);
}
const ifinfo = (index: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  return b;
};

test('each request answered to its end before the next is sent, all in one call', (t) => {
  const tr = openNetlinkTransport(NETLINK_ROUTE);
  t.teardown(() => tr.close());
  if (tr.exchangeNow === undefined) return t.fail('the real socket has no exchangeNow');
  const reqs = Buffer.concat([
    request(RTM_GETLINK, REQUEST | DUMP, 7, ifinfo(0)),
    request(RTM_GETADDR, REQUEST | DUMP, 8, Buffer.alloc(8)),
    request(RTM_GETLINK, REQUEST | ACK, 9, ifinfo(1)), // lo, by index: a reply, then the ACK
    request(RTM_GETLINK, REQUEST | DUMP, 10, ifinfo(0)), // a second dump: would be EBUSY in flight
  ]);
  const r = tr.exchangeNow(reqs);
  t.is(r.errno, 0);
  t.is(r.sent, 4);
  t.is(r.answered, 4);
  const msgs = decodeMessages(r.received);
  if (!msgs.ok) return t.fail(`the received datagrams do not decode: ${msgs.reason}`);
  const bySeq = (seq: number): number[] => msgs.value.filter((m) => m.seq === seq).map((m) => m.type);
  const links = bySeq(7);
  t.true(links.length >= 2 && links.slice(0, -1).every((x) => x === RTM_NEWLINK), 'links, then DONE');
  t.is(links.at(-1), NlMsgType.DONE);
  t.true(
    bySeq(8)
      .slice(0, -1)
      .every((x) => x === RTM_NEWADDR),
  );
  t.is(bySeq(8).at(-1), NlMsgType.DONE);
  t.deepEqual(bySeq(9), [RTM_NEWLINK, NlMsgType.ERROR], 'the reply, then an ACK');
  const ack = msgs.value.find((m) => m.seq === 9 && m.type === NlMsgType.ERROR);
  t.is(ack?.payload.readInt32LE(0), 0);
  t.deepEqual(bySeq(10), links, 'the second dump ran whole (no EBUSY): the first had ended');
  // the order of the answers is the order of the requests
  t.deepEqual([...new Set(msgs.value.map((m) => m.seq))], [7, 8, 9, 10]);
});

test('no request is sent once maxBytes of answers were read', (t) => {
  const tr = openNetlinkTransport(NETLINK_ROUTE);
  t.teardown(() => tr.close());
  const now = tr.exchangeNow?.bind(tr);
  if (now === undefined) return t.fail('the real socket has no exchangeNow');
  const three = Buffer.concat([1, 2, 3].map((seq) => request(RTM_GETLINK, REQUEST | ACK, seq, ifinfo(1))));
  const one = now(three, 1);
  t.is(one.sent, 1);
  t.is(one.answered, 1);
  const all = now(three);
  t.is(all.sent, 3);
  t.throws(() => now(three, 0), { code: 'EINVAL_ARG' });
});

test('a refusal ends that request; the next ones are still sent', (t) => {
  const tr = openNetlinkTransport(NETLINK_ROUTE);
  t.teardown(() => tr.close());
  if (tr.exchangeNow === undefined) return t.fail('the real socket has no exchangeNow');
  const r = tr.exchangeNow(
    Buffer.concat([
      request(RTM_GETLINK, REQUEST | ACK, 1, ifinfo(0x7ffffff0)), // no such link: ENODEV
      request(RTM_GETLINK, REQUEST | ACK, 2, ifinfo(1)),
    ]),
  );
  t.is(r.answered, 2);
  const msgs = decodeMessages(r.received);
  if (!msgs.ok) return t.fail(msgs.reason);
  const err = msgs.value.find((m) => m.seq === 1);
  t.is(err?.type, NlMsgType.ERROR);
  t.is(err?.payload.readInt32LE(0), -19);
  t.true(msgs.value.some((m) => m.seq === 2 && m.type === RTM_NEWLINK));
});

test('requests it cannot wait for, or cut short, are refused before anything is sent', (t) => {
  const tr = openNetlinkTransport(NETLINK_ROUTE);
  t.teardown(() => tr.close());
  const now = tr.exchangeNow?.bind(tr);
  if (now === undefined) return t.fail('the real socket has no exchangeNow');
  const good = request(RTM_GETLINK, REQUEST | ACK, 1, ifinfo(1));
  // no ACK, no dump: a success would never be answered
  t.throws(() => now(Buffer.concat([good, request(RTM_GETLINK, REQUEST, 2, ifinfo(1))])), {
    code: 'EINVAL_ARG',
  });
  t.throws(() => now(Buffer.concat([good, good.subarray(0, 20)])), { code: 'EINVAL_ARG' });
  const longer = Buffer.from(good);
  longer.writeUInt32LE(4096, 0);
  t.throws(() => now(longer), { code: 'EINVAL_ARG' });
  // nothing was sent: the next call's answers are its own alone
  const r = now(good);
  const msgs = decodeMessages(r.received);
  t.true(msgs.ok && msgs.value.every((m) => m.seq === 1));
  t.is(r.answered, 1);
});

test('a closed socket refuses', (t) => {
  const tr = openNetlinkTransport(NETLINK_ROUTE);
  tr.close();
  t.throws(() => tr.exchangeNow?.(request(RTM_GETLINK, REQUEST | ACK, 1, ifinfo(1))), { code: 'EBADF' });
});
