// SPDX-License-Identifier: Apache-2.0
// BIRD's `show protocols` reply over its control socket, parsed into BGP sessions (golden text in
// BIRD 2.0's format), and the end-of-reply test the socket client reads with.
import test from 'ava';
import { parseShowProtocols, replyComplete } from '../../../src/bgp/bird-protocols.js';

const reply = [
  '2002-Name       Proto      Table      State  Since         Info',
  '1002-device1    Device     ---        up     14:02:11.123  ',
  ' lvsd_table Kernel     master4    up     14:02:11.123  ',
  ' router     BGP        ---        up     14:02:13.456  Established   ',
  ' backup     BGP        ---        start  2026-12-03 14:02:11  Active        Socket: Connection refused',
  '0000 ',
  '',
].join('\n');

test('the BGP rows: name, state, established, info (one- and two-word times)', (t) => {
  t.deepEqual(parseShowProtocols(reply), [
    { name: 'router', state: 'up', established: true, info: 'Established' },
    { name: 'backup', state: 'start', established: false, info: 'Active Socket: Connection refused' },
  ]);
});

test('an error reply throws with its text', (t) => {
  t.throws(() => parseShowProtocols('8001 Access denied\n'), { message: 'BIRD: Access denied' });
});

const complete: Array<[string, string, boolean]> = [
  ['the greeting', '0001 BIRD 2.0.12 ready.\n', true],
  ['a whole reply', reply, true],
  ['a reply cut after a continued line', reply.slice(0, reply.indexOf('0000')), false],
  ['a line without its newline', '0000 ', false],
];
for (const [name, text, want] of complete)
  test(`replyComplete: ${name}`, (t) => t.is(replyComplete(text), want));
