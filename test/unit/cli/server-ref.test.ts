// SPDX-License-Identifier: Apache-2.0
// How operators name servers: every form lvsd prints or an operator pastes reads to one server,
// which prints in the form `lvsd real drain` sends.
import test from 'ava';
import {
  formatServerRef,
  parseServerRef,
  realServerText,
  virtualServerText,
} from '../../../src/core/server-ref.js';

const rows: Array<[string, string | undefined]> = [
  ['tcp:10.0.0.1:80', 'tcp:10.0.0.1:80'],
  ['TCP:10.0.0.1:80', 'tcp:10.0.0.1:80'],
  ['10.0.0.1:80', '10.0.0.1:80'],
  ['[10.0.0.1]:tcp:80', 'tcp:10.0.0.1:80'], // keepalived's form: logs, FIFO lines, older status
  ['[2001:DB8:0::1]:udp:53', 'udp:[2001:db8::1]:53'],
  ['udp:[2001:db8::1]:53', 'udp:[2001:db8::1]:53'],
  ['[2001:db8::1]:53', '[2001:db8::1]:53'],
  ['sctp:192.0.2.1:9', 'sctp:192.0.2.1:9'],
  ['TCP  10.0.0.1:80 wrr', 'tcp:10.0.0.1:80'], // an ipvsadm -Ln service line
  ['fwmark:5', 'fwmark:5'],
  ['FWM 5', 'fwmark:5'],
  [' tcp:10.0.0.1:80 ', 'tcp:10.0.0.1:80'],
  ['a:1', undefined], // names no address
  ['2001:db8::1:80', undefined], // ambiguous without brackets
  ['10.0.0.1:70000', undefined],
  ['10.0.0.1', undefined],
  ['icmp:10.0.0.1:80', undefined],
  ['fwmark:0', undefined],
  ['', undefined],
];

for (const [text, printed] of rows) {
  test(`'${text}' reads as ${printed ?? 'nothing'}`, (t) => {
    const ref = parseServerRef(text);
    t.is(ref && formatServerRef(ref, true), printed);
  });
}

test('status text: virtual servers keep their protocol, real servers drop it', (t) => {
  t.is(virtualServerText('[10.0.0.100]:tcp:80'), 'tcp:10.0.0.100:80');
  t.is(virtualServerText('FWM 7'), 'fwmark:7');
  t.is(realServerText('[192.168.0.101]:tcp:80'), '192.168.0.101:80');
  t.is(realServerText('[fd00::2]:udp:53'), '[fd00::2]:53');
  // What cannot be read is printed as the worker sent it.
  t.is(virtualServerText('something else'), 'something else');
  t.is(realServerText('fwmark:3'), 'fwmark:3');
});

test('what is printed reads back to the same server', (t) => {
  for (const [text, printed] of rows) {
    if (printed === undefined) continue;
    t.deepEqual(parseServerRef(printed), parseServerRef(text), text);
  }
});
