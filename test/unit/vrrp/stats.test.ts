// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { advertDestinations, isMulticast, txChecksumMode } from '../../../src/vrrp/packet.js';
import { countAction, countDrop, newStats } from '../../../src/vrrp/stats.js';
import { DROP_REASONS } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';

test('newStats has a zero counter for every drop reason; countDrop bumps only its own', (t) => {
  const s = newStats();
  t.deepEqual(Object.keys(s.drops).sort(), [...DROP_REASONS].sort());
  countDrop(s, 'badTtl');
  countDrop(s, 'badTtl');
  countDrop(s, 'castMismatch');
  t.is(s.drops.badTtl, 2);
  t.is(s.drops.castMismatch, 1);
  t.is(
    Object.values(s.drops).reduce((a, b) => a + b, 0),
    3,
  );
});

test('countAction: adverts sent (priority 0 also as pri_zero_sent) and count actions; others ignored', (t) => {
  const s = newStats();
  countAction(s, { type: 'sendAdvert', priority: 100 });
  countAction(s, { type: 'sendAdvert', priority: 0 });
  countAction(s, { type: 'count', counter: 'becomeMaster' });
  countAction(s, { type: 'count', counter: 'advertRcvd' });
  countAction(s, { type: 'addVips' });
  t.like(s, { advertSent: 2, priZeroSent: 1, becomeMaster: 1, advertRcvd: 1, releaseMaster: 0 });
});

test('advert destinations: every unicast peer, else the family multicast group', (t) => {
  t.deepEqual(advertDestinations(baseConfig()), ['224.0.0.18']);
  t.deepEqual(advertDestinations(baseConfig({ family: 'inet6', primaryAddress: 'fe80::1' })), ['ff02::12']);
  t.deepEqual(advertDestinations(baseConfig({ unicastPeers: ['10.0.0.3', '10.0.0.4'] })), [
    '10.0.0.3',
    '10.0.0.4',
  ]);
});

test('tx checksum mode: v2 plain, v3 IPv4 pseudo unless v3_checksum_as_v2, v3 IPv6 always pseudo', (t) => {
  t.is(txChecksumMode(baseConfig({ version: 2 })), 'plain');
  t.is(txChecksumMode(baseConfig()), 'pseudo');
  t.is(txChecksumMode(baseConfig({ v3ChecksumAsV2: true })), 'plain');
  t.is(txChecksumMode(baseConfig({ family: 'inet6', v3ChecksumAsV2: true })), 'pseudo');
});

test('isMulticast', (t) => {
  t.true(isMulticast('224.0.0.18'));
  t.true(isMulticast('239.255.255.255'));
  t.false(isMulticast('240.0.0.1'));
  t.false(isMulticast('10.0.0.1'));
  t.true(isMulticast('ff02::12'));
  t.false(isMulticast('fe80::1'));
  t.false(isMulticast(''));
});
