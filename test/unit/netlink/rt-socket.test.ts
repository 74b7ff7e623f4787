// SPDX-License-Identifier: Apache-2.0
/**
 * netlink@0.3.0's rtnetlink requests over lvsd's own socket (src/netlink/rt-socket.io.ts): the
 * library formats and parses, AckedRequests carries, a fake kernel answers. A request goes out with
 * NLM_F_REQUEST | NLM_F_ACK and the caller's flags; a refusal reads as the library's own text; a dump
 * comes back parsed by the library, up to NLMSG_DONE.
 */
import test from 'ava';
import { Buffer } from 'node:buffer';
import { AttrStream } from 'netlink/dist/structs.js';
import * as rt from 'netlink/dist/rt/structs.js';
import { AckedRequests } from '../../../src/netlink/acked-requests.js';
import { NlFlags, NlMsgType } from '../../../src/netlink/codec.js';
import { AckedRtSocket, openRtSocket } from '../../../src/netlink/rt-socket.io.js';
import { errnoOf } from '../../../src/netlink/rtnl-errors.js';
import type { NetlinkTransport } from '../../../src/netlink/transport.js';
import { errorMsg, nlmsg } from '../../fakes/fake-netlink.js';

const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;

/** A kernel as a function of each request: the datagrams it answers with. */
function kernel(
  answer: (type: number, flags: number, seq: number, payload: Buffer, request: Buffer) => Buffer[],
) {
  const sent: { type: number; flags: number; payload: Buffer }[] = [];
  let onMessage: (d: Buffer) => void = () => {};
  const t: NetlinkTransport = {
    port: 7,
    send(d) {
      const type = d.readUInt16LE(4);
      const flags = d.readUInt16LE(6);
      const seq = d.readUInt32LE(8);
      const payload = d.subarray(16, d.readUInt32LE(0));
      sent.push({ type, flags, payload });
      for (const a of answer(type, flags, seq, payload, d)) setImmediate(() => onMessage(a));
    },
    onMessage: (cb) => (onMessage = cb),
    onError: () => {},
    keepAlive: () => {},
    close() {},
  };
  return { sock: openRtSocket(new AckedRtSocket(new AckedRequests(t))), sent };
}

const route = (dst: string): Buffer => {
  const out = new AttrStream();
  rt.formatRouteMessage(
    {
      kind: 'route',
      data: { family: 2, dstLen: 32, table: 254, protocol: 4, scope: 0, type: 1 },
      attrs: { dst: Buffer.from(dst.split('.').map(Number)), table: 254 },
    },
    out,
  );
  return Buffer.concat(out.bufs);
};

test('a request carries REQUEST | ACK and the caller flags; a refusal reads as the library wrote it', async (t) => {
  const { sock, sent } = kernel((_type, _flags, seq, _payload, req) => [errorMsg(seq, 17, req)]);
  const err = await t.throwsAsync(
    sock.newRoute(
      { family: 2, dstLen: 32, table: 254 },
      { dst: Buffer.from([10, 1, 2, 3]) },
      { flags: 0x400 },
    ),
  );
  t.is(errnoOf(err), 'EEXIST');
  t.is(sent[0]?.type, RTM_NEWROUTE);
  t.is(sent[0]?.flags, 0x1 | 0x4 | 0x400);
  const mine = new AttrStream();
  rt.formatRouteMessage(
    {
      kind: 'route',
      data: { family: 2, dstLen: 32, table: 254 },
      attrs: { dst: Buffer.from([10, 1, 2, 3]) },
    },
    mine,
  );
  t.deepEqual(sent[0]?.payload, Buffer.concat(mine.bufs), 'the library formatted the payload');
});

test('an acked request resolves; a dump comes back parsed, up to NLMSG_DONE', async (t) => {
  const { sock, sent } = kernel((type, _flags, seq, _payload, req) =>
    type === RTM_GETROUTE
      ? [
          Buffer.concat([
            nlmsg(RTM_NEWROUTE, NlFlags.MULTI, seq, route('10.0.0.1')),
            nlmsg(RTM_NEWROUTE, NlFlags.MULTI, seq, route('10.0.0.2')),
          ]),
          nlmsg(NlMsgType.DONE, NlFlags.MULTI, seq, Buffer.alloc(4)),
        ]
      : [errorMsg(seq, 0, req)],
  );
  await sock.delRoute({ family: 2, dstLen: 32 }, { dst: Buffer.from([10, 0, 0, 9]) });
  const routes = await sock.getRoutes({ family: 2 });
  t.deepEqual(
    routes.map((r) => [...(r.attrs.dst ?? [])].join('.')),
    ['10.0.0.1', '10.0.0.2'],
  );
  t.is(sent[1]?.flags, 0x1 | 0x4 | 0x300, 'a dump asks NLM_F_DUMP');
});
