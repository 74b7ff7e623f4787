// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { toHex } from '../../../src/core/bytes.js';
import { buildIpv4Header, buildIpv6Header, parseIpPacket } from './ip-packet.js';
import {
  advertChecksum,
  buildAdvert,
  decodeAdvert,
  encodeAdvert,
  receiveAdvert,
  validateAdvert,
} from '../../../src/vrrp/packet.js';
import type { Advert, MachineConfig, RxMeta } from '../../../src/vrrp/types.js';
import { ADVERT_VECTORS, decoded, golden } from './golden.js';
import { baseConfig } from './config-fixture.js';

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

for (const name of ADVERT_VECTORS) {
  test(`golden ${name}: decodes to its documented fields`, (t) => {
    const want = decoded[name];
    if (!want) return t.fail(`no decoded.json entry for ${name}`);
    const ip = parseIpPacket(golden(name));
    if (!ip.ok) return t.fail(ip.reason);
    t.is(ip.value.src, want.ip.src);
    t.is(ip.value.dst, want.ip.dst);
    t.is(ip.value.ttl, want.ip.ttl ?? want.ip.hop_limit ?? -1);
    const d = decodeAdvert(ip.value.payload, ip.value);
    if (!d.ok) return t.fail(d.reason);
    const v = d.value;
    t.is(d.consumed, want.vrrp.vrrp_len);
    t.is<number, number>(v.version, want.vrrp.version);
    t.is<number, number>(v.type, want.vrrp.type);
    t.is(v.vrid, want.vrrp.vrid);
    t.is(v.priority, want.vrrp.priority);
    t.deepEqual(v.addresses, want.vrrp.addresses);
    t.is(hex16(v.checksum), want.vrrp.checksum);
    if (want.vrrp.version === 2) {
      t.is<number | undefined, number | undefined>(v.adverInt, want.vrrp.adver_int_s);
      t.is<number | undefined, number | undefined>(v.authType, want.vrrp.auth_type);
      t.is<string | undefined, string | undefined>(toHex(v.authData), want.vrrp.auth_data);
      t.is(v.checksumMode, 'plain');
    } else {
      t.is<number | undefined, number | undefined>(v.adverInt, want.vrrp.max_adver_int_cs);
      t.is(v.checksumMode, 'pseudo');
    }
    const msg = ip.value.payload.subarray(0, d.consumed);
    t.is(hex16(advertChecksum(msg, 'plain')), want.vrrp.checksum_computed_no_pseudo_hdr);
    t.is(hex16(advertChecksum(msg, 'pseudo', ip.value)), want.vrrp.checksum_computed_with_pseudo_hdr);
  });

  test(`golden ${name}: re-encodes byte-identically (IP header included)`, (t) => {
    const bytes = golden(name);
    const ip = parseIpPacket(bytes);
    if (!ip.ok) return t.fail(ip.reason);
    const d = decodeAdvert(ip.value.payload, ip.value);
    if (!d.ok) return t.fail(d.reason);
    const v = d.value;
    const payload = encodeAdvert(
      {
        version: v.version,
        vrid: v.vrid,
        priority: v.priority,
        adverInt: v.adverInt,
        addresses: v.addresses,
        authType: v.authType,
        authData: v.authData,
      },
      { family: ip.value.family, src: ip.value.src, dst: ip.value.dst, mode: v.checksumMode },
    );
    const want = decoded[name];
    const header =
      ip.value.family === 'inet'
        ? buildIpv4Header({
            src: ip.value.src,
            dst: ip.value.dst,
            payloadLen: payload.length,
            id: parseInt(want?.ip.id ?? '0', 16),
          })
        : buildIpv6Header({
            src: ip.value.src,
            dst: ip.value.dst,
            payloadLen: payload.length,
            flowLabel: ip.value.flowLabel, // kernel auto flow label: taken from the capture
          });
    t.is(toHex(header) + toHex(payload), toHex(bytes));
  });
}

function configFor(name: string, patch: Partial<MachineConfig> = {}): MachineConfig {
  const want = decoded[name];
  if (!want) throw new Error(name);
  const v = want.vrrp;
  return baseConfig({
    vrid: v.vrid,
    version: v.version === 2 ? 2 : 3,
    family: want.ip.ip_version === 4 ? 'inet' : 'inet6',
    advertIntMs: v.version === 2 ? (v.adver_int_s ?? 1) * 1000 : (v.max_adver_int_cs ?? 100) * 10,
    primaryAddress: want.ip.ip_version === 4 ? '10.99.0.2' : 'fe80::99:ff:fe00:2',
    vips: v.addresses,
    auth: v.auth_type === 1 ? { type: 'pass', pass: v.auth_data_ascii ?? '' } : { type: 'none' },
    ...patch,
  });
}

