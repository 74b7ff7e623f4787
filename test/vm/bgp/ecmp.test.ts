// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs, BIRD 2): three active directors announce a
// VIP over BGP to a router that spreads flows over them by ECMP (test/vm/bgp/bgp-lab.ts). One lab,
// steps in order: all three announce and the router has three next hops, requests spread over the
// three directors; a director whose reals lose quorum withdraws and announces again when they
// come back; `lvsd drain` withdraws without a failed request and `lvsd undrain` announces again; a
// reload that moves `lvsd_bgp_table` takes the route from the old table to the new one; a killed
// director is dropped by the router (BGP hold time); SIGTERM withdraws before lvsd stops serving.
// Times are logged (t.log), never asserted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { BgpLab, Director } from './bgp-lab.js';
import { createBgpLab, DIRECTORS, directorAddr, realAddr, TABLE, VIP } from './bgp-lab.js';
import { waitUntil } from '../e2e/ha-lab.js';

let lab: BgpLab;
const all = DIRECTORS.map(directorAddr).sort();
const without = (...ds: Director[]): string[] =>
  DIRECTORS.filter((d) => !ds.includes(d))
    .map(directorAddr)
    .sort();
const same = (a: string[], b: string[]): boolean => JSON.stringify(a) === JSON.stringify(b);

interface BgpView {
  drained: boolean;
  vips: Array<{ vip: string; announced: boolean; reason?: string }>;
  sessions?: Array<{ name: string; established: boolean }>;
}

/** The last `lvsd status --json` answer of each director that had no BGP view (in a failure's message). */
const unusable = new Map<Director, string>();

