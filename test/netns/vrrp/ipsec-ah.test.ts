// SPDX-License-Identifier: Apache-2.0
/**
 * VRRPv2 over IPsec AH (`authentication { auth_type AH }`) between lvsd and the real keepalived
 * (Debian 2.2.7, `keepalived -n -l --vrrp`) on the same config, multicast and unicast peers:
 * - lvsd master + keepalived backup, and the reverse (two labs at once): elect, stay settled with
 *   no authentication error of any kind on either side (lvsd's drop counters, keepalived's log),
 *   fail over on SIGKILL of the master, hand back when it restarts (preemption);
 * - over the whole run neither side ever rejects the other's ICV or SPI (replays are allowed only
 *   around a takeover: AH's one sequence counter per instance makes a restarted or preempting node
 *   lose a few numbers to the node that held on, as between two keepalived nodes);
 * - on the wire (a sniffer on the bridge), every AH advert of both daemons has keepalived's layout
 *   (protocol 51, TOS 0xc0, TTL 255, next header 112, payload length 4 = a 96-bit ICV, SPI = the
 *   source address, VRRP auth type 2 with zero auth data), an ICV this test recomputes with
 *   HMAC-MD5-96, and sequence numbers that increase from each sender;
 * - a wrong `auth_pass` on one node: each rejects the other's adverts, both become MASTER.
 * Needs root and keepalived (scripts/ensure-test-deps.sh netns installs it); about 90 s.
 */
import test, { type ExecutionContext } from 'ava';
import { createHmac } from 'node:crypto';
import {
  createLab,
  sleep,
  sniff,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Frame,
  type Lab,
  type LabNode,
} from '../harness.js';
import { vrrpConf, type InstanceConf } from './conf.js';

const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

/** 8 characters (AH keys on the first 8), no `!` (keepalived's comment character). */
const PASS = 'ah7Secr9';
const ADVERT_INT = 1;
/** Master down interval (3 adverts + skew) and slack for a loaded machine. */
const MDI_MS = 3.6 * ADVERT_INT * 1000 + 3000;

/** keepalived's log lines for adverts it refused on authentication. */
const KA_AUTH_ERROR =
  /IPSEC-AH : invalid|invalid IPSEC SPI|No AH header|Received AH header but auth type not AH|auth, expecting/g;
const KA_REPLAY = /IPSEC-AH : sequence number \d+ already processed/g;

type Kind = 'lvsd' | 'keepalived';
type Running = Daemon & { killHard?: () => Promise<void> };

interface AuthCounts {
  /** lvsd: drops by reason; keepalived: log lines. */
  errors: number;
  replays: number;
}

async function authCounts(kind: Kind, d: Daemon): Promise<AuthCounts> {
  if (kind === 'keepalived') {
    const out = d.output();
    return { errors: out.match(KA_AUTH_ERROR)?.length ?? 0, replays: out.match(KA_REPLAY)?.length ?? 0 };
  }
  const drops = (await d.stats()).instances[0]?.stats.drops ?? {};
  return {
    errors: (drops['authMismatch'] ?? 0) + (drops['badAuthType'] ?? 0),
    replays: drops['authReplay'] ?? 0,
  };
}

function instance(l: Lab, self: LabNode, peer: LabNode, priority: number, unicast: boolean, pass = PASS) {
  const conf: InstanceConf = {
    priority,
    version: 2,
    advertInt: ADVERT_INT,
    vips: [`10.${l.net}.0.100/32`],
    authType: 'AH',
    authPass: pass,
    ...(unicast ? { unicastSrc: self.ipv4, unicastPeers: [peer.ipv4] } : {}),
  };
  return vrrpConf(self, [conf]);
}

function start(l: Lab, kind: Kind, node: LabNode, conf: string): Running {
  return kind === 'lvsd' ? startLvsd(l, node, conf) : startKeepalived(l, node, conf);
}

async function kill(d: Running): Promise<void> {
  if (d.killHard) return d.killHard();
  d.kill('SIGKILL');
  await d.exited();
}

interface Run {
  phases: string[];
  frames: Frame[];
  /** Authentication errors and replays seen by each daemon over the whole run (lvsd: both of its runs). */
  totals: Record<Kind, AuthCounts>;
  /** The same while the pair was settled (after the election, after the hand-back). */
  settled: Record<Kind, AuthCounts>[];
  /** Adverts lvsd accepted while keepalived was master and the pair settled (0 when lvsd was master). */
  lvsdAcceptedSettled: number;
  addr: Record<Kind, string>;
}

