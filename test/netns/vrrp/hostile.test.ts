// SPDX-License-Identifier: Apache-2.0
/**
 * Crafted hostile VRRP packets against a running lvsd pair: TTL 254, bad checksum, wrong VRID,
 * truncated, wrong address count, garbage, and a fragmented advert larger than the receive buffer. Each would make the master step down if it were
 * accepted (priority 200), so "state unchanged" is a real check; every drop is counted by reason.
 * Needs root (namespaces, AF_PACKET); CI runs as root. Frames are injected from a third node.
 */
import test from 'ava';
import { join } from 'node:path';
import { createLab, repoRoot, sleep, startLvsd, waitFor, type Lab, type LabNode } from '../harness.js';
import { vrrpConf } from './conf.js';
import { encodeAdvert } from '../../../src/vrrp/packet.js';
import { buildIpv4Header } from '../../unit/vrrp/ip-packet.js';
import { inetChecksum } from '../../../src/net/wire.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

/**
 * An IPv4 datagram of `payload` to 224.0.0.18 cut into fragments of `chunk` bytes (a multiple of 8),
 * each as an Ethernet frame: the receiver reassembles them before a raw socket sees the datagram.
 */
function fragmentFrames(srcMac: string, src: string, payload: Uint8Array, chunk = 1480): string[] {
  const eth = Buffer.concat([
    Buffer.from('01005e000012', 'hex'),
    macBytes(srcMac),
    Buffer.from('0800', 'hex'),
  ]);
  const out: string[] = [];
  for (let off = 0; off < payload.length; off += chunk) {
    const part = payload.subarray(off, off + chunk);
    const more = off + chunk < payload.length;
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + part.length, 2);
    ip.writeUInt16BE(0x4242, 4);
    ip.writeUInt16BE((more ? 0x2000 : 0) | (off / 8), 6);
    ip[8] = 255;
    ip[9] = 112;
    Buffer.from(src.split('.').map(Number)).copy(ip, 12);
    Buffer.from([224, 0, 0, 18]).copy(ip, 16);
    ip.writeUInt16BE(inetChecksum(ip), 10);
    out.push(Buffer.concat([eth, ip, part]).toString('hex'));
  }
  return out;
}

/** Ethernet + IPv4 + payload, to 224.0.0.18 from `src`. */
function frame(srcMac: string, src: string, payload: Uint8Array, ttl = 255): string {
  const eth = Buffer.concat([
    Buffer.from('01005e000012', 'hex'),
    macBytes(srcMac),
    Buffer.from('0800', 'hex'),
  ]);
  const ip = buildIpv4Header({ src, dst: '224.0.0.18', payloadLen: payload.length, ttl });
  return Buffer.concat([eth, ip, payload]).toString('hex');
}

test('hostile packets are dropped and counted; the pair keeps its states and keeps running', async (t) => {
  lab = await createLab(3);
  const [n1, n2, n3] = lab.nodes as [LabNode, LabNode, LabNode];
  const vip = `10.${lab.net}.0.100`;
  const inst = (p: number) => [{ priority: p, version: 3 as const, advertInt: 0.1, vips: [`${vip}/32`] }];
  const d1 = startLvsd(lab, n1, vrrpConf(n1, inst(150)));
  const d2 = startLvsd(lab, n2, vrrpConf(n2, inst(100)));
  await waitFor('n1 master', () => lab!.hasAddress(n1, vip), 8000);
  await waitFor('n2 backup', async () => (await d2.stats()).instances[0]?.state === 'backup', 5000);

  const ck = { family: 'inet' as const, src: n3.ipv4, dst: '224.0.0.18', mode: 'pseudo' as const };
  const good = Buffer.from(
    encodeAdvert({ version: 3, vrid: 51, priority: 200, adverInt: 10, addresses: [vip] }, ck),
  );
  const badSum = Buffer.from(good);
  badSum[6] = (badSum[6] ?? 0) ^ 0xff;
  const wrongVrid = Buffer.from(
    encodeAdvert({ version: 3, vrid: 52, priority: 200, adverInt: 10, addresses: [vip] }, ck),
  );
  const truncated = good.subarray(0, 6);
  const wrongCount = Buffer.from(good);
  wrongCount[3] = 5; // claims 5 addresses, carries 1
  const garbage = Buffer.from([0xff, 51, 0xff, 0xff, 0, 0, 0, 0]);
  const frames = [
    frame(n3.mac, n3.ipv4, good, 254),
    frame(n3.mac, n3.ipv4, badSum),
    frame(n3.mac, n3.ipv4, wrongVrid),
    frame(n3.mac, n3.ipv4, truncated),
    frame(n3.mac, n3.ipv4, wrongCount),
    frame(n3.mac, n3.ipv4, garbage),
  ];
  // an advert of 10,000 bytes in fragments: reassembled, larger than the addon's 9,216-byte buffer
  const huge = Buffer.alloc(10_000);
  Buffer.from(good).copy(huge);
  const fragments = fragmentFrames(n3.mac, n3.ipv4, huge);
  const inject = join(repoRoot, 'dist', 'test', 'netns', 'inject.js');
  for (let i = 0; i < 5; i++) {
    const r = await lab.exec(n3.ns, [process.execPath, inject, 'eth0', ...frames, ...fragments]);
    t.is(r.stdout.trim(), `sent ${frames.length + fragments.length}`);
    await sleep(50);
  }
  await sleep(500); // longer than Master_Down_Interval: a wrongly accepted advert would have acted

  const s1 = await d1.stats();
  const s2 = await d2.stats();
  t.is(s1.instances[0]?.state, 'master', 'master unchanged');
  t.is(s2.instances[0]?.state, 'backup', 'backup unchanged');
  t.true(await lab.hasAddress(n1, vip));
  t.false(await lab.hasAddress(n2, vip));
  for (const s of [s1, s2]) {
    const drops = s.instances[0]?.stats.drops ?? {};
    const sock = s.sockets['eth0|inet']?.drops ?? {};
    t.true((drops['badTtl'] ?? 0) >= 5, `badTtl ${drops['badTtl']}`);
    t.true((drops['badChecksum'] ?? 0) >= 5, `badChecksum ${drops['badChecksum']}`);
    t.true((sock['badVrid'] ?? 0) >= 5, `badVrid ${sock['badVrid']}`);
    t.is(sock['oversize'], 5, 'the reassembled 10 kB advert is counted, not silently dropped');
    t.true((drops['truncated'] ?? 0) >= 5, `truncated ${drops['truncated']}`);
    const lengthish = (drops['badCount'] ?? 0) + (drops['badLength'] ?? 0) + (drops['truncated'] ?? 0) - 5;
    t.true(
      lengthish >= 5,
      `wrong count dropped (badCount ${drops['badCount']}, badLength ${drops['badLength']})`,
    );
    t.true((drops['badVersion'] ?? 0) + (drops['badType'] ?? 0) >= 5, 'garbage dropped as bad version/type');
  }
  t.is(d1.proc.exitCode, null, 'master still running');
  t.is(d2.proc.exitCode, null, 'backup still running');
});