async function bgpStatus(d: Director): Promise<BgpView | undefined> {
  const r = await lab.lvsdCli(d, ['status', '--json']);
  try {
    const { lvs } = JSON.parse(r.stdout) as { lvs: { bgp?: BgpView } };
    if (!lvs.bgp) unusable.set(d, JSON.stringify(lvs).slice(0, 300));
    return lvs.bgp;
  } catch {
    unusable.set(d, `exit ${r.code}: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
    return undefined;
  }
}

function hops(want: string[], what: string, timeoutMs = 60_000): Promise<number> {
  return waitUntil(
    what,
    () => lab.nextHops(),
    (h) => same(h, want),
    timeoutMs,
    100,
  );
}

/** `n` GETs from the client, one connection each; the bodies (FAIL when a request failed). */
async function gets(n: number): Promise<string[]> {
  const out = await lab.sh(
    'cl',
    `for i in $(seq ${n}); do curl -s --max-time 3 http://${VIP}/cgi-bin/who || echo FAIL; done`,
  );
  return out.split('\n').filter((l) => l.trim() !== '');
}

/** Connections each director's IPVS has taken since its start (`ipvsadm -Ln --stats`). */
async function conns(d: Director): Promise<number> {
  const out = await lab.ns[d].ipvsadm('-Ln', '--stats');
  const line = out.split('\n').find((l) => l.startsWith('TCP') && l.includes(`${VIP}:80`));
  return Number(line?.trim().split(/\s+/)[2] ?? 0);
}

async function dump(t: { log: (...a: unknown[]) => void }): Promise<void> {
  t.log(`router: ${JSON.stringify(await lab.nextHops())}`);
  for (const d of DIRECTORS) {
    t.log(`--- ${d} ---\n${lab.lvsd[d]?.output().slice(-3000) ?? ''}`);
    const r = await lab.ns[d].run('sh', ['-c', `ip route show table 100; ipvsadm -Ln`]);
    t.log(r.stdout + r.stderr);
  }
  const b = await lab.ns.rt.run('birdc', ['-s', lab.birdSocket('rt'), 'show', 'protocols']);
  t.log(b.stdout + b.stderr);
}

test.before(async () => {
  lab = await createBgpLab({ graceS: 3 });
});

test.after.always(async () => {
  await lab?.close();
});

test.afterEach.always(async (t) => {
  if (!t.passed) await dump(t);
});

test.serial('all three directors announce: three next hops, requests spread over them', async (t) => {
  for (const d of DIRECTORS) lab.startLvsd(d);
  const ms = await hops(all, 'three next hops for the VIP', 150_000);
  t.log(`three next hops ${ms} ms after the directors started`);
  for (const d of DIRECTORS) {
    // a route is never out before the director's status shows it (its control socket answers before
    // it announces, src/daemon/worker.ts): the first answer after the router has the routes shows
    // the VIP announced (once the LVS worker was seen "not answering" here while its VIP was routed)
    const s = await bgpStatus(d);
    t.deepEqual(
      s?.vips.map((v) => [v.vip, v.announced]),
      [[VIP, true]],
      `${d}'s first status: ${unusable.get(d) ?? JSON.stringify(s)}`,
    );
    await waitUntil(
      `${d}'s status shows its BGP session established`,
      () => bgpStatus(d),
      (v) => v?.sessions?.some((x) => x.name === 'uplink' && x.established) === true,
      20_000,
    );
  }
  const bodies = await gets(30);
  t.false(bodies.includes('FAIL'), bodies.join(','));
  t.true(new Set(bodies).size > 1, `one real server answered every request: ${bodies.join(',')}`);
  const byDirector = await Promise.all(DIRECTORS.map(conns));
  t.log(`connections by director: ${byDirector.join(', ')}`);
  t.true(
    byDirector.every((n) => n > 0),
    `a director took no connection: ${byDirector.join(', ')}`,
  );
});

test.serial(
  "a director whose reals lose quorum withdraws, and announces again when they're back",
  async (t) => {
    // d1 alone loses its path to r1 and r2 (quorum 2 of 3): its checks fail, the others' do not
    await lab.sh(
      'd1',
      `ip route add prohibit ${realAddr('r1')}/32; ip route add prohibit ${realAddr('r2')}/32`,
    );
    const ms = await hops(without('d1'), 'd1 withdrawn');
    t.log(`d1 withdrawn ${ms} ms after its reals became unreachable`);
    const s = await bgpStatus('d1');
    t.is(s?.vips[0]?.reason, 'no-quorum');
    t.false(s?.vips[0]?.announced);
    // the failed reals stay in d1's service at weight 0, never deleted (the Maglev table keeps its order)
    const failed = await lab.ns.d1.ipvsadm('-Sn');
    for (const r of ['r1', 'r2'] as const)
      t.regex(failed, new RegExp(`-r ${realAddr(r).replace(/\./g, '\\.')}:80 -g -w 0`), failed);
    await lab.sh(
      'd1',
      `ip route del prohibit ${realAddr('r1')}/32; ip route del prohibit ${realAddr('r2')}/32`,
    );
    const back = await hops(all, 'd1 announced again');
    t.log(`d1 announced again ${back} ms after its reals came back`);
    // the kernel lists reals in its own order (each added at the head): d1's must be the others'
    await waitUntil(
      "d1's IPVS table, in the kernel's order, equal to d2's",
      async () => [await lab.ns.d1.ipvsadm('-Sn'), await lab.ns.d2.ipvsadm('-Sn')],
      ([a, b]) => a === b,
      20_000,
    );
  },
);

test.serial('lvsd drain withdraws without a failed request; lvsd undrain announces again', async (t) => {
  const traffic = gets(40);
  const drained = await lab.lvsdCli('d2', ['drain']);
  t.is(drained.code, 0, drained.stderr);
  t.regex(drained.stdout, new RegExp(`${VIP.replace(/\./g, '\\.')} withdrawn \\(drained\\)`));
  const ms = await hops(without('d2'), 'd2 withdrawn');
  t.log(`d2 withdrawn ${ms} ms after lvsd drain`);
  const bodies = await traffic;
  t.false(bodies.includes('FAIL'), `a request failed while d2 drained: ${bodies.join(',')}`);
  t.is((await bgpStatus('d2'))?.drained, true);
  const undrained = await lab.lvsdCli('d2', ['undrain']);
  t.is(undrained.code, 0, undrained.stderr);
  await hops(all, 'd2 announced again');
});

test.serial(
  'a reload that moves lvsd_bgp_table withdraws from the old table and announces in the new',
  async (t) => {
    const conf = join(lab.dir, 'lvsd-d2.conf');
    const text = readFileSync(conf, 'utf8');
    const inTable = async (n: number): Promise<boolean> =>
      (await lab.ns.d2.run('ip', ['-4', 'route', 'show', 'table', String(n)])).stdout.includes(VIP);
    const reload = async (): Promise<void> => {
      const r = await lab.lvsdCli('d2', ['reload']);
      t.is(r.code, 0, `${r.stdout}${r.stderr}`);
    };
    writeFileSync(conf, text.replace(`lvsd_bgp_table ${TABLE}`, `lvsd_bgp_table ${TABLE + 1}`));
    await reload();
    // BIRD exports table 100 only: the router drops d2 once its route has left that table
    const ms = await hops(without('d2'), 'd2 withdrawn from the old table');
    t.log(`d2 out of the router ${ms} ms after the reload that moved its table`);
    t.false(await inTable(TABLE), `the VIP left table ${TABLE}`);
    t.true(await inTable(TABLE + 1), `the VIP is in table ${TABLE + 1}`);
    t.deepEqual(
      (await bgpStatus('d2'))?.vips.map((v) => [v.vip, v.announced]),
      [[VIP, true]],
    );
    writeFileSync(conf, text);
    await reload();
    await hops(all, 'd2 announced again in the table BIRD exports');
    t.false(await inTable(TABLE + 1), `the VIP left table ${TABLE + 1}`);
  },
);

test.serial('a killed director is dropped by the router (hold time)', async (t) => {
  await lab.killDirector('d3');
  const ms = await hops(without('d3'), 'd3 dropped by the router', 30_000);
  t.log(`d3 dropped ${ms} ms after it died (BGP hold time 3 s)`);
  const bodies = await gets(10);
  t.false(bodies.includes('FAIL'), bodies.join(','));
});

test.serial('SIGTERM withdraws first, then stops serving after the grace', async (t) => {
  const d1 = lab.lvsd.d1;
  if (!d1) return t.fail('d1 not running');
  d1.proc.kill('SIGTERM');
  // the router drops d1 while d1's IPVS service is still programmed (the grace is 3 s)
  let servingWhenDropped = false;
  await waitUntil(
    'd1 withdrawn at SIGTERM',
    async () => {
      const h = await lab.nextHops();
      if (same(h, without('d1', 'd3'))) servingWhenDropped = (await lab.ns.d1.ipvsadm('-Sn')).includes(VIP);
      return h;
    },
    (h) => same(h, without('d1', 'd3')),
    30_000,
    100,
  );
  t.true(servingWhenDropped, 'd1 had stopped serving before the router dropped it');
  await d1.stop(20_000);
  t.false((await lab.ns.d1.ipvsadm('-Sn')).includes(VIP), "d1's service is removed once it has stopped");
  // the worker's log: the withdrawal for the stop, then the grace, then the checker's end
  const log = d1.output();
  const withdrawn = log.search(/VIP withdrawn.*reason=stopping/);
  t.true(withdrawn >= 0 && withdrawn < log.indexOf('serving on until the grace ends'), log.slice(-3000));
});
