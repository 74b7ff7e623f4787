// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import ipaddr from 'ipaddr.js';
import {
  decodeCmdAttrs,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  encodeCmdAttrs,
  encodeDestDumpAttrs,
  ipvsAttrs,
  nestedIn,
} from '../../../src/ipvs/attrs.js';
import { AttrWriter } from '../../../src/netlink/codec.js';
import type { IpvsDestination, IpvsService, ServiceKey, SyncDaemon } from '../../../src/ipvs/model.js';
import { ipvsadmSchedulers } from '../../../src/ipvs/model.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const noFlags = { flag1: false, flag2: false, flag3: false, onePacket: false };

// Golden bytes, written from include/uapi/linux/ip_vs.h: nlattr {u16 len, u16 type} host order,
// 4-byte aligned; SVC PORT/DEST PORT big-endian; FLAGS {u32 flags, u32 mask}; IPv4 NETMASK __be32.
const goldenService = hex(`
  48000180
    06000100 0200 0000
    06000200 0600 0000
    08000300 0a000001
    06000400 0050 0000
    08000600 776c6300
    0c000700 00000000 ffffffff
    08000800 00000000
    08000900 ffffffff`);

const goldenPersistentMh = hex(`
  48000180
    06000100 0200 0000
    06000200 1100 0000
    08000300 0a000001
    06000400 0035 0000
    07000600 6d6800 00
    0c000700 19000000 ffffffff
    08000800 2c010000
    08000900 ffffff00`);

const goldenDest = hex(`
  3c000280
    08000100 0a000002
    06000200 1f90 0000
    06000b00 0200 0000
    08000300 00000000
    08000400 01000000
    08000500 00000000
    08000600 00000000`);

const goldenGueDest = hex(`
  60000280
    14000100 20010db8 00000000 00000000 00000002
    06000200 0050 0000
    06000b00 0a00 0000
    08000300 02000000
    08000400 05000000
    08000500 64000000
    08000600 0a000000
    05000d00 01 000000
    06000e00 17c0 0000
    06000f00 0100 0000`);

test('NEW_SERVICE TCP 10.0.0.1:80 wlc: golden bytes', (t) => {
  const svc: IpvsService = {
    key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
    scheduler: 'wlc',
    flags: noFlags,
  };
  t.deepEqual(encodeCmdAttrs({ service: svc }), goldenService);
});

test('persistent UDP mh service with flag-1,flag-2 and -M 255.255.255.0: golden bytes', (t) => {
  const svc: IpvsService = {
    key: { kind: 'addr', family: 'inet', protocol: 'udp', address: '10.0.0.1', port: 53 },
    scheduler: 'mh',
    flags: { flag1: true, flag2: true, flag3: false, onePacket: false },
    persistence: { timeout: 300, netmask: '255.255.255.0' },
  };
  t.deepEqual(encodeCmdAttrs({ service: svc }), goldenPersistentMh);
});

/** The real of goldenDest. */
const natDest: IpvsDestination = {
  family: 'inet',
  address: '10.0.0.2',
  port: 8080,
  method: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
};

test('NEW_DEST 10.0.0.2:8080 masq weight 1: golden bytes', (t) => {
  t.deepEqual(encodeCmdAttrs({ dest: natDest }), goldenDest);
});

test('GUE tunnel dest: TUN_TYPE u8, TUN_PORT big-endian, TUN_FLAGS u16: golden bytes', (t) => {
  const d: IpvsDestination = {
    family: 'inet6',
    address: '2001:db8::2',
    port: 80,
    method: 'tunnel',
    weight: 5,
    upperThreshold: 100,
    lowerThreshold: 10,
    tunnel: { type: 'gue', port: 6080, checksum: 'csum' },
  };
  t.deepEqual(encodeCmdAttrs({ dest: d }), goldenGueDest);
});

test('fwmark IPv6 service sends AF + FWMARK only as identity, prefix length as NETMASK', (t) => {
  const svc: IpvsService = {
    key: { kind: 'fwmark', family: 'inet6', fwmark: 100 },
    scheduler: 'rr',
    flags: noFlags,
    persistence: { timeout: 60, netmask: 64 },
  };
  t.deepEqual(encodeCmdAttrs({ serviceKey: svc.key }), hex('14000180 06000100 0a00 0000 08000500 64000000'));
  const top = decodeCmdAttrs(encodeCmdAttrs({ service: svc }));
  if (!top.ok || top.value.service === undefined) return t.fail('no service');
  const back = decodeService(top.value.service);
  t.deepEqual(back, { ok: true, value: { service: svc } });
});