for (const name of ADVERT_VECTORS) {
  test(`golden ${name}: buildAdvert from the same config gives keepalived's bytes`, (t) => {
    const want = decoded[name];
    if (!want) return t.fail();
    const ip = parseIpPacket(golden(name));
    if (!ip.ok) return t.fail(ip.reason);
    const cfg = configFor(name, { primaryAddress: want.ip.src });
    t.is(toHex(buildAdvert(cfg, want.vrrp.priority, want.ip.dst)), toHex(ip.value.payload));
  });

  test(`golden ${name}: accepted by a peer instance with the same config`, (t) => {
    const ip = parseIpPacket(golden(name));
    if (!ip.ok) return t.fail(ip.reason);
    const r = receiveAdvert(ip.value.payload, ip.value, configFor(name));
    if (!r.ok) return t.fail(r.reason);
    t.false(r.vipMismatch);
    t.is<string | undefined, string | undefined>(r.value.src, decoded[name]?.ip.src);
    t.is(r.value.maxAdverIntMs, 1000);
  });
}

const v3Meta: RxMeta = { family: 'inet', src: '10.99.0.1', dst: '224.0.0.18', ttl: 255 };

test('v3 IPv4: v3_checksum_as_v2 encodes without the pseudo-header, and both variants decode', (t) => {
  const cfg = configFor('v3-ipv4', { primaryAddress: '10.99.0.1', v3ChecksumAsV2: true });
  const plain = buildAdvert(cfg, 150, '224.0.0.18');
  t.is<string | undefined, string | undefined>(
    hex16(((plain[6] ?? 0) << 8) | (plain[7] ?? 0)),
    decoded['v3-ipv4']?.vrrp.checksum_computed_no_pseudo_hdr,
  );
  const d = decodeAdvert(plain, v3Meta);
  t.true(d.ok && d.value.checksumMode === 'plain');
});

test('v3 IPv4 unicast: the pseudo-header uses the actual destination (the peer)', (t) => {
  const cfg = configFor('v3-ipv4', { primaryAddress: '10.99.0.1', unicastPeers: ['10.99.0.2'] });
  const bytes = buildAdvert(cfg, 150, '10.99.0.2');
  t.true(decodeAdvert(bytes, { family: 'inet', src: '10.99.0.1', dst: '10.99.0.2' }).ok);
  const wrongDst = decodeAdvert(bytes, { family: 'inet', src: '10.99.0.1', dst: '224.0.0.18' });
  t.deepEqual(wrongDst, { ok: false, reason: 'badChecksum' });
});

test('v2: Adver Int is whole seconds (0.4 s is sent as 0, like keepalived)', (t) => {
  const cfg = configFor('v2-ipv4-auth-none', { advertIntMs: 400 });
  t.is(buildAdvert(cfg, 100, '224.0.0.18')[5], 0);
});

test('trailing link-layer padding is tolerated and not consumed', (t) => {
  const ip = parseIpPacket(golden('v3-ipv4'));
  if (!ip.ok) return t.fail();
  const padded = new Uint8Array(ip.value.payload.length + 14);
  padded.set(ip.value.payload);
  const d = decodeAdvert(padded, ip.value);
  t.true(d.ok);
  if (d.ok) t.is(d.consumed, 12);
});

// Crafted hostile inputs: each must be a drop with its own reason.
function v3Payload(): Uint8Array {
  const ip = parseIpPacket(golden('v3-ipv4'));
  if (!ip.ok) throw new Error('golden');
  return ip.value.payload.slice();
}
function v2Payload(name = 'v2-ipv4-auth-none'): Uint8Array {
  const ip = parseIpPacket(golden(name));
  if (!ip.ok) throw new Error('golden');
  return ip.value.payload.slice();
}
function fixChecksum(b: Uint8Array, mode: 'plain' | 'pseudo' = 'pseudo'): Uint8Array {
  const c = advertChecksum(b, mode, v3Meta);
  b[6] = c >>> 8;
  b[7] = c & 0xff;
  return b;
}

