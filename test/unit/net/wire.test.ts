// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { inetChecksum } from '../../../src/net/wire.js';
import { addrBytes, addrText, canonicalAddr, compareAddr, macBytes } from '../../../src/core/addr.js';

test('addrBytes agrees with ipaddr.js on any IPv4 text (fast dotted-quad path included)', (t) => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 300 }).map(String),
    fc.constantFrom('00', '010', '0x1f', '', '-1'),
  );
  fc.assert(
    fc.property(fc.array(octet, { minLength: 1, maxLength: 5 }), (parts) => {
      const text = parts.join('.');
      const want = ipaddr.isValid(text) ? Array.from(ipaddr.parse(text).toByteArray()) : undefined;
      const got = addrBytes(text);
      return JSON.stringify(got ? Array.from(got) : undefined) === JSON.stringify(want);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('addrBytes agrees with ipaddr.js on IPv6 text (fast hex-group path included)', (t) => {
  const group = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16)),
    fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16).toUpperCase().padStart(4, '0')),
    fc.constantFrom('', '0', '00000', 'g', '1.2.3.4'),
  );
  const text = fc.oneof(
    fc.array(group, { minLength: 1, maxLength: 9 }).map((gs) => gs.join(':')),
    fc
      .tuple(fc.array(group, { maxLength: 8 }), fc.array(group, { maxLength: 8 }))
      .map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
    fc.ipV6(),
  );
  fc.assert(
    fc.property(text, (s) => {
      const want = ipaddr.isValid(s) ? Array.from(ipaddr.parse(s).toByteArray()) : undefined;
      const got = addrBytes(s);
      return JSON.stringify(got ? Array.from(got) : undefined) === JSON.stringify(want);
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('addrText formats 16 bytes exactly like ipaddr.js (RFC 5952)', (t) => {
  const bytes = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), {
    minLength: 16,
    maxLength: 16,
  });
  fc.assert(
    fc.property(bytes, (b) => addrText(Uint8Array.from(b)) === ipaddr.fromByteArray(b).toString()),
    { numRuns: 5000 },
  );
  t.pass();
});

test('addrText / canonicalAddr / compareAddr', (t) => {
  t.is(addrText(Uint8Array.from([10, 99, 0, 100])), '10.99.0.100');
  t.is(canonicalAddr('fd00:99:0:0::100'), 'fd00:99::100');
  t.is(canonicalAddr('not an address'), 'not an address');
  t.true(compareAddr('10.0.0.9', '10.0.0.10') < 0);
  t.true(compareAddr('10.0.1.0', '10.0.0.255') > 0);
  t.is(compareAddr('fe80::1', 'fe80:0::1'), 0);
});

test('inetChecksum: RFC 1071 example and odd length', (t) => {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 → checksum 0x220d.
  t.is(inetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
  t.is(inetChecksum(Uint8Array.from([0xff])), 0x00ff);
});

test('macBytes', (t) => {
  t.deepEqual(Array.from(macBytes('02:99:00:00:00:01')), [2, 0x99, 0, 0, 0, 1]);
  t.deepEqual(Array.from(macBytes('02-99-00-00-00-0a')), [2, 0x99, 0, 0, 0, 10]);
  t.throws(() => macBytes('02:99:00:00:00'));
  t.throws(() => macBytes('02:99:00:00:00:zz'));
});
