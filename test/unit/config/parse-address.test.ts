// SPDX-License-Identifier: Apache-2.0
// parseAddress's dotted-quad fast path gives exactly what the ipaddr.js path gives (property test).
import test from 'ava';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { parseAddress } from '../../../src/config/values.js';

/** The reference: parseAddress as it was before the fast path (ipaddr.js only). */
function reference(text: string): { family: string; address: string } | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text))
    return { family: 'inet', address: ipaddr.IPv4.parse(text).toString() };
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const a = ipaddr.IPv6.parse(text);
    return a.zoneId !== undefined ? undefined : { family: 'inet6', address: a.toString() };
  }
  return undefined;
}

const part = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.integer({ min: 0, max: 300 }).map((n) => `0${n}`),
  fc.constantFrom('', '-1', '0x1f', '1e2', ' 1', '256', '999', '1000', '00'),
);

test('dotted quads: same answer as ipaddr.js, for valid and invalid ones', (t) => {
  fc.assert(
    fc.property(fc.array(part, { minLength: 3, maxLength: 5 }), (parts) => {
      const text = parts.join('.');
      t.deepEqual(parseAddress(text), reference(text), text);
    }),
    { numRuns: 5000 },
  );
  for (const text of [
    '10.20.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3',
    '::ffff:1.2.3.4',
    'fe80::1%eth0',
  ])
    t.deepEqual(parseAddress(text), reference(text), text);
  t.deepEqual(parseAddress('10.20.0.1'), { family: 'inet', address: '10.20.0.1' });
  t.is(parseAddress('10.20.0.256'), undefined);
});