const decodeRows: { name: string; bytes: () => Uint8Array; reason: string }[] = [
  { name: 'empty', bytes: () => new Uint8Array(0), reason: 'truncated' },
  { name: '7 bytes', bytes: () => v3Payload().subarray(0, 7), reason: 'truncated' },
  {
    name: 'version 4',
    bytes: () => fixChecksum(Object.assign(v3Payload(), { 0: 0x41 })),
    reason: 'badVersion',
  },
  {
    name: 'version 1',
    bytes: () => fixChecksum(Object.assign(v3Payload(), { 0: 0x11 })),
    reason: 'badVersion',
  },
  { name: 'type 2', bytes: () => fixChecksum(Object.assign(v3Payload(), { 0: 0x32 })), reason: 'badType' },
  { name: 'count 2 with 1 address', bytes: () => Object.assign(v3Payload(), { 3: 2 }), reason: 'badCount' },
  { name: 'count 9', bytes: () => Object.assign(v3Payload(), { 3: 9 }), reason: 'badCount' },
  { name: 'truncated address', bytes: () => v3Payload().subarray(0, 10), reason: 'badCount' },
  {
    name: 'flipped checksum bit',
    bytes: () => Object.assign(v3Payload(), { 7: 0xad }),
    reason: 'badChecksum',
  },
  { name: 'flipped priority', bytes: () => Object.assign(v3Payload(), { 2: 151 }), reason: 'badChecksum' },
  { name: 'vrid 0', bytes: () => fixChecksum(Object.assign(v3Payload(), { 1: 0 })), reason: 'badVrid' },
  {
    name: 'interval 0',
    bytes: () => fixChecksum(Object.assign(v3Payload(), { 4: 0, 5: 0 })),
    reason: 'badInterval',
  },
  { name: 'v2 missing auth data', bytes: () => v2Payload().subarray(0, 12), reason: 'badCount' },
  { name: 'v2 bad checksum', bytes: () => Object.assign(v2Payload(), { 6: 0 }), reason: 'badChecksum' },
];
for (const row of decodeRows) {
  test(`decode drops: ${row.name} → ${row.reason}`, (t) => {
    t.deepEqual(decodeAdvert(row.bytes(), v3Meta), { ok: false, reason: row.reason });
  });
}

test('decode drops: VRRPv2 over IPv6 → badVersion', (t) => {
  t.deepEqual(decodeAdvert(v2Payload(), { family: 'inet6', src: 'fe80::1', dst: 'ff02::12' }), {
    ok: false,
    reason: 'badVersion',
  });
});

function advertOf(name: string): { adv: Advert; meta: RxMeta } {
  const ip = parseIpPacket(golden(name));
  if (!ip.ok) throw new Error('golden');
  const d = decodeAdvert(ip.value.payload, ip.value);
  if (!d.ok) throw new Error(d.reason);
  return { adv: d.value, meta: { family: ip.value.family, src: ip.value.src, dst: ip.value.dst, ttl: 255 } };
}

const validateRows: {
  name: string;
  vector: string;
  cfg?: Partial<MachineConfig>;
  meta?: Partial<RxMeta>;
  reason: string;
}[] = [
  { name: 'TTL 254 multicast', vector: 'v3-ipv4', meta: { ttl: 254 }, reason: 'badTtl' },
  { name: 'hop limit 1 IPv6', vector: 'v3-ipv6', meta: { ttl: 1 }, reason: 'badTtl' },
  { name: 'v3 packet, v2 instance', vector: 'v3-ipv4', cfg: { version: 2 }, reason: 'versionMismatch' },
  { name: 'other VRID', vector: 'v3-ipv4', cfg: { vrid: 9 }, reason: 'badVrid' },
  { name: 'our own advert', vector: 'v3-ipv4', cfg: { primaryAddress: '10.99.0.1' }, reason: 'ownAdvert' },
  {
    name: 'unicast from a non-peer',
    vector: 'v3-ipv4',
    cfg: { unicastPeers: ['10.99.0.7'], checkUnicastSrc: true },
    meta: { dst: '10.99.0.2' },
    reason: 'unicastSrcNotPeer',
  },
  {
    name: 'unicast peer below its min_ttl',
    vector: 'v3-ipv4',
    cfg: {
      unicastPeers: ['10.99.0.1'],
      checkUnicastSrc: true,
      unicastPeerTtl: { '10.99.0.1': { min: 250 } },
    },
    meta: { dst: '10.99.0.2', ttl: 64 },
    reason: 'badTtl',
  },
  {
    name: 'unicast packet on a multicast instance',
    vector: 'v3-ipv4',
    meta: { dst: '10.99.0.2' },
    reason: 'castMismatch',
  },
  {
    name: 'multicast packet on a unicast instance',
    vector: 'v3-ipv4',
    cfg: { unicastPeers: ['10.99.0.1'] },
    reason: 'castMismatch',
  },
  {
    name: 'PASS expected, none received',
    vector: 'v2-ipv4-auth-none',
    cfg: { auth: { type: 'pass', pass: 'ka-lab' } },
    reason: 'badAuthType',
  },
  {
    name: 'PASS mismatch',
    vector: 'v2-ipv4-auth-pass',
    cfg: { auth: { type: 'pass', pass: 'other' } },
    reason: 'authMismatch',
  },
  {
    name: 'v2 interval differs',
    vector: 'v2-ipv4-auth-none',
    cfg: { advertIntMs: 2000 },
    reason: 'intervalMismatch',
  },
  {
    name: 'owner_ignore_adverts',
    vector: 'v3-ipv4',
    cfg: { priority: 255, ownerIgnoreAdverts: true },
    reason: 'ownerIgnore',
  },
];
for (const row of validateRows) {
  test(`validate drops: ${row.name} → ${row.reason}`, (t) => {
    const { adv, meta } = advertOf(row.vector);
    const cfg = configFor(row.vector, row.cfg ?? {});
    t.deepEqual(validateAdvert(adv, { ...meta, ...row.meta }, cfg), { ok: false, reason: row.reason });
  });
}

