// SPDX-License-Identifier: Apache-2.0
/**
 * The IPsec AH codec (src/vrrp/ipsec-ah.ts) against packets keepalived 2.2.7 sent (captured with
 * tcpdump in a namespace: `auth_type AH`, a multicast instance with auth_pass `secret1` and a unicast
 * one with `pw`, source 10.77.0.1): lvsd accepts them, builds the same bytes from the same state
 * (the IPv4 header checksum aside, which the kernel fills in on send), and refuses tampering and
 * replays as keepalived does.
 */
import test from 'ava';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { AhSession, ahVrid, syncsSequence } from '../../../src/vrrp/ipsec-ah.js';
import { createHmac } from 'node:crypto';
import { buildAdvert, receiveAdvert } from '../../../src/vrrp/packet.js';
import { baseConfig } from './config-fixture.js';

/** keepalived, multicast, auth_pass secret1, vrid 51, priority 100, VIP 10.77.0.100: seq 1 and 2. */
const MCAST = [
  '45c0004000010000ff33d0690a4d0001e0000012700400000a4d000100000001ad73da503f1a9de0820372e62133640102016e190a4d00640000000000000000',
  '45c0004000020000ff33d0680a4d0001e0000012700400000a4d000100000002edfb8498141a40055ac7b4c32133640102016e190a4d00640000000000000000',
].map((h) => fromHex(h));
/** keepalived, unicast to 10.77.0.2, auth_pass pw, vrid 52, VIP 10.77.0.101: seq 1 and 2. */
const UCAST = [
  '45c0004000010000ff33a62d0a4d00010a4d0002700400000a4d000100000001902609eae890133a155fc99f2134640102016e170a4d00650000000000000000',
  '45c0004000020000ff33a62c0a4d00010a4d0002700400000a4d000100000002' +
    '24c424d4c504af81ec2a67c22134640102016e170a4d00650000000000000000',
].map((h) => fromHex(h));

/** The packet with its IPv4 header checksum zeroed (the kernel computes it on an IP_HDRINCL send). */
function withoutIpChecksum(p: Uint8Array): string {
  const c = Uint8Array.from(p);
  c[10] = 0;
  c[11] = 0;
  return toHex(c);
}

const mcastCfg = baseConfig({
  version: 2,
  vrid: 51,
  advertIntMs: 1000,
  primaryAddress: '10.77.0.1',
  vips: ['10.77.0.100'],
  auth: { type: 'ah', pass: 'secret1' },
});
const ucastCfg = baseConfig({
  ...mcastCfg,
  vrid: 52,
  vips: ['10.77.0.101'],
  unicastPeers: ['10.77.0.2'],
  auth: { type: 'ah', pass: 'pw' },
});

test("keepalived's multicast and unicast AH adverts are accepted, in order, and give the VRRP message", (t) => {
  for (const [pkts, pass, unicast, vrid] of [
    [MCAST, 'secret1', false, 51],
    [UCAST, 'pw', true, 52],
  ] as const) {
    const s = new AhSession({ pass, unicast });
    for (const [i, p] of pkts.entries()) {
      t.is(ahVrid(p), vrid);
      const r = s.open(p);
      if (!r.ok) return t.fail(`${pass} #${i}: ${r.reason}`);
      t.is(r.seq, i + 1);
      t.is(r.src, '10.77.0.1');
      t.is(s.seq, i + 1, 'the counter follows the received number');
      t.is(r.payload[4], 2, 'VRRP auth type 2 (AH)');
      t.is(r.payload[2], 100, 'priority');
    }
  }
});

test('wrap builds the bytes keepalived sent from the same state (first and second advert)', (t) => {
  for (const [pkts, cfg, dst] of [
    [MCAST, mcastCfg, '224.0.0.18'],
    [UCAST, ucastCfg, '10.77.0.2'],
  ] as const) {
    const s = new AhSession({
      pass: cfg.auth.type === 'ah' ? cfg.auth.pass : '',
      unicast: dst !== '224.0.0.18',
    });
    for (const p of pkts) {
      s.beginAdvert();
      const vrrp = buildAdvert(cfg, 100, dst);
      t.is(toHex(s.wrap(vrrp, '10.77.0.1', dst)), withoutIpChecksum(p));
    }
  }
});

test('the VRRP message inside is accepted by an AH instance, not by a PASS or plain one', (t) => {
  const r = new AhSession({ pass: 'secret1', unicast: false }).open(MCAST[0]!);
  if (!r.ok) return t.fail(r.reason);
  const meta = { src: '10.77.0.1', dst: '224.0.0.18', ttl: 255, family: 'inet' as const };
  const peer = { ...mcastCfg, primaryAddress: '10.77.0.2' };
  t.true(receiveAdvert(r.payload, meta, peer).ok);
  const pass = receiveAdvert(r.payload, meta, { ...peer, auth: { type: 'pass', pass: 'secret1' } });
  t.deepEqual(pass, { ok: false, reason: 'badAuthType' });
  const none = receiveAdvert(r.payload, meta, { ...peer, auth: { type: 'none' } });
  t.deepEqual(none, { ok: false, reason: 'badAuthType' });
});

