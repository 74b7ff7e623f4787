// SPDX-License-Identifier: Apache-2.0
/** netlink@0.3.0 reports kernel errors as text only; the port maps them to errno names. */
import test from 'ava';
import { errnoOf } from '../../../src/netlink/rtnl-errors.js';

test('errnoOf maps netlink@0.3.0 rejection text to the errno name', (t) => {
  t.is(errnoOf(new Error('Request rejected: EEXIST')), 'EEXIST');
  t.is(errnoOf(new Error('Request rejected: EADDRNOTAVAIL')), 'EADDRNOTAVAIL');
  t.is(errnoOf(new Error('socket closed')), 'EUNKNOWN');
  t.is(errnoOf('Request rejected: EPERM'), 'EPERM');
});
