// SPDX-License-Identifier: Apache-2.0
/**
 * The hand-written address requests against netlink@0.3.0's generated formatter (the code they
 * replace on the takeover path), and the ack matching of AckedRequests over a fake socket.
 */
import test from 'ava';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { AttrStream } from 'netlink/dist/structs.js';
import * as rt from 'netlink/dist/rt/structs.js';
import { addrBytesOf } from '../../../src/core/addr.js';
import { AttrDecoder, decodeMessages } from '../../../src/netlink/codec.js';
import { AckedRequests } from '../../../src/netlink/acked-requests.js';
import { encodeAddrRequest } from '../../../src/netlink/rtnl-addr.js';
import { RTM_DELADDR, RTM_NEWADDR } from '../../../src/netlink/rtnl-messages.js';
import type { AddrSpec } from '../../../src/netlink/rtnl.js';
import type { NetlinkTransport } from '../../../src/netlink/transport.js';
import { errorMsg } from '../../fakes/fake-netlink.js';

/** What the library wrote for the same request (the code this replaces), ifaddrmsg + attributes. */
function libraryPayload(op: 'add' | 'del', a: AddrSpec): Buffer {
  const bytes = (t: string, f: AddrSpec['family']) => Buffer.from(addrBytesOf(t, f));
  const attrs: rt.AddressAttrs = { local: bytes(a.address, a.family), address: bytes(a.address, a.family) };
  const v6 = a.family === 'inet6';
  const data: rt.Address = { family: v6 ? 10 : 2, prefixlen: a.prefixLen, index: a.ifindex };
  if (op === 'add') {
    if (!v6 && a.label !== undefined) attrs.label = a.label;
    if (!v6 && a.broadcast !== undefined) attrs.broadcast = bytes(a.broadcast, 'inet');
    if (v6) attrs.flags = { nodad: true };
    if (v6 && a.deprecated) attrs.cacheInfo = { ifaPrefered: 0, ifaValid: 0xffffffff };
    data.scope = a.scope ?? 0;
    if (v6) data.flags = { nodad: true };
  }
  const out = new AttrStream();
  rt.formatAddressMessage({ kind: 'address', data, attrs }, out);
  return Buffer.concat(out.bufs);
}

/** ifaddrmsg and the attributes as a sorted list (order is free on the wire). */
function canonical(payload: Buffer): { head: string; attrs: string[] } {
  const d = new AttrDecoder(payload.subarray(8));
  const attrs: string[] = [];
  while (d.next()) attrs.push(`${d.type()}=${Buffer.from(d.bytes()).toString('hex')}`);
  return { head: payload.subarray(0, 8).toString('hex'), attrs: attrs.sort() };
}

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const v6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((h) => h.map((x) => x.toString(16)).join(':'));
const spec: fc.Arbitrary<AddrSpec> = fc.oneof(
  fc.record(
    {
      family: fc.constant('inet' as const),
      address: v4,
      prefixLen: fc.integer({ min: 0, max: 32 }),
      ifindex: fc.integer({ min: 1, max: 0xffffff }),
      label: fc.stringMatching(/^[a-z][a-z0-9]{0,6}:[a-z0-9]{1,6}$/),
      scope: fc.constantFrom(0, 200, 253, 254),
      broadcast: v4,
    },
    { requiredKeys: ['family', 'address', 'prefixLen', 'ifindex'] },
  ),
  fc.record(
    {
      family: fc.constant('inet6' as const),
      address: v6,
      prefixLen: fc.integer({ min: 0, max: 128 }),
      ifindex: fc.integer({ min: 1, max: 0xffffff }),
      scope: fc.constantFrom(0, 253),
      deprecated: fc.boolean(),
    },
    { requiredKeys: ['family', 'address', 'prefixLen', 'ifindex'] },
  ),
);