/** An independent HMAC-MD5-96 over a multicast packet (TOS, flags/offset, checksum, ICV zeroed). */
function resign(p: Uint8Array, pass: string): void {
  const c = Uint8Array.from(p);
  c[1] = 0;
  c.fill(0, 6, 8);
  c.fill(0, 10, 12);
  c.fill(0, 32, 44);
  const key = Buffer.alloc(8);
  key.write(pass);
  p.set(createHmac('md5', key).update(c).digest().subarray(0, 12), 32);
}

test('a wrong key, a changed covered byte, a forged SPI or a replay is refused', (t) => {
  t.deepEqual(new AhSession({ pass: 'secret2', unicast: false }).open(MCAST[0]!), {
    ok: false,
    reason: 'authMismatch',
  });
  // the unicast ICV zeroes the TTL, the multicast one does not: the modes do not mix
  t.deepEqual(new AhSession({ pass: 'secret1', unicast: true }).open(MCAST[0]!), {
    ok: false,
    reason: 'authMismatch',
  });
  const prio = Uint8Array.from(MCAST[0]!);
  prio[46] = 200; // the VRRP priority
  t.deepEqual(new AhSession({ pass: 'secret1', unicast: false }).open(prio), {
    ok: false,
    reason: 'authMismatch',
  });
  // mutable fields are not covered: TOS, flags/fragment offset and the header checksum may change
  const mutable = Uint8Array.from(MCAST[0]!);
  mutable[1] = 0;
  mutable[6] = 0x40;
  mutable[10] = 0xff;
  t.true(new AhSession({ pass: 'secret1', unicast: false }).open(mutable).ok);
  // an ICV made independently checks out; with an SPI other than the source it is refused
  const resigned = Uint8Array.from(MCAST[0]!);
  resign(resigned, 'secret1');
  t.is(toHex(resigned), toHex(MCAST[0]!), "the test's own HMAC-MD5-96 gives keepalived's ICV");
  const badSpi = Uint8Array.from(MCAST[0]!);
  badSpi[27] = 9; // SPI 10.77.0.9, source 10.77.0.1
  resign(badSpi, 'secret1');
  t.deepEqual(new AhSession({ pass: 'secret1', unicast: false }).open(badSpi), {
    ok: false,
    reason: 'authMismatch',
  });
  const replay = new AhSession({ pass: 'secret1', unicast: false });
  t.true(replay.open(MCAST[1]!).ok);
  t.deepEqual(replay.open(MCAST[0]!), { ok: false, reason: 'authReplay' }, 'seq 1 after seq 2');
  t.deepEqual(replay.open(MCAST[1]!), { ok: false, reason: 'authReplay' }, 'seq 2 twice');
});

test('one counter for both directions: received numbers raise it, adverts continue from it', (t) => {
  const s = new AhSession({ pass: 'secret1', unicast: false });
  t.true(s.open(MCAST[1]!).ok);
  s.beginAdvert();
  const next = s.wrap(buildAdvert(mcastCfg, 100, '224.0.0.18'), '10.77.0.1', '224.0.0.18');
  t.is(new DataView(next.buffer).getUint32(28), 3, 'a backup that takes over sends above what it heard');
  s.syncFrom(41);
  s.beginAdvert();
  const synced = s.wrap(buildAdvert(mcastCfg, 100, '224.0.0.18'), '10.77.0.1', '224.0.0.18');
  t.is(
    new DataView(synced.buffer).getUint32(28),
    43,
    'a master hearing a lower priority continues from its number + 1, then counts',
  );
});

test('syncsSequence: a MASTER takes the number of a lower priority (or equal priority, lower address) advert', (t) => {
  const us = { name: 'master' as const, effectivePriority: 100, primaryAddress: '10.0.0.5' };
  t.true(syncsSequence(us, { priority: 90, src: '10.0.0.9' }));
  t.true(syncsSequence(us, { priority: 100, src: '10.0.0.4' }));
  t.false(syncsSequence(us, { priority: 100, src: '10.0.0.6' }));
  t.false(syncsSequence(us, { priority: 110, src: '10.0.0.1' }));
  t.false(syncsSequence(us, { priority: 0, src: '10.0.0.1' }), 'priority 0 is a resignation');
  t.false(syncsSequence({ ...us, name: 'backup' }, { priority: 90, src: '10.0.0.9' }));
});
