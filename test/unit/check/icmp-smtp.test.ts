// SPDX-License-Identifier: Apache-2.0
// PING_CHECK's echo codec (golden bytes) and SMTP_CHECK's conversation (keepalived's rules).
import test from 'ava';
import { echoRequest, readEchoReply } from '../../../src/check/icmp.js';
import { smtpStatus, smtpStep } from '../../../src/check/smtp.js';
import { inetChecksum } from '../../../src/net/wire.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('echo request: IPv4 header with a valid checksum, ICMPv6 left to the kernel', (t) => {
  const v4 = echoRequest('inet', { id: 0x1234, seq: 7 });
  t.is(v4.length, 64);
  t.is(hex(v4.subarray(0, 8)).replace(/^(....)(....)/, '$1....'), '0800....12340007');
  t.is(inetChecksum(v4), 0, 'the checksum makes the sum 0');
  const v6 = echoRequest('inet6', { id: 0x1234, seq: 0x10007 });
  t.is(hex(v6.subarray(0, 8)), '8000000012340007', 'type 128, checksum 0, seq wraps to 16 bits');
});

test('echo reply: only a reply of the family, code 0, 8 bytes or more', (t) => {
  const rows: Array<[string, 'inet' | 'inet6', string, ReturnType<typeof readEchoReply>]> = [
    ['IPv4 reply', 'inet', '0000ffff12340007', { id: 0x1234, seq: 7 }],
    ['IPv6 reply', 'inet6', '8100000012340007aa', { id: 0x1234, seq: 7 }],
    ['IPv4 request', 'inet', '0800ffff12340007', undefined],
    ['IPv6 reply on IPv4', 'inet', '8100000012340007', undefined],
    ['nonzero code', 'inet', '0001ffff12340007', undefined],
    ['short', 'inet', '00000000123400', undefined],
  ];
  for (const [name, fam, h, want] of rows) t.deepEqual(readEchoReply(fam, Buffer.from(h, 'hex')), want, name);
});

test('SMTP status: three digits then a space or the end', (t) => {
  const rows: Array<[string, number]> = [
    ['220 mx.example ESMTP', 220],
    ['250', 250],
    ['220-mx.example first line', -1],
    ['22 short', -1],
    ['2200 long', -1],
    ['', -1],
  ];
  for (const [line, want] of rows) t.is(smtpStatus(line), want, line);
});

test('SMTP conversation: 220 → HELO, 250 → QUIT, any line → up; anything else fails', (t) => {
  t.deepEqual(smtpStep('banner', '220 mx ESMTP', 'lvs1'), { next: 'helo', send: 'HELO lvs1\r\n' });
  t.deepEqual(smtpStep('helo', '250 mx', 'lvs1'), { next: 'quit', send: 'QUIT\r\n' });
  t.deepEqual(smtpStep('quit', '221 bye', 'lvs1'), { result: { ok: true } });
  t.deepEqual(smtpStep('quit', 'whatever', 'lvs1'), { result: { ok: true } });
  t.like(smtpStep('banner', '554 no service', 'lvs1'), { result: { ok: false } });
  t.like(smtpStep('banner', '220-multi', 'lvs1'), { result: { ok: false } });
  t.like(smtpStep('helo', '501 syntax', 'lvs1'), { result: { ok: false } });
});
