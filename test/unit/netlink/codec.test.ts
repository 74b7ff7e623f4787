// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import {
  AttrDecoder,
  AttrWriter,
  NlFlags,
  decodeErrorPayload,
  decodeGenlPayload,
  decodeMessages,
  encodeGenlRequest,
  errnoName,
} from '../../../src/netlink/codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('AttrWriter: TLVs are 4-byte aligned, host order except the be variants', (t) => {
  const b = new AttrWriter()
    .u8(1, 0xab)
    .u16(2, 0x1234)
    .u16be(3, 0x1234)
    .u32(4, 1)
    .u32be(5, 1)
    .string(6, 'IPVS')
    .toBuffer();
  t.deepEqual(
    b,
    hex(`05000100 ab000000  06000200 3412 0000  06000300 1234 0000  08000400 01000000  08000500 00000001
         09000600 49505653 00000000`),
  );
});

test('AttrWriter: nested attributes carry NLA_F_NESTED and the inner length', (t) => {
  const b = new AttrWriter().nested(1, (w) => w.u16(1, 2)).toBuffer();
  t.deepEqual(b, hex('0c000180 06000100 02000000'));
});

test('encodeGenlRequest: nlmsghdr + genlmsghdr, golden bytes of CTRL_CMD_GETFAMILY "IPVS"', (t) => {
  const attrs = new AttrWriter().string(2, 'IPVS').toBuffer();
  const b = encodeGenlRequest({
    family: 0x10,
    cmd: 3,
    version: 1,
    flags: NlFlags.REQUEST | NlFlags.ACK,
    seq: 7,
    port: 0x1234,
    attrs,
  });
  t.deepEqual(b, hex('20000000 1000 0500 07000000 34120000  03010000  09000200 49505653 00000000'));
});

test('decodeMessages splits a datagram and decodes ERROR/ACK payloads', (t) => {
  // an ACK (error 0) for seq 9 followed by an EEXIST for seq 10
  const ack = hex('24000000 0200 0000 09000000 00000000  00000000  14000000 2000 0500 09000000 00000000');
  const eexist = hex('24000000 0200 0000 0a000000 00000000  efffffff  14000000 2000 0500 0a000000 00000000');
  const r = decodeMessages(Buffer.concat([ack, eexist]));
  if (!r.ok) return t.fail(r.reason);
  t.is(r.value.length, 2);
  const [a, e] = r.value.map((m) => decodeErrorPayload(m.payload));
  t.deepEqual(a, { ok: true, value: { errno: 0, seq: 9 } });
  t.deepEqual(e, { ok: true, value: { errno: 17, seq: 10 } });
  t.is(errnoName(17), 'EEXIST');
  t.is(errnoName(9999), 'E9999');
});

test('decodeMessages reports bad lengths instead of throwing', (t) => {
  t.deepEqual(decodeMessages(hex('0800')), { ok: false, reason: 'shortHeader' });
  t.deepEqual(decodeMessages(hex('ff000000 0200 0000 00000000 00000000')), {
    ok: false,
    reason: 'badLength',
  });
  t.deepEqual(decodeMessages(hex('04000000 0200 0000 00000000 00000000')), {
    ok: false,
    reason: 'badLength',
  });
  t.deepEqual(decodeGenlPayload(hex('01')), { ok: false, reason: 'shortGenlHeader' });
});

test('AttrDecoder: the first error is sticky and accessors return zero values afterwards', (t) => {
  const d = new AttrDecoder(hex('05000100 ab000000 06000200'));
  t.true(d.next());
  t.is(d.u32(), 0); // a u8 read as u32: too short
  t.regex(d.err() ?? '', /u32 needs 4 bytes, has 1/);
  t.false(d.next());
  t.is(d.u8(), 0);
});

test('AttrDecoder: truncated header and overlong attribute are errors', (t) => {
  const d1 = new AttrDecoder(hex('0800'));
  t.false(d1.next());
  t.regex(d1.err() ?? '', /truncated/);
  const d2 = new AttrDecoder(hex('10000100 00000000'));
  t.false(d2.next());
  t.regex(d2.err() ?? '', /out of range/);
});

test('AttrWriter -> AttrDecoder round trip (property)', (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ type: fc.integer({ min: 1, max: 0x3fff }), v: fc.integer({ min: 0, max: 0xffffffff }) }),
        { maxLength: 20 },
      ),
      (attrs) => {
        const w = new AttrWriter();
        for (const a of attrs) w.u32(a.type, a.v);
        const d = new AttrDecoder(w.toBuffer());
        const back: { type: number; v: number }[] = [];
        while (d.next()) back.push({ type: d.type(), v: d.u32() });
        return d.err() === undefined && JSON.stringify(back) === JSON.stringify(attrs);
      },
    ),
  );
  t.pass();
});

test('decoders never throw on garbage (property)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b = Buffer.from(bytes);
      const r = decodeMessages(b);
      if (r.ok) for (const m of r.value) decodeErrorPayload(m.payload);
      const d = new AttrDecoder(b);
      while (d.next()) {
        d.u64();
        d.string();
        d.nested((n) => {
          while (n.next()) n.u16be();
        });
      }
      return true;
    }),
  );
  t.pass();
});

test('AttrWriter grows past its initial buffer without losing data', (t) => {
  const w = new AttrWriter(8);
  for (let i = 1; i <= 100; i++)
    w.nested(i, (n) =>
      n.u8(1, i).u16(2, i).u16be(3, i).u32(4, i).u32be(5, i).bytes(6, [i, i]).string(7, `s${i}`),
    );
  const d = new AttrDecoder(w.toBuffer());
  let count = 0;
  while (d.next()) {
    const i = d.type();
    d.nested((n) => {
      const seen: unknown[] = [];
      while (n.next())
        seen.push(
          n.type() === 7
            ? n.string()
            : n.type() === 6
              ? [...n.bytes()]
              : n.type() === 3
                ? n.u16be()
                : n.type() === 5
                  ? n.u32be()
                  : n.type() === 1
                    ? n.u8()
                    : n.type() === 2
                      ? n.u16()
                      : n.u32(),
        );
      t.deepEqual(seen, [i, i, i, i, i, [i, i], `s${i}`]);
    });
    count++;
  }
  t.is(d.err(), undefined);
  t.is(count, 100);
});