test('a service key encoded once per key object: the same bytes each time, and again after the object changed', (t) => {
  const key: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 };
  // SERVICE nest: AF inet, PROTOCOL tcp, ADDR 10.0.0.1, PORT 80 (big-endian)
  const tcp80 = hex('24000180 06000100 02000000 06000200 06000000 08000300 0a000001 06000400 00500000');
  t.deepEqual(encodeCmdAttrs({ serviceKey: key }), tcp80);
  t.deepEqual(encodeCmdAttrs({ serviceKey: key }), tcp80);
  t.deepEqual(encodeCmdAttrs({ serviceKey: key, dest: natDest }), Buffer.concat([tcp80, goldenDest]));
  // a caller that edits its key object in place gets the new key's bytes, never the cached ones
  const mutable = key as { port: number; address: string };
  mutable.port = 443;
  mutable.address = '10.0.0.9';
  t.deepEqual(
    encodeCmdAttrs({ serviceKey: key }),
    hex('24000180 06000100 02000000 06000200 06000000 08000300 0a000009 06000400 01bb0000'),
  );
  // equal keys in other objects encode alike
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (address, port) => {
      const a: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'udp', address, port };
      t.deepEqual(encodeCmdAttrs({ serviceKey: a }), encodeCmdAttrs({ serviceKey: { ...a } }));
    }),
  );
});

test('decodeService: kernel reply with 16-byte ADDR, HASHED flag and STATS64', (t) => {
  const S = ipvsAttrs.service;
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(0x2, 0); // HASHED only
  flags.writeUInt32LE(0xffffffff, 4);
  const w = new AttrWriter()
    .u16(S.AF.id, 2)
    .u16(S.PROTOCOL.id, 132)
    .bytes(S.ADDR.id, hex('c0000201 00000000 00000000 00000000'))
    .u16be(S.PORT.id, 3868)
    .string(S.SCHED_NAME.id, 'sed')
    .bytes(S.FLAGS.id, flags)
    .u32(S.TIMEOUT.id, 0)
    .u32be(S.NETMASK.id, 0xffffffff)
    .nested(S.STATS64.id, (n) => {
      n.bytes(1, hex('0500000000000000')).bytes(4, hex('0001000000000000'));
    });
  const r = decodeService(w.toBuffer());
  if (!r.ok) return t.fail(r.reason);
  t.deepEqual(r.value.service, {
    key: { kind: 'addr', family: 'inet', protocol: 'sctp', address: '192.0.2.1', port: 3868 },
    scheduler: 'sed',
    flags: noFlags,
  });
  t.is(r.value.stats?.conns, 5n);
  t.is(r.value.stats?.inBytes, 256n);
});

test('decodeService / decodeDest skip the counters when not asked for them (listings, plans)', (t) => {
  const stats = (n: AttrWriter): void => {
    n.bytes(1, hex('0500000000000000'));
  };
  const svc = new AttrWriter()
    .u16(1, 2)
    .u16(2, 6)
    .bytes(3, hex('0a000001'))
    .u16be(4, 80)
    .string(6, 'rr')
    .nested(12, stats)
    .toBuffer();
  const dst = new AttrWriter()
    .bytes(1, hex('0a000002'))
    .u16be(2, 80)
    .u32(3, 0)
    .u32(4, 1)
    .u16(11, 2)
    .nested(12, stats)
    .toBuffer();
  const withS = decodeService(svc);
  const noS = decodeService(svc, { stats: false });
  t.is(withS.ok && withS.value.stats?.conns, 5n);
  t.true(noS.ok && noS.value.stats === undefined);
  const withD = decodeDest(dst, 'inet');
  const noD = decodeDest(dst, 'inet', { stats: false });
  t.is(withD.ok && withD.value.stats?.conns, 5n);
  t.true(
    noD.ok && noD.value.stats === undefined && noD.value.address === '10.0.0.2' && noD.value.weight === 1,
  );
});

