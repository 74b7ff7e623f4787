// SPDX-License-Identifier: Apache-2.0
/** DNS_CHECK and UDP_CHECK against real UDP sockets on loopback; MISC_CHECK and FILE_CHECK for real. */
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { checkReply, encodeQuery } from '../../../src/check/dns-codec.js';
import { dnsProbe } from '../../../src/check/dns.io.js';
import { fileProbe, fileResult, parseTrackedValue } from '../../../src/check/file.io.js';
import { miscProbe } from '../../../src/check/misc.io.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import type { UdpCheckerSpec } from '../../../src/check/udp.js';
import { judgeReply, parseHexPattern } from '../../../src/check/udp.js';
import { udpProbe } from '../../../src/check/udp-probe.io.js';
import { timing } from './spec-fixtures.js';

function udpServer(
  onMsg: (msg: Buffer, sock: dgram.Socket, rinfo: dgram.RemoteInfo) => void,
): Promise<{ port: number; sock: dgram.Socket }> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (m, r) => onMsg(m, sock, r));
    sock.bind(0, '127.0.0.1', () => resolve({ port: sock.address().port, sock }));
  });
}

/** A port on 127.0.0.1 where nothing listens on UDP. */
async function closedUdpPort(): Promise<number> {
  const { port, sock } = await udpServer(() => {});
  sock.close();
  return port;
}

/** Build an answer to a query: echo header+question, add one A record (or none). */
function answer(query: Buffer, answers: number, rcode = 0): Buffer {
  const head = Buffer.from(query.subarray(0, 12));
  head.writeUInt16BE(0x8180 | rcode, 2);
  head.writeUInt16BE(answers, 6);
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
  return Buffer.concat([head, query.subarray(12), ...Array.from({ length: answers }, () => rr)]);
}

const rng = (): number => 0.5;

test('DNS codec: query bytes and reply verdicts, never throws on garbage', (t) => {
  const q = encodeQuery(0x1234, 'www.example.com', 1);
  t.is(q.toString('hex'), '123401000001000000000000' + '03777777076578616d706c6503636f6d00' + '00010001');
  t.deepEqual(checkReply(answer(q, 1), 0x1234, 1), { ok: true, answers: 1 });
  t.deepEqual(checkReply(answer(q, 0), 0x1234, 1), { ok: false, reason: 'no answer' });
  t.deepEqual(checkReply(answer(q, 1, 3), 0x1234, 1), { ok: false, reason: 'rcode 3' });
  t.deepEqual(checkReply(answer(q, 1), 0x9999, 1), { ok: false, reason: 'id mismatch' });
  t.deepEqual(checkReply(answer(q, 1), 0x1234, 28), { ok: false, reason: 'no answer' });
  t.is(encodeQuery(1, '.', 2).length, 12 + 1 + 4);
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(Array.from({ length: (i % 40) + 3 }, (_, j) => (i * 31 + j * 17) & 0xff));
    junk.writeUInt16BE(7, 0);
    junk[2] = 0x80;
    t.notThrows(() => checkReply(junk, 7, 1));
  }
});

test('DNS_CHECK: answer, no answer, no reply (timeout)', async (t) => {
  const mode = { answers: 1, silent: false };
  const { port, sock } = await udpServer((m, s, r) => {
    if (!mode.silent) s.send(answer(m, mode.answers), r.port, r.address);
  });
  const target = { host: '127.0.0.1', port, family: 4 as const };
  t.deepEqual(await dnsProbe(target, 500, 1, 'www.example.com', rng)(), { ok: true });
  mode.answers = 0;
  t.deepEqual(await dnsProbe(target, 500, 1, 'www.example.com', rng)(), { ok: false, reason: 'no answer' });
  mode.silent = true;
  t.deepEqual(await dnsProbe(target, 300, 1, 'www.example.com', rng)(), { ok: false, reason: 'timeout' });
  sock.close();
  const refused = await dnsProbe(
    { host: '127.0.0.1', port: await closedUdpPort(), family: 4 },
    500,
    1,
    '.',
    rng,
  )();
  t.deepEqual(refused, { ok: false, reason: 'ECONNREFUSED' });
});

function udpSpec(over: Partial<UdpCheckerSpec> = {}): UdpCheckerSpec {
  return {
    kind: 'udp',
    requireReply: false,
    minReplyLength: 0,
    maxReplyLength: 255,
    timing: { ...timing, connectTimeoutMs: 300 },
    ...over,
  };
}

