// SPDX-License-Identifier: Apache-2.0
// Property tests: the codec never throws on hostile bytes; encode/decode round-trips; the machine
// keeps its invariants under any sequence of events.
import test from 'ava';
import fc from 'fast-check';
import { canonicalAddr } from '../../../src/core/addr.js';
import { parseIpPacket } from './ip-packet.js';
import { initMachine, step } from '../../../src/vrrp/machine.js';
import { decodeAdvert, encodeAdvert, receiveAdvert } from '../../../src/vrrp/packet.js';
import { DROP_REASONS } from '../../../src/vrrp/types.js';
import type { MachineEvent, RxMeta } from '../../../src/vrrp/types.js';
import { baseConfig } from './config-fixture.js';
import { ADVERT_VECTORS, golden } from './golden.js';

const metas: RxMeta[] = [
  { family: 'inet', src: '10.99.0.1', dst: '224.0.0.18', ttl: 255 },
  { family: 'inet6', src: 'fe80::99:ff:fe00:1', dst: 'ff02::12', ttl: 255 },
  { family: 'inet', src: '', dst: '', ttl: 0 }, // metadata the socket could not provide
  { family: 'inet6', src: 'junk', dst: '10.0.0.1', ttl: 64 },
];
const cfgs = [
  baseConfig({ vrid: 52, vips: ['10.99.0.100'] }),
  baseConfig({ vrid: 51, version: 2, advertIntMs: 1000, auth: { type: 'pass', pass: 'ka-lab' } }),
  baseConfig({ vrid: 53, family: 'inet6', primaryAddress: 'fe80::2', vips: ['fd00:99::100'] }),
];

function neverThrows(bytes: Uint8Array): boolean {
  for (const meta of metas) {
    const d = decodeAdvert(bytes, meta);
    if (!d.ok && !DROP_REASONS.includes(d.reason)) return false;
    for (const cfg of cfgs) {
      const r = receiveAdvert(
        bytes,
        {
          ...meta,
          family: cfg.family,
          src: cfg.family === 'inet' ? '10.99.0.1' : 'fe80::1',
          dst: cfg.family === 'inet' ? '224.0.0.18' : 'ff02::12',
        },
        cfg,
      );
      if (!r.ok && !DROP_REASONS.includes(r.reason)) return false;
    }
  }
  const ip = parseIpPacket(bytes);
  return ip.ok || DROP_REASONS.includes(ip.reason);
}

test('random bytes never throw: always ok or a DropReason', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), neverThrows), { numRuns: 3000 });
  t.pass();
});

test('mutated golden packets never throw: always ok or a DropReason', (t) => {
  const seeds = ADVERT_VECTORS.map((n) => golden(n));
  const ipSeeds = seeds.map((b) => {
    const p = parseIpPacket(b);
    if (!p.ok) throw new Error('golden');
    return p.value.payload;
  });
  const all = [...seeds, ...ipSeeds];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: all.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: -8, max: 8 }),
      (i, edits, cut) => {
        const base = all[i] ?? new Uint8Array(0);
        const b = base.slice(0, Math.max(0, base.length + Math.min(0, cut)));
        for (const [pos, val] of edits) if (b.length > 0) b[pos % b.length] = val;
        return neverThrows(cut > 0 ? Uint8Array.from([...b, ...new Uint8Array(cut)]) : b);
      },
    ),
    { numRuns: 3000 },
  );
  t.pass();
});