test('decodeService / decodeDest reject replies that lack what they need', (t) => {
  t.false(decodeService(new AttrWriter().u16(1, 7).toBuffer()).ok);
  t.false(decodeService(new AttrWriter().u16(1, 2).u16(2, 6).toBuffer()).ok);
  t.false(decodeDest(new AttrWriter().u16be(2, 80).toBuffer(), 'inet').ok);
  t.false(decodeDest(new AttrWriter().bytes(1, hex('0a000001')).u32(3, 7).toBuffer(), 'inet').ok);
});

test('daemon: encode master with all options, decode the kernel form', (t) => {
  const dm: SyncDaemon = {
    state: 'master',
    interface: 'eth0',
    syncId: 7,
    maxLen: 1400,
    group: '224.0.0.99',
    port: 8849,
    ttl: 2,
  };
  const top = decodeCmdAttrs(encodeCmdAttrs({ daemon: dm }));
  if (!top.ok || top.value.daemon === undefined) return t.fail('no daemon');
  t.deepEqual(decodeDaemon(top.value.daemon), { ok: true, value: dm });
  const stop = decodeCmdAttrs(encodeCmdAttrs({ daemonState: 'backup' }));
  t.deepEqual(stop.ok && stop.value.daemon, hex('08000100 02000000'));
});

test('timeouts: 0 leaves a value out; info decodes version and table size', (t) => {
  t.deepEqual(
    encodeCmdAttrs({ timeouts: { tcp: 900, tcpFin: 0, udp: 300 } }),
    hex('08000400 84030000 08000600 2c010000'),
  );
  t.deepEqual(decodeInfo(hex('08000100 01020100 08000200 00100000')), {
    ok: true,
    value: { version: 0x010201, connTableSize: 4096 },
  });
  t.false(decodeInfo(hex('08000100 01020100')).ok);
});

const v4 = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map((b) => b.join('.'));
const v6 = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => ipaddr.fromByteArray([0x20, 0x01, ...b.subarray(2)]).toString());
const fam = fc.constantFrom('inet' as const, 'inet6' as const);
const flagsArb = fc.record({
  flag1: fc.boolean(),
  flag2: fc.boolean(),
  flag3: fc.boolean(),
  onePacket: fc.boolean(),
});

const serviceArb: fc.Arbitrary<IpvsService> = fam.chain((family) =>
  fc
    .record({
      key: fc.oneof(
        fc.record({
          kind: fc.constant('addr' as const),
          family: fc.constant(family),
          protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
          address: family === 'inet' ? v4 : v6,
          port: fc.integer({ min: 0, max: 65535 }),
        }),
        fc.record({
          kind: fc.constant('fwmark' as const),
          family: fc.constant(family),
          fwmark: fc.integer({ min: 1, max: 0xffffffff }),
        }),
      ),
      scheduler: fc.constantFrom(...ipvsadmSchedulers),
      flags: flagsArb,
      persistence: fc.option(
        fc.record({
          timeout: fc.integer({ min: 1, max: 2678400 }),
          netmask:
            family === 'inet'
              ? fc
                  .integer({ min: 0, max: 32 })
                  .map((p) => ipaddr.IPv4.subnetMaskFromPrefixLength(p).toString())
              : fc.integer({ min: 1, max: 128 }),
        }),
        { nil: undefined },
      ),
      persistenceEngine: fc.option(fc.constant('sip'), { nil: undefined }),
    })
    .map((s) => {
      const out: IpvsService = { key: s.key, scheduler: s.scheduler, flags: s.flags };
      if (s.persistence !== undefined) out.persistence = s.persistence;
      if (s.persistenceEngine !== undefined) out.persistenceEngine = s.persistenceEngine;
      return out;
    }),
);

const destArb: fc.Arbitrary<IpvsDestination> = fam.chain((family) =>
  fc
    .record({
      address: family === 'inet' ? v4 : v6,
      port: fc.integer({ min: 0, max: 65535 }),
      method: fc.constantFrom('masq' as const, 'droute' as const, 'tunnel' as const),
      weight: fc.integer({ min: 0, max: 65535 }),
      upperThreshold: fc.nat(),
      lowerThreshold: fc.nat(),
      tunnel: fc.oneof(
        fc.constant({ type: 'ipip' as const }),
        fc.record({
          type: fc.constant('gue' as const),
          port: fc.integer({ min: 1, max: 65535 }),
          checksum: fc.constantFrom('nocsum' as const, 'csum' as const, 'remcsum' as const),
        }),
        fc.record({
          type: fc.constant('gre' as const),
          checksum: fc.constantFrom('nocsum' as const, 'csum' as const, 'remcsum' as const),
        }),
      ),
    })
    .map(({ tunnel, ...d }) => (d.method === 'tunnel' ? { family, ...d, tunnel } : { family, ...d })),
);

