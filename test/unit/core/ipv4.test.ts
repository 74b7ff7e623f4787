// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { canonicalQuadValue } from '../../../src/core/ipv4.js';

test('canonical quads parse; anything else is left to the general parser', (t) => {
  t.is(canonicalQuadValue('10.20.0.1'), 0x0a140001);
  t.is(canonicalQuadValue('255.255.255.255'), 0xffffffff);
  t.is(canonicalQuadValue('0.0.0.0'), 0);
  for (const bad of [
    '010.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.256',
    '1..2.3',
    '1.2.3.4.',
    '',
    '::1',
    'a.b.c.d',
    '1.2.3.1000',
  ])
    t.is(canonicalQuadValue(bad), undefined, bad);
});

test('agrees with ipaddr.js on every canonical quad', (t) => {
  fc.assert(
    fc.property(fc.ipV4(), (text) => {
      const bytes = ipaddr.parse(text).toByteArray();
      const want = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
      return canonicalQuadValue(text) === want;
    }),
    { numRuns: 500 },
  );
  t.pass();
});