test('encode → decode round-trips any valid advert (v2, v3; IPv4, IPv6; both checksum modes)', (t) => {
  const v4 = fc.ipV4();
  const v6 = fc.ipV6();
  fc.assert(
    fc.property(
      fc.constantFrom<'v2' | 'v3-4' | 'v3-6'>('v2', 'v3-4', 'v3-6'),
      fc.integer({ min: 1, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 1, max: 4095 }),
      fc.array(v4, { maxLength: 20 }),
      fc.array(v6, { maxLength: 20 }),
      fc.boolean(),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (kind, vrid, priority, intv, a4, a6, plain, auth) => {
        const family = kind === 'v3-6' ? 'inet6' : 'inet';
        const version = kind === 'v2' ? 2 : 3;
        const adverInt = version === 2 ? intv % 256 : intv;
        const addresses = family === 'inet' ? a4 : a6;
        const ctx = family === 'inet' ? metas[0] : metas[1];
        if (!ctx) return false;
        const mode = family === 'inet' && plain ? 'plain' : 'pseudo';
        const bytes = encodeAdvert(
          { version, vrid, priority, adverInt, addresses, authType: version === 2 ? 1 : 0, authData: auth },
          { ...ctx, mode },
        );
        const d = decodeAdvert(bytes, ctx);
        if (!d.ok) return version === 3 && adverInt === 0;
        return (
          d.consumed === bytes.length &&
          d.value.vrid === vrid &&
          d.value.priority === priority &&
          d.value.adverInt === adverInt &&
          d.value.addresses.join() === addresses.map(canonicalAddr).join() &&
          d.value.checksumMode === (version === 2 ? 'plain' : mode)
        );
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});

const eventArb: fc.Arbitrary<MachineEvent> = fc.oneof(
  fc.constant<MachineEvent>({ type: 'start' }),
  fc.record({
    type: fc.constant('advert' as const),
    advert: fc.record({
      src: fc.constantFrom('10.0.0.1', '10.0.0.9'),
      version: fc.constant(3 as const),
      vrid: fc.constant(51),
      priority: fc.integer({ min: 0, max: 255 }),
      maxAdverIntMs: fc.constantFrom(100, 1000, 10),
    }),
  }),
  fc.record({
    type: fc.constant('timer' as const),
    which: fc.constantFrom(
      'masterDown' as const,
      'advert' as const,
      'garpDelayed' as const,
      'garpRefresh' as const,
    ),
  }),
  fc.record({ type: fc.constant('link' as const), up: fc.boolean() }),
  fc.record({
    type: fc.constant('tracking' as const),
    delta: fc.integer({ min: -300, max: 300 }),
    fault: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('sync' as const),
    to: fc.constantFrom('master' as const, 'backup' as const, 'fault' as const, 'faultCleared' as const),
  }),
  fc.constant<MachineEvent>({ type: 'shutdown' }),
);

test('machine invariants under any event sequence', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 2000 })), { maxLength: 60 }),
      fc.constantFrom(100, 255),
      fc.boolean(),
      fc.constantFrom<'master' | 'backup'>('master', 'backup'),
      (script, priority, inSyncGroup, initialState) => {
        let s = initMachine(
          baseConfig({
            priority,
            inSyncGroup,
            initialState,
            garp: {
              masterRepeat: 5,
              masterDelayMs: 5000,
              masterRefreshMs: 2000,
              masterRefreshRepeat: 1,
              lowerPrioRepeat: 5,
              lowerPrioDelayMs: 0,
            },
          }),
        );
        let now = 0;
        let vips = 0;
        for (const [ev, dt] of script) {
          now += dt;
          const r = step(s, ev, now);
          for (const a of r.actions) {
            if (a.type === 'addVips') vips++;
            if (a.type === 'removeVips') vips--;
            if (a.type === 'armTimer' && !(a.at >= now)) return false; // never in the past
            if (
              a.type === 'sendAdvert' &&
              a.priority !== 0 &&
              r.state.name !== 'master' &&
              s.name !== 'master'
            )
              return false;
          }
          s = r.state;
          // VIPs are held exactly while master.
          if (vips !== (s.name === 'master' ? 1 : 0)) return false;
          // A master always has its advert timer; a backup always its down timer; others neither.
          if ((s.name === 'master') !== (s.timers.advert !== undefined)) return false;
          if ((s.name === 'backup') !== (s.timers.masterDown !== undefined)) return false;
          if (s.effectivePriority < 1 || s.effectivePriority > 255) return false;
          if (priority === 255 && s.effectivePriority < 254) return false; // 254 only for a duplicate owner
          if (priority !== 255 && s.effectivePriority > 254) return false;
        }
        return true;
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});