test('service encode -> decode round trip (property)', (t) => {
  fc.assert(
    fc.property(serviceArb, (svc) => {
      const top = decodeCmdAttrs(encodeCmdAttrs({ service: svc }));
      if (!top.ok || top.value.service === undefined) return false;
      const back = decodeService(top.value.service);
      t.deepEqual(back, { ok: true, value: { service: svc } });
      return true;
    }),
  );
});

test('destination encode -> decode round trip (property)', (t) => {
  fc.assert(
    fc.property(destArb, (d) => {
      const top = decodeCmdAttrs(encodeCmdAttrs({ dest: d }));
      if (!top.ok || top.value.dest === undefined) return false;
      const back = decodeDest(top.value.dest, 'inet');
      if (!back.ok) return false;
      const { activeConns, inactiveConns, persistConns, ...cfg } = back.value;
      t.deepEqual(cfg, d);
      return activeConns === 0 && inactiveConns === 0 && persistConns === 0;
    }),
  );
});

test("GET_DEST's attributes, encoded without the key cache, are the cached encoder's bytes (property)", (t) => {
  fc.assert(
    fc.property(serviceArb, (svc) => {
      t.deepEqual(encodeDestDumpAttrs(svc.key), encodeCmdAttrs({ serviceKey: svc.key }));
    }),
  );
});

/** `attrs` as a dump reply carries them: after an attribute of another type, before one more. */
const amidOthers = (attrs: Buffer): Buffer =>
  Buffer.concat([
    new AttrWriter().u32(ipvsAttrs.cmd.TIMEOUT_TCP.id, 900).toBuffer(),
    attrs,
    hex('08000700 01000000'),
  ]);

test('a reply decoded in place (nestedIn, start/end) reads as the nested attribute copied out (property)', (t) => {
  fc.assert(
    fc.property(serviceArb, destArb, (svc, d) => {
      const svcReply = amidOthers(encodeCmdAttrs({ service: svc }));
      const sAt = nestedIn(svcReply, ipvsAttrs.cmd.SERVICE.id);
      if (typeof sAt === 'string') return false;
      t.deepEqual(decodeService(svcReply, {}, sAt.start, sAt.end), { ok: true, value: { service: svc } });
      const destReply = amidOthers(encodeCmdAttrs({ dest: d }));
      const dAt = nestedIn(destReply, ipvsAttrs.cmd.DEST.id);
      if (typeof dAt === 'string') return false;
      const top = decodeCmdAttrs(destReply);
      if (!top.ok || top.value.dest === undefined) return false;
      t.deepEqual(decodeDest(destReply, 'inet', {}, dAt.start, dAt.end), decodeDest(top.value.dest, 'inet'));
      return true;
    }),
  );
});

test('nestedIn: a missing attribute or malformed attributes give a reason', (t) => {
  t.is(nestedIn(hex('08000700 01000000'), ipvsAttrs.cmd.DEST.id), 'no such attribute');
  const bad = nestedIn(hex('08000700 0100'), ipvsAttrs.cmd.DEST.id);
  t.true(typeof bad === 'string' && /out of range/.test(bad));
  // a nested attribute that claims more than its parent holds is an error, not a read past it
  const cut = Buffer.concat([hex('0c000200'), hex('10000100 0a000001')]);
  const at = nestedIn(cut, ipvsAttrs.cmd.DEST.id);
  if (typeof at === 'string') return t.fail(at);
  t.false(decodeDest(cut, 'inet', {}, at.start, at.end).ok);
});

test('decoders never throw on garbage (property)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fam, (bytes, f) => {
      const b = Buffer.from(bytes);
      decodeService(b);
      decodeDest(b, f);
      decodeDaemon(b);
      decodeCmdAttrs(b);
      decodeInfo(b);
      const at = nestedIn(b, ipvsAttrs.cmd.DEST.id);
      if (typeof at !== 'string') decodeDest(b, f, {}, at.start, at.end);
      return true;
    }),
  );
  t.pass();
});