test('UDP_CHECK: payload sent; ICMP unreachable = down; silence = up unless require_reply; reply pattern', async (t) => {
  const got: string[] = [];
  const { port, sock } = await udpServer((m, s, r) => {
    got.push(m.toString('hex'));
    if (m[0] === 0xaa) s.send(Buffer.from([0x12, 0x34, 0x56]), r.port, r.address);
  });
  const target = { host: '127.0.0.1', port, family: 4 as const };
  t.deepEqual(await udpProbe(target, udpSpec({ payload: Buffer.from([0xbb]) }))(), { ok: true });
  t.deepEqual(await udpProbe(target, udpSpec({ payload: Buffer.from([0xbb]), requireReply: true }))(), {
    ok: false,
    reason: 'timeout',
  });
  const pattern = parseHexPattern('12 3X')!;
  t.deepEqual(
    await udpProbe(
      target,
      udpSpec({ payload: Buffer.from([0xaa]), requireReply: true, replyPattern: pattern }),
    )(),
    { ok: true },
  );
  const wrong = parseHexPattern('12 4X')!;
  t.deepEqual(
    await udpProbe(
      target,
      udpSpec({ payload: Buffer.from([0xaa]), requireReply: true, replyPattern: wrong }),
    )(),
    {
      ok: false,
      reason: 'reply mismatch',
    },
  );
  t.deepEqual(
    await udpProbe(
      target,
      udpSpec({ payload: Buffer.from([0xaa]), requireReply: true, minReplyLength: 4 }),
    )(),
    {
      ok: false,
      reason: 'reply length 3',
    },
  );
  t.deepEqual(got.slice(0, 3), ['bb', 'bb', 'aa']);
  sock.close();
  const closed = await udpProbe(
    { host: '127.0.0.1', port: await closedUdpPort(), family: 4 },
    udpSpec({ payload: Buffer.from([1]) }),
  )();
  t.deepEqual(closed, { ok: false, reason: 'ECONNREFUSED' });
});

test('UDP hex patterns as keepalived reads them', (t) => {
  const p = parseHexPattern('Ab12f 3 456 546443123')!;
  t.is(Buffer.from(p.bytes).toString('hex'), 'ab120f0345065464431203');
  const x = parseHexPattern('1X')!;
  t.deepEqual([...x.mask], [0xf0]);
  t.true(judgeReply(Buffer.from([0x1f]), { replyPattern: x, minReplyLength: 0, maxReplyLength: 255 }).ok);
  t.is(parseHexPattern('zz'), undefined);
});

const scripts = new ScriptRunner();
const misc = (argv: string[], timeoutMs: number, dynamic: boolean) =>
  miscProbe({ argv, timeoutMs, dynamic }, scripts)();

test('MISC_CHECK: exit codes, misc_dynamic weights, timeout kills the script', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-misc-'));
  try {
    const script = join(dir, 'check.sh');
    writeFileSync(script, '#!/bin/sh\nexit "$1"\n');
    chmodSync(script, 0o755);
    t.deepEqual(await misc([script, '0'], 2000, false), { ok: true });
    t.deepEqual(await misc([script, '1'], 2000, false), { ok: false, reason: 'exit 1' });
    t.deepEqual(await misc([script, '7'], 2000, false), { ok: false, reason: 'exit 7' });
    t.deepEqual(await misc([script, '7'], 2000, true), { ok: true, weight: 5 });
    t.deepEqual(await misc([script, '1'], 2000, true), { ok: false, reason: 'exit 1' });
    t.deepEqual(await misc([script, '255'], 2000, true), { ok: true, weight: 253 });
    t.deepEqual(await misc([join(dir, 'missing')], 2000, false), { ok: false, reason: 'ENOENT' });
    const slow = join(dir, 'slow.sh');
    const marker = join(dir, 'survived');
    writeFileSync(slow, `#!/bin/sh\nsleep 1; touch ${marker}\n`);
    chmodSync(slow, 0o755);
    const t0 = Date.now();
    t.deepEqual(await misc([slow], 200, false), { ok: false, reason: 'timeout' });
    t.true(Date.now() - t0 < 900);
    await new Promise((r) => setTimeout(r, 1200));
    t.false(existsSync(marker), 'the script and its children were killed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FILE_CHECK: value × weight, reverse, dynamic, missing file reads 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-file-'));
  try {
    const f = join(dir, 'w');
    const spec = { kind: 'file' as const, file: f, weight: 3, reverse: false, dynamic: true, timing };
    t.deepEqual(await fileProbe(spec)(), { ok: true, weight: 0 });
    writeFileSync(f, '5\n');
    t.deepEqual(await fileProbe(spec)(), { ok: true, weight: 15 });
    t.deepEqual(await fileProbe({ ...spec, reverse: true })(), { ok: true, weight: -15 });
    t.deepEqual(await fileProbe({ ...spec, weight: 0 })(), { ok: false, reason: 'value 5' });
    t.deepEqual(fileResult(-2147483648, { weight: 1, reverse: false, dynamic: false }), {
      ok: false,
      reason: 'value -2147483648',
    });
    t.is(parseTrackedValue('  -12 junk'), -12);
    t.is(parseTrackedValue('junk'), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