test('validate: unicast skips the TTL check; a listed peer passes check_unicast_src', (t) => {
  const { adv, meta } = advertOf('v3-ipv4');
  const cfg = configFor('v3-ipv4', { unicastPeers: ['10.99.0.1'], checkUnicastSrc: true });
  const r = validateAdvert(adv, { ...meta, dst: '10.99.0.2', ttl: 64 }, cfg);
  t.true(r.ok);
  const lim = { ...cfg, unicastPeerTtl: { '10.99.0.1': { min: 60, max: 64 } } };
  t.true(validateAdvert(adv, { ...meta, dst: '10.99.0.2', ttl: 64 }, lim).ok);
  t.deepEqual(validateAdvert(adv, { ...meta, dst: '10.99.0.2', ttl: 65 }, lim), {
    ok: false,
    reason: 'badTtl',
  });
});

test('validate: a VIP list mismatch is reported but accepted (keepalived ≥ 2.3.3), unless skip_check_adv_addr', (t) => {
  const { adv, meta } = advertOf('v3-ipv4');
  const r = validateAdvert(adv, meta, configFor('v3-ipv4', { vips: ['10.99.0.200'] }));
  t.true(r.ok && r.vipMismatch);
  const s = validateAdvert(
    adv,
    meta,
    configFor('v3-ipv4', { vips: ['10.99.0.200'], skipCheckAdvAddr: true }),
  );
  t.true(s.ok && !s.vipMismatch);
});

test('validate: v3 interval is carried, not checked (the backup adopts it)', (t) => {
  const { adv, meta } = advertOf('v3-ipv4');
  const r = validateAdvert(adv, meta, configFor('v3-ipv4', { advertIntMs: 100 }));
  t.true(r.ok);
  if (r.ok) t.is(r.value.maxAdverIntMs, 1000);
});

test('receiveAdvert: trailing bytes after the advertised count are a wrong count → badLength', (t) => {
  const p = v3Payload();
  const longer = new Uint8Array(p.length + 4);
  longer.set(p);
  longer.set([10, 99, 0, 101], p.length); // a 2nd VIP the count does not announce
  t.deepEqual(receiveAdvert(longer, v3Meta, configFor('v3-ipv4')), { ok: false, reason: 'badLength' });
  t.true(receiveAdvert(p, v3Meta, configFor('v3-ipv4')).ok);
});

test('unknown or malformed IP addresses in the rx metadata never throw: no pseudo-header match, no cast check', (t) => {
  const p = v3Payload();
  t.deepEqual(decodeAdvert(p, { family: 'inet', src: '10.99.0.1', dst: '' }), {
    ok: false,
    reason: 'badChecksum',
  });
  t.false(decodeAdvert(p, { family: 'inet6', src: 'junk', dst: '10.0.0.1' }).ok);
  const plain = configFor('v3-ipv4', { v3ChecksumAsV2: true, primaryAddress: '10.99.0.1' });
  const bytes = buildAdvert(plain, 150, '224.0.0.18');
  const r = receiveAdvert(
    bytes,
    { family: 'inet', src: '10.99.0.1', dst: '', ttl: 255 },
    configFor('v3-ipv4'),
  );
  t.true(r.ok);
});

test('parseIpPacket: trims padding by total length and rejects lies', (t) => {
  const bytes = golden('v3-ipv4');
  const padded = new Uint8Array(60);
  padded.set(bytes);
  const p = parseIpPacket(padded);
  t.true(p.ok && p.value.payload.length === 12);
  const lie = bytes.slice();
  lie[3] = 200;
  t.deepEqual(parseIpPacket(lie), { ok: false, reason: 'badLength' });
  t.deepEqual(parseIpPacket(new Uint8Array([0x75])), { ok: false, reason: 'badVersion' });
});
