// SPDX-License-Identifier: Apache-2.0
/**
 * The hand-written link and address readers (src/netlink/rtnl-messages.ts) against what
 * netlink@0.3.0 formats and reads (the code they replace at every VRRP worker's start and for every
 * `ip monitor` event), and the dumps of AckedRequests over a fake socket.
 */
import test from 'ava';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { AttrStream } from 'netlink/dist/structs.js';
import * as rt from 'netlink/dist/rt/structs.js';
import { addrBytesOf } from '../../../src/core/addr.js';
import { NlMsgType, decodeMessages } from '../../../src/netlink/codec.js';
import { AckedRequests } from '../../../src/netlink/acked-requests.js';
import {
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  decodeAddr,
  decodeLink,
  encodeDump,
} from '../../../src/netlink/rtnl-messages.js';
import type { NetlinkTransport } from '../../../src/netlink/transport.js';

const formatted = (fill: (out: AttrStream) => void): Buffer => {
  const out = new AttrStream();
  fill(out);
  return Buffer.concat(out.bufs);
};

/** The library's flag sets take `true` or nothing. */
const set = <T extends object>(o: Record<string, boolean>): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v)) as T;

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ifname = fc.stringMatching(/^[a-z][a-z0-9.@_-]{0,14}$/);

test('links: index, name, MAC and up (IFF_UP and IFF_RUNNING) as the library reads them', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 0x7fffffff }),
      ifname,
      fc.option(mac, { nil: undefined }),
      fc.record({ up: fc.boolean(), running: fc.boolean(), broadcast: fc.boolean(), lowerUp: fc.boolean() }),
      (index, name, address, flags) => {
        const attrs: rt.LinkMessage['attrs'] = { ifname: name, mtu: 1500 };
        if (address) attrs.address = Buffer.from(address);
        const payload = formatted((out) =>
          rt.formatLinkMessage({ kind: 'link', data: { index, flags: set(flags) }, attrs }, out),
        );
        const lib = rt.parseLinkMessage(payload);
        const ours = decodeLink(payload);
        t.deepEqual(ours, {
          ifindex: lib.data.index,
          name: lib.attrs.ifname,
          mac: address ? [...address].map((b) => b.toString(16).padStart(2, '0')).join(':') : '',
          up: lib.data.flags?.up === true && lib.data.flags.running === true,
        });
      },
    ),
    { numRuns: 200 },
  );
});

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const v6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((h) => h.map((x) => x.toString(16)).join(':'));

test('addresses: family, address (IFA_LOCAL, else IFA_ADDRESS), prefix, scope, label, secondary and tentative', (t) => {
  fc.assert(
    fc.property(
      fc.oneof(
        v4.map((a) => ['inet', a] as const),
        v6.map((a) => ['inet6', a] as const),
      ),
      fc.integer({ min: 0, max: 128 }),
      fc.integer({ min: 1, max: 0xffffff }),
      fc.constantFrom(0, 200, 253, 254),
      fc.option(fc.stringMatching(/^[a-z]{1,6}(:[a-z0-9]{1,4})?$/), { nil: undefined }),
      fc.record({ secondary: fc.boolean(), tentative: fc.boolean(), permanent: fc.boolean() }),
      fc.boolean(),
      fc.boolean(),
      ([family, text], prefixlen, index, scope, label, flags, flagsAttr, withLocal) => {
        const b = Buffer.from(addrBytesOf(text, family));
        const attrs: rt.AddressAttrs = { address: b };
        if (withLocal) attrs.local = b;
        if (label !== undefined) attrs.label = label;
        if (flagsAttr) attrs.flags = set(flags);
        const data: rt.Address = { family: family === 'inet' ? 2 : 10, prefixlen, index, scope };
        if (!flagsAttr) data.flags = set(flags);
        const payload = formatted((out) => rt.formatAddressMessage({ kind: 'address', data, attrs }, out));
        const ours = decodeAddr(payload);
        t.like(ours, { family, prefixLen: prefixlen, ifindex: index, scope, label });
        t.is(ours?.secondary, flags.secondary);
        t.is(ours?.tentative, flags.tentative);
        t.deepEqual(ours?.address && Buffer.from(addrBytesOf(ours.address, family)), b);
      },
    ),
    { numRuns: 300 },
  );
});

test('a message too short, or an address of neither family, is not read', (t) => {
  t.is(decodeLink(Buffer.alloc(8)), undefined);
  t.is(decodeAddr(Buffer.alloc(4)), undefined);
  t.is(decodeAddr(Buffer.alloc(8)), undefined, 'no IFA_ADDRESS / IFA_LOCAL');
});

function nlmsg(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const m = Buffer.alloc((16 + payload.length + 3) & ~3); // padded to 4, as the kernel sends them
  m.writeUInt32LE(16 + payload.length, 0);
  m.writeUInt16LE(type, 4);
  m.writeUInt16LE(flags, 6);
  m.writeUInt32LE(seq, 8);
  payload.copy(m, 16);
  return m;
}

test('dumps: the messages of several datagrams up to NLMSG_DONE; an errno in DONE ends it', async (t) => {
  const sent: Buffer[] = [];
  let deliver: (d: Buffer) => void = () => {};
  const sock: NetlinkTransport = {
    port: 1,
    send: (d) => void sent.push(d),
    onMessage: (cb) => (deliver = cb),
    onError: () => {},
    keepAlive: () => {},
    close() {},
  };
  const r = new AckedRequests(sock);
  const links = r.dump((seq) => encodeDump(RTM_GETLINK, seq));
  const [req] = sent;
  const d = decodeMessages(req!);
  t.true(d.ok && d.value[0]!.type === RTM_GETLINK && (d.value[0]!.flags & 0x300) === 0x300, 'NLM_F_DUMP');
  const link = formatted((out) =>
    rt.formatLinkMessage({ kind: 'link', data: { index: 2 }, attrs: { ifname: 'eth0' } }, out),
  );
  deliver(Buffer.concat([nlmsg(RTM_NEWLINK, 2, 1, link), nlmsg(RTM_NEWLINK, 2, 99, link)]));
  deliver(Buffer.concat([nlmsg(RTM_NEWLINK, 2, 1, link), nlmsg(NlMsgType.DONE, 2, 1, Buffer.alloc(4))]));
  const got = await links;
  t.is(got.errno, 0);
  t.is(got.messages.length, 2, "another request's message is not this dump's");
  t.is(decodeLink(got.messages[0]!.payload)?.name, 'eth0');
  const addrs = r.dump((seq) => encodeDump(RTM_GETADDR, seq));
  const done = Buffer.alloc(4);
  done.writeInt32LE(-16, 0);
  deliver(nlmsg(NlMsgType.DONE, 2, 2, done));
  t.deepEqual(await addrs, { errno: 16, messages: [] });
  t.is(RTM_NEWADDR, 20);
});
