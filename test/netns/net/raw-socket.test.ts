// SPDX-License-Identifier: Apache-2.0
/**
 * The native addon on the real kernel, over loopback only: raw VRRP sockets (IPv4 and IPv6) deliver
 * payload, source, destination, ifindex and the received TTL / hop limit; a closed socket stops
 * delivering; errors carry errno codes. Needs root (raw sockets); CI runs as root.
 */
import test from 'ava';
import {
  IpRawSocket,
  SocketError,
  addrBuffer,
  ifNameToIndex,
  type RxPacket,
} from '../../../src/net/raw-socket.io.js';
import { addrText } from '../../../src/core/addr.js';
import { isLvsdError } from '../../../src/core/errors.js';

const lo = ifNameToIndex('lo');

async function roundTrip(family: 'inet' | 'inet6', addr: string): Promise<RxPacket[]> {
  const got: RxPacket[] = [];
  const rx = IpRawSocket.open({
    family,
    protocol: 112,
    ifname: 'lo',
    ifindex: lo,
    onPacket: (p) => got.push(p),
  });
  const tx = IpRawSocket.open({ family, protocol: 112, ifname: 'lo', ifindex: lo });
  try {
    const payload = Buffer.from([0x31, 200, 100, 1, 0, 100, 0, 0, 1, 2, 3, 4]);
    tx.send(payload, addr, addr);
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  } finally {
    rx.close();
    tx.close();
  }
  return got;
}

test('lo has ifindex 1; addresses convert both ways', (t) => {
  t.is(lo, 1);
  t.is(addrText(addrBuffer('fe80::1', 'inet6')), 'fe80::1');
  t.is(addrText(addrBuffer('10.1.2.3', 'inet')), '10.1.2.3');
  const e = t.throws(() => addrBuffer('10.1.2.3', 'inet6'));
  t.true(isLvsdError(e, 'LVSD_E_SOCKET'));
});

test('IPv4 raw VRRP socket: payload without IP header, src, dst, ifindex, TTL 255', async (t) => {
  const got = await roundTrip('inet', '127.0.0.1');
  const p = got.find((x) => x.data[1] === 200);
  t.truthy(p);
  if (!p) return;
  t.is(p.data.length, 12);
  t.is(p.src, '127.0.0.1');
  t.is(p.dst, '127.0.0.1');
  t.is(p.ifindex, lo);
  t.is(p.ttl, 255);
});

test('IPv6 raw VRRP socket: payload, src, dst, ifindex, hop limit 255', async (t) => {
  const got = await roundTrip('inet6', '::1');
  const p = got.find((x) => x.data[1] === 200);
  t.truthy(p);
  if (!p) return;
  t.is(p.data.length, 12);
  t.is(p.src, '::1');
  t.is(p.dst, '::1');
  t.is(p.ttl, 255);
});

test('interface names: 15 characters are valid, 16 are rejected', (t) => {
  t.is(ifNameToIndex('lvsdnosuchif015'), 0);
  const e = t.throws(() => ifNameToIndex('lvsdnosuchif0016'));
  t.true(e instanceof SocketError);
});

test('errors carry the errno: unknown device, send on a closed socket', (t) => {
  const e = t.throws(() =>
    IpRawSocket.open({ family: 'inet', protocol: 112, ifname: 'nosuchdev0', ifindex: 9999 }),
  );
  t.true(e instanceof SocketError);
  t.is((e as SocketError).errno, 'ENODEV');
  const s = IpRawSocket.open({ family: 'inet', protocol: 112, ifname: 'lo', ifindex: lo });
  s.close();
  const e2 = t.throws(() => s.send(Buffer.from([1]), '127.0.0.1'));
  t.is((e2 as SocketError).errno, 'EBADF');
});
