// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import { parseIpvsadmArgs } from '../../../src/ipvs/ipvsadm-args.js';
import { parseSaveLineFast } from '../../../src/ipvs/save-line.js';

/** What the general parser makes of a line: the op, or undefined for any other result or an error. */
function general(args: string[]): unknown {
  const r = parseIpvsadmArgs(args);
  return r.ok && r.value.cmd === 'op' ? r.value.op : { refused: r.ok ? r.value.cmd : r.error.message };
}

// Mostly valid parts, so that a fair share of lines is one the fast reader accepts: with even odds per
// part only about 1 line in 1,000 was, and a run could compare none.
const octet = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('256', '01', '00', 'x') },
);
const quad = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const num = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 70000 }).map(String) },
  fc.constantFrom('0', '65535', '65536', '080', '+80', '2147483647', '2147483648', '99999999999', ''),
);
const addrPort = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(quad, num).map(([a, p]) => `${a}:${p}`) },
  quad,
  fc.constantFrom('[2001:db8::1]:80', 'localhost:80', '10.0.0.1:http'),
);
const sched = fc.constantFrom('rr', 'wrr', 'mh', 'averyveryverylongschedulername', 'Rr', '-x', 'sh');
const proto = fc.constantFrom('-t', '-u', '-f', '--sctp-service');

const serviceLine = fc.tuple(proto, addrPort, sched).map(([p, v, s]) => ['-A', p, v, '-s', s]);
const realLine = fc
  .tuple(proto, addrPort, addrPort, fc.constantFrom('-m', '-g', '-i'), num)
  .map(([p, v, r, m, w]) => ['-a', p, v, '-r', r, m, '-w', w]);
const otherLine = fc.oneof(
  serviceLine.map((a) => [...a, '-p', '300']),
  realLine.map((a) => [...a.slice(0, 6)]),
  realLine.map((a) => [a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[6]!, a[7]!, a[5]!]),
);

test('the fast reader of save lines equals the general parser on every line it accepts', (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(serviceLine, realLine, otherLine), (args) => {
      const fast = parseSaveLineFast(args);
      if (fast === undefined) return true;
      accepted++;
      t.deepEqual(fast, general(args), args.join(' '));
      return true;
    }),
    { numRuns: 3000 },
  );
  // The comparison means something only if the fast reader took a fair share of the lines.
  t.true(accepted >= 100, `the fast reader accepted ${accepted} of 3000 lines`);
});

test('the fast reader takes the lines ipvsadm -Sn writes for plain services and NAT/DR reals', (t) => {
  const lines = [
    '-A -t 10.0.0.1:80 -s wrr',
    '-A -u 192.168.255.254:65535 -s mh',
    '-a -t 10.0.0.1:80 -r 172.16.0.1:8080 -m -w 1',
    '-a -t 10.0.0.1:80 -r 172.16.0.2:8080 -g -w 0',
    '-a -u 10.0.0.1:53 -r 172.16.0.3:53 -m -w 2147483647',
  ];
  for (const l of lines) {
    const args = l.split(' ');
    const fast = parseSaveLineFast(args);
    t.not(fast, undefined, l);
    t.deepEqual(fast, general(args), l);
  }
  for (const l of [
    '-A -t 10.0.0.1:0 -s rr',
    '-A -t 10.0.0.1:80 -s rr -p 60',
    '-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 1',
  ])
    t.is(parseSaveLineFast(l.split(' ')), undefined, l);
});
