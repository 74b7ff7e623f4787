// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { buildGarp } from '../../../src/net/garp.js';
import { buildUnsolicitedNa } from '../../../src/net/ndisc.js';
import { inetChecksum } from '../../../src/net/wire.js';
import { toHex } from '../../../src/core/bytes.js';
import { golden } from '../vrrp/golden.js';

test('gratuitous ARP is byte-identical to keepalived capture (request, tha broadcast)', (t) => {
  t.is(toHex(buildGarp({ mac: '02:99:00:00:00:01', vip: '10.99.0.100' })), toHex(golden('garp-ipv4')));
});

test('gratuitous ARP takes MAC bytes too and rejects a malformed MAC or non-IPv4 VIP', (t) => {
  const mac = new Uint8Array([2, 0x99, 0, 0, 0, 1]);
  t.is(toHex(buildGarp({ mac, vip: '10.99.0.100' })), toHex(golden('garp-ipv4')));
  t.throws(() => buildGarp({ mac: '02:99:00', vip: '10.99.0.100' }));
  t.throws(() => buildGarp({ mac, vip: 'fd00::1' }));
});

test('unsolicited NA is byte-identical to keepalived capture (Override, TLLA, checksum 0x56d2)', (t) => {
  t.is(
    toHex(buildUnsolicitedNa({ mac: '02:99:00:00:00:01', vip: 'fd00:99::100' })),
    toHex(golden('unsolicited-na-ipv6')),
  );
});

test('unsolicited NA with the Router flag has a valid checksum over the pseudo-header', (t) => {
  const f = buildUnsolicitedNa({ mac: '02:99:00:00:00:01', vip: 'fd00:99::100', router: true });
  t.is(f[58], 0xa0);
  // Verify: the sum over pseudo-header + ICMPv6 message including the checksum is 0 (folded 0xffff).
  const pseudo = new Uint8Array(40);
  pseudo.set(f.subarray(22, 54), 0);
  pseudo[35] = 32;
  pseudo[39] = 58;
  const all = new Uint8Array(72);
  all.set(pseudo, 0);
  all.set(f.subarray(54), 40);
  t.is(inetChecksum(all), 0);
});