const add = (a: AuthCounts, b: AuthCounts): AuthCounts => ({
  errors: a.errors + b.errors,
  replays: a.replays + b.replays,
});
const diff = (a: AuthCounts, b: AuthCounts): AuthCounts => ({
  errors: a.errors - b.errors,
  replays: a.replays - b.replays,
});

/**
 * n1 (priority 150, `hi`) and n2 (100, `lo`) run the same AH config; `hi` is lvsd or keepalived.
 * Elect, watch the settled pair for 3 adverts, SIGKILL hi, see lo take over, restart hi, see it
 * preempt back, watch the settled pair again.
 */
async function scenario(hiKind: Kind, unicast: boolean): Promise<Run> {
  const loKind: Kind = hiKind === 'lvsd' ? 'keepalived' : 'lvsd';
  const l = await createLab(2);
  labs.push(l);
  // a promiscuous bridge device gets a copy of every frame it forwards (unicast adverts too)
  await l.exec(l.switchNs, ['ip', 'link', 'set', 'br0', 'promisc', 'on']);
  const sn = await sniff(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const daemons: Record<'hi' | 'lo', Running> = {
    hi: start(l, hiKind, n1, instance(l, n1, n2, 150, unicast)),
    lo: start(l, loKind, n2, instance(l, n2, n1, 100, unicast)),
  };
  const kindOf = (w: 'hi' | 'lo'): Kind => (w === 'hi' ? hiKind : loKind);
  const lvsdRole: 'hi' | 'lo' = hiKind === 'lvsd' ? 'hi' : 'lo';
  const zero = { errors: 0, replays: 0 };
  let lvsdEarlier = zero; // the killed lvsd's counters (a restarted lvsd counts from 0)
  const snapshot = async (): Promise<Record<Kind, AuthCounts>> => {
    const hi = await authCounts(kindOf('hi'), daemons.hi);
    const lo = await authCounts(kindOf('lo'), daemons.lo);
    return hiKind === 'lvsd' ? { lvsd: hi, keepalived: lo } : { lvsd: lo, keepalived: hi };
  };
  const settled: Record<Kind, AuthCounts>[] = [];
  let lvsdAcceptedSettled = 0;
  /** Watch the pair for 3 adverts: n1 keeps the VIP, n2 never takes it; count what was refused. */
  const watchSettled = async (): Promise<void> => {
    const before = await snapshot();
    const rcvd = async (): Promise<number> =>
      lvsdRole === 'lo' ? Number((await daemons.lo.stats()).instances[0]?.stats['advertRcvd']) : 0;
    const rcvdBefore = await rcvd();
    await sleep(3 * ADVERT_INT * 1000 + 300);
    if (!(await l.hasAddress(n1, vip)) || (await l.hasAddress(n2, vip)))
      throw new Error('the settled pair lost its master: adverts not understood');
    const after = await snapshot();
    lvsdAcceptedSettled += (await rcvd()) - rcvdBefore;
    settled.push({
      lvsd: diff(after.lvsd, before.lvsd),
      keepalived: diff(after.keepalived, before.keepalived),
    });
  };
  const phases: string[] = [];
  try {
    await waitFor(
      'hi master',
      async () => (await l.hasAddress(n1, vip)) && !(await l.hasAddress(n2, vip)),
      MDI_MS,
    );
    await watchSettled();
    phases.push('elected');
    if (hiKind === 'lvsd') lvsdEarlier = await authCounts('lvsd', daemons.hi);
    await kill(daemons.hi);
    await waitFor('lo master after SIGKILL of hi', () => l.hasAddress(n2, vip), MDI_MS);
    phases.push('failed over');
    daemons.hi = start(l, hiKind, n1, instance(l, n1, n2, 150, unicast));
    await waitFor(
      'hand back',
      async () => (await l.hasAddress(n1, vip)) && !(await l.hasAddress(n2, vip)),
      2 * MDI_MS,
    );
    await watchSettled();
    phases.push('handed back');
    const end = await snapshot();
    sn.stop();
    return {
      phases,
      frames: sn.frames.filter((f) => f.kind === 'ah4'),
      totals: { lvsd: add(end.lvsd, lvsdEarlier), keepalived: end.keepalived },
      settled,
      lvsdAcceptedSettled,
      addr:
        hiKind === 'lvsd' ? { lvsd: n1.ipv4, keepalived: n2.ipv4 } : { lvsd: n2.ipv4, keepalived: n1.ipv4 },
    };
  } catch (e) {
    throw new Error(
      `${(e as Error).message} (after ${phases.join(', ') || 'start'})\n` +
        `--- n1 (${hiKind}):\n${daemons.hi.output().slice(-3000)}\n--- n2 (${loKind}):\n${daemons.lo.output().slice(-3000)}`,
    );
  } finally {
    sn.stop();
    await l.destroy();
  }
}

/** The fields of one sniffed AH advert (Ethernet frame from offset 0). */
interface AhAdvert {
  src: string;
  seq: number;
  /** What must be alike in every AH advert of either daemon, keepalived's layout. */
  layout: Record<string, number | string>;
  icvValid: boolean;
}

function parseAh(f: Frame, unicast: boolean): AhAdvert {
  const b = Buffer.from(f.hex, 'hex');
  const ip = b.subarray(14);
  const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
  const total = ip.readUInt16BE(2);
  const pkt = Buffer.from(ip.subarray(0, total));
  const ah = pkt.subarray(ihl);
  const vrrp = ah.subarray(24);
  const src = [...pkt.subarray(12, 16)].join('.');
  // the ICV, recomputed here: HMAC-MD5 keyed with the 8-byte NUL-padded password, over the packet
  // with TOS, flags/fragment offset, header checksum (and, unicast, TTL) and the ICV zeroed; 96 bits
  const covered = Buffer.from(pkt);
  covered.fill(0, 1, 2);
  covered.fill(0, 6, 8);
  covered.fill(0, 10, 12);
  if (unicast) covered[8] = 0;
  covered.fill(0, ihl + 12, ihl + 24);
  const key = Buffer.alloc(8);
  key.write(PASS);
  const icv = createHmac('md5', key).update(covered).digest().subarray(0, 12);
  return {
    src,
    seq: ah.readUInt32BE(8),
    icvValid: icv.equals(ah.subarray(12, 24)),
    layout: {
      ipHeaderLength: ihl,
      totalLength: total,
      tos: pkt[1] ?? -1,
      flagsFragment: pkt.readUInt16BE(6),
      ttl: pkt[8] ?? -1,
      protocol: pkt[9] ?? -1,
      ipIdNonZero: pkt.readUInt16BE(4) !== 0 ? 1 : 0,
      nextHeader: ah[0] ?? -1,
      payloadLength: ah[1] ?? -1,
      reserved: ah.readUInt16BE(2),
      spiIsSource: ah.subarray(4, 8).equals(pkt.subarray(12, 16)) ? 1 : 0,
      vrrpVersionType: vrrp[0] ?? -1,
      vrrpAuthType: vrrp[4] ?? -1,
      vrrpAdverInt: vrrp[5] ?? -1,
      vrrpAuthData: vrrp.subarray(vrrp.length - 8).toString('hex'),
    },
  };
}

function checkWire(t: ExecutionContext, r: Run, unicast: boolean, what: string): void {
  const adverts = r.frames.map((f) => parseAh(f, unicast)).filter((a) => a.layout['vrrpAuthType'] === 2);
  const from = (k: Kind) => adverts.filter((a) => a.src === r.addr[k]);
  const lv = from('lvsd');
  const ka = from('keepalived');
  t.true(
    lv.length >= 3 && ka.length >= 3,
    `${what}: AH adverts sniffed from both (lvsd ${lv.length}, keepalived ${ka.length})`,
  );
  t.true(
    adverts.every((a) => a.icvValid),
    `${what}: every ICV checks out with HMAC-MD5-96 and the shared password`,
  );
  const layouts = new Set(adverts.map((a) => JSON.stringify(a.layout)));
  t.is(layouts.size, 1, `${what}: lvsd's AH adverts have keepalived's layout: ${[...layouts].join(' | ')}`);
  t.like(adverts[0]?.layout, {
    protocol: 51,
    tos: 0xc0,
    ttl: 255,
    nextHeader: 112,
    payloadLength: 4, // (12 fixed + 12 ICV bytes) / 4 - 2: a 96-bit ICV
    reserved: 0,
    spiIsSource: 1,
    vrrpVersionType: 0x21,
    vrrpAuthData: '0000000000000000',
    ipIdNonZero: 1,
  });
  for (const [k, list] of [
    ['lvsd', lv],
    ['keepalived', ka],
  ] as const) {
    const rising = list.every((a, i) => i === 0 || a.seq > (list[i - 1]?.seq ?? 0));
    t.true(rising, `${what}: ${k}'s sequence numbers increase: ${list.map((a) => a.seq).join(',')}`);
  }
}

function checkRun(t: ExecutionContext, r: Run, unicast: boolean, what: string): void {
  t.deepEqual(r.phases, ['elected', 'failed over', 'handed back'], what);
  t.deepEqual(r.totals.lvsd.errors, 0, `${what}: lvsd never refused keepalived's ICV, SPI or auth type`);
  t.deepEqual(
    r.totals.keepalived.errors,
    0,
    `${what}: keepalived never refused lvsd's ICV, SPI or auth type`,
  );
  t.deepEqual(
    r.settled,
    [
      { lvsd: { errors: 0, replays: 0 }, keepalived: { errors: 0, replays: 0 } },
      { lvsd: { errors: 0, replays: 0 }, keepalived: { errors: 0, replays: 0 } },
    ],
    `${what}: nothing refused while the pair was settled`,
  );
  t.log(
    `${what}: replays around takeovers: lvsd ${r.totals.lvsd.replays}, keepalived ${r.totals.keepalived.replays}; ` +
      `AH adverts sniffed ${r.frames.length}`,
  );
  checkWire(t, r, unicast, what);
}

for (const unicast of [false, true]) {
  const mode = unicast ? 'unicast peers' : 'multicast';
  test(`auth_type AH with keepalived (${mode}): lvsd master + keepalived backup and the reverse; same wire format`, async (t) => {
    const [lvsdHi, kaHi] = await Promise.all([scenario('lvsd', unicast), scenario('keepalived', unicast)]);
    checkRun(t, lvsdHi, unicast, 'lvsd master, keepalived backup');
    checkRun(t, kaHi, unicast, 'keepalived master, lvsd backup');
    t.true(kaHi.lvsdAcceptedSettled >= 4, `lvsd accepted keepalived's adverts (${kaHi.lvsdAcceptedSettled})`);
  });
}

test('auth_type AH with a wrong auth_pass on one side: each refuses the other, both become MASTER', async (t) => {
  const l = await createLab(2);
  labs.push(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const sn = await sniff(l);
  const lv = startLvsd(l, n1, instance(l, n1, n2, 150, false));
  const ka = startKeepalived(l, n2, instance(l, n2, n1, 100, false, 'wrong8pw'));
  try {
    await waitFor(
      'both master',
      async () => (await l.hasAddress(n1, vip)) && (await l.hasAddress(n2, vip)),
      MDI_MS,
    );
    const early = (await lv.stats()).instances[0]?.stats;
    // and they stay so: neither hears the other
    await sleep(3 * ADVERT_INT * 1000);
    const kaFrames = sn.frames.filter((f) => f.kind === 'ah4' && f.src === n2.ipv4);
    t.log(
      `keepalived AH frames: ${kaFrames.map((f) => `${f.ts % 100000} p${f.priority}`).join(', ')}; early ${JSON.stringify(early?.drops['authMismatch'])} rcvd ${String(early?.['advertRcvd'])}`,
    );
    t.true((await l.hasAddress(n1, vip)) && (await l.hasAddress(n2, vip)), 'both still hold the VIP');
    // keepalived 2.2.7 sends few adverts here (one in the runs seen): lvsd refuses every one it sent
    const kaSent = (): number => sn.frames.filter((f) => f.kind === 'ah4' && f.src === n2.ipv4).length;
    const sentBefore = kaSent();
    const lvStats = await lv.stats();
    const sentAfter = kaSent();
    const lvDrops = lvStats.instances[0]?.stats.drops ?? {};
    t.log(JSON.stringify({ instance: lvStats.instances[0]?.stats, sockets: lvStats.sockets }));
    const refused = lvDrops['authMismatch'] ?? 0;
    t.true(sentBefore >= 1, 'keepalived sent AH adverts');
    t.true(
      refused >= sentBefore && refused <= sentAfter,
      `lvsd refused each of keepalived's adverts (bad ICV): ${refused} refused, ${sentBefore}-${sentAfter} sent`,
    );
    t.is(lvStats.instances[0]?.stats['advertRcvd'], 0, 'lvsd accepted none');
    t.is(lvDrops['authReplay'], 0);
    const bad = ka.output().match(/IPSEC-AH : invalid IPSEC HMAC-MD5 value/g)?.length ?? 0;
    t.true(bad >= 3, `keepalived refused lvsd's ICV (${bad} log lines)`);
    t.is((await lv.stats()).instances[0]?.state, 'master');
  } catch (e) {
    t.log(`--- lvsd:\n${lv.output().slice(-3000)}\n--- keepalived:\n${ka.output().slice(-3000)}`);
    throw e;
  } finally {
    sn.stop();
    await l.destroy();
  }
});