test('address add and delete: the same ifaddrmsg and attributes as netlink@0.3.0 wrote, one acked message', (t) => {
  fc.assert(
    fc.property(spec, fc.constantFrom('add' as const, 'del' as const), fc.nat(0xffffffff), (a, op, seq) => {
      const m = encodeAddrRequest(op, a, seq);
      const d = decodeMessages(m);
      if (!d.ok || d.value.length !== 1) return false;
      const [msg] = d.value;
      t.is(msg!.type, op === 'add' ? RTM_NEWADDR : RTM_DELADDR);
      // NLM_F_REQUEST | NLM_F_ACK, and NLM_F_CREATE | NLM_F_EXCL for an add (`ip addr add`)
      t.is(msg!.flags, op === 'add' ? 0x605 : 0x5);
      t.is(msg!.seq, seq);
      t.is(m.readUInt32LE(0), m.length);
      t.deepEqual(canonical(msg!.payload), canonical(libraryPayload(op, a)));
      return true;
    }),
    { numRuns: 300 },
  );
});

/** A socket whose kernel answers each message with `answer(seq)` (undefined: never). */
function ackingSocket(answer: (seq: number) => number | undefined) {
  let onMessage: (d: Buffer) => void = () => {};
  let onError: (e: Error & { code?: string }) => void = () => {};
  const sent: number[] = [];
  const alive: boolean[] = [];
  const t: NetlinkTransport & { raise(code: string): void } = {
    port: 1,
    send(d) {
      const seq = d.readUInt32LE(8);
      sent.push(seq);
      const errno = answer(seq);
      if (errno !== undefined) setImmediate(() => onMessage(errorMsg(seq, errno, d)));
    },
    onMessage: (cb) => (onMessage = cb),
    onError: (cb) => (onError = cb),
    keepAlive: (on) => alive.push(on),
    close() {},
    raise(code) {
      onError(Object.assign(new Error(code), { code }));
    },
  };
  return { t, sent, alive };
}

const vip: AddrSpec = { family: 'inet', address: '10.0.0.100', prefixLen: 32, ifindex: 2 };

test('AckedRequests: each request resolves with the errno of its own ack, in any order', async (t) => {
  const { t: sock, sent, alive } = ackingSocket((seq) => (seq === 2 ? 17 : 0));
  const r = new AckedRequests(sock);
  const out = await Promise.all([1, 2, 3].map(() => r.request((seq) => encodeAddrRequest('add', vip, seq))));
  t.deepEqual(out, [0, 17, 0]);
  t.deepEqual(sent, [1, 2, 3]);
  t.deepEqual(alive, [true, false], 'the socket holds the loop only while answers are awaited');
});

test('AckedRequests: no answer is ETIMEDOUT; a lost receive queue fails what is in flight', async (t) => {
  const { t: sock } = ackingSocket(() => undefined);
  const r = new AckedRequests(sock, 20);
  t.is(await r.request((seq) => encodeAddrRequest('del', vip, seq)), 110);
  const pending = r.request((seq) => encodeAddrRequest('add', vip, seq));
  sock.raise('ENOBUFS');
  t.is(await pending, 105);
  const closed = r.request((seq) => encodeAddrRequest('add', vip, seq));
  r.close();
  t.is(await closed, 71);
});

test('AckedRequests: at most maxInFlight unanswered at once, the rest sent in order as answers come', async (t) => {
  const { t: sock, sent } = ackingSocket(() => 0);
  let most = 0;
  const send = sock.send.bind(sock);
  const r = new AckedRequests(sock, 10_000, 8);
  sock.send = (d) => {
    send(d);
    most = Math.max(most, r.inFlight + 1);
  };
  const out = await Promise.all(
    Array.from({ length: 100 }, () => r.request((seq) => encodeAddrRequest('add', vip, seq))),
  );
  t.deepEqual(out, new Array<number>(100).fill(0));
  t.deepEqual(
    sent,
    Array.from({ length: 100 }, (_, i) => i + 1),
    'every request sent once, in order',
  );
  t.is(most, 8, 'never more than 8 awaiting an answer');
});

test('AckedRequests: requests still waiting their turn resolve EPROTO at close', async (t) => {
  const { t: sock, sent } = ackingSocket(() => undefined);
  const r = new AckedRequests(sock, 10_000, 2);
  const all = Promise.all([1, 2, 3, 4].map(() => r.request((seq) => encodeAddrRequest('add', vip, seq))));
  t.deepEqual(sent, [1, 2], 'two sent, two waiting');
  r.close();
  t.deepEqual(await all, [71, 71, 71, 71]);
  t.deepEqual(sent, [1, 2], 'nothing sent after close');
});
