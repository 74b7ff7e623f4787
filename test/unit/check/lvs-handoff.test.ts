// SPDX-License-Identifier: Apache-2.0
// The LVS worker's hitless-restart record is checked field by field (it is read from a file).
import test from 'ava';
import { isLvsHandoffRecord } from '../../../src/check/lvs-handoff.js';

test('records: accepted and refused', (t) => {
  t.true(isLvsHandoffRecord({ version: 1, at: 5 }));
  t.true(isLvsHandoffRecord({ version: 1, at: 5, timeoutsBefore: { tcp: 900, tcpFin: 120, udp: 300 } }));
  for (const bad of [
    null,
    'x',
    { version: 2, at: 5 },
    { version: 1 },
    { version: 1, at: 5, timeoutsBefore: { tcp: 900, tcpFin: 120 } },
    { version: 1, at: 5, timeoutsBefore: { tcp: -1, tcpFin: 120, udp: 300 } },
    { version: 1, at: 5, timeoutsBefore: { tcp: 1.5, tcpFin: 120, udp: 300 } },
  ])
    t.false(isLvsHandoffRecord(bad), JSON.stringify(bad));
});
