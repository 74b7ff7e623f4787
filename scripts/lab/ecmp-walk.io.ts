// SPDX-License-Identifier: Apache-2.0
/**
 * The ECMP lab's walk (I/O), on the scale-out lab of test/vm/bgp/bgp-lab.ts with traffic flowing:
 * three directors start and announce the VIP over BGP; d1 loses its path to two of the three reals
 * (quorum 2) and withdraws, then announces again when they are back; d2 is drained and undrained
 * (`lvsd drain`/`lvsd undrain`); d3 dies (its switch port down, lvsd and BIRD SIGKILLed) and the
 * router drops it at the BGP hold time (or BFD). Each phase measures the router's view: the next
 * hops of its route to the VIP, polled every 100 ms. Phases as in the VRRP lab (phase.io.ts).
 */
import type { BgpLab, Director } from '../../test/vm/bgp/bgp-lab.js';
import { DIRECTORS, directorAddr, realAddr, VIP } from '../../test/vm/bgp/bgp-lab.js';
import { waitUntil } from '../../test/vm/e2e/ha-lab.js';
import type { LabPhase, PhaseRun } from './phase.io.js';
import { measured, phase, serviceBack } from './phase.io.js';
import type { Sampler } from './sampler.io.js';
import { startSampler } from './sampler.io.js';

export type EcmpPhaseKey = 'announce' | 'quorum-lost' | 'quorum-back' | 'drain' | 'undrain' | 'killed';
export type EcmpPhase = LabPhase<EcmpPhaseKey>;

export interface EcmpWalk extends PhaseRun<EcmpPhaseKey> {
  lab: BgpLab;
  sampler: Sampler;
  /** How the router notices a dead director, for the report: `BGP hold time 3 s` or `BFD`. */
  deadDetection: string;
}

/** The directors in the router's route to the VIP, in DIRECTORS order. */
async function routerHops(lab: BgpLab): Promise<Director[]> {
  const hops = new Set(await lab.nextHops());
  return DIRECTORS.filter((d) => hops.has(directorAddr(d)));
}

/**
 * Samples each director's place in the router's route every `everyMs`: ANNOUNCED (a next hop),
 * WITHDRAWN (lvsd runs but the router has no path through it), down (its lvsd is not running).
 */
export function startHopSampler(lab: BgpLab, everyMs: number): Sampler {
  return startSampler(async () => {
    const hops = new Set(await routerHops(lab));
    return Object.fromEntries(
      DIRECTORS.map((d) => [
        d,
        hops.has(d) ? 'ANNOUNCED' : lab.lvsd[d]?.running() === true ? 'WITHDRAWN' : 'down',
      ]),
    );
  }, everyMs);
}

/** Wait until the router's next hops are exactly `want`. */
function hopsAre(w: EcmpWalk, want: readonly Director[], what: string, timeoutMs = 60_000): Promise<number> {
  return waitUntil(
    what,
    () => routerHops(w.lab),
    (h) => h.join() === want.join(),
    timeoutMs,
    100,
  );
}

const all = DIRECTORS;
const without = (...ds: Director[]): Director[] => DIRECTORS.filter((d) => !ds.includes(d));

/** Connections each director's IPVS took so far (`ipvsadm -Ln --stats`, the VIP's service). */
async function connections(lab: BgpLab): Promise<Record<Director, number>> {
  const one = async (d: Director): Promise<number> => {
    const out = await lab.ns[d].ipvsadm('-Ln', '--stats');
    const line = out.split('\n').find((l) => l.startsWith('TCP') && l.includes(`${VIP}:80`));
    return Number(line?.trim().split(/\s+/)[2] ?? 0);
  };
  const n = await Promise.all(DIRECTORS.map(one));
  return { d1: n[0] ?? 0, d2: n[1] ?? 0, d3: n[2] ?? 0 };
}

export async function announce(w: EcmpWalk): Promise<void> {
  await phase(w, 'announce', 'three directors start and announce the VIP', async (p) => {
    for (const d of DIRECTORS) w.lab.startLvsd(d);
    await hopsAre(w, all, 'three next hops at the router', 240_000);
    measured(p, 'the router has three next hops for the VIP');
    p.measures.push({
      what: 'service up (unbroken run of served requests from)',
      ms: await serviceBack(w, p.start, 'the directors started', 60_000),
      serviceBack: true,
    });
  });
}

/** d1 alone loses its path to r1 and r2: its checks fail (quorum 2 of 3), the others' do not. */
export async function quorumLost(w: EcmpWalk): Promise<void> {
  const spread = await connections(w.lab);
  w.phases[w.phases.length - 1]?.notes.push(
    `connections taken by each director's IPVS so far: ${DIRECTORS.map((d) => `${d} ${spread[d]}`).join(', ')}`,
  );
  await phase(w, 'quorum-lost', 'd1 loses its path to r1 and r2 (quorum 2 of 3)', async (p) => {
    await w.lab.sh(
      'd1',
      `ip route add prohibit ${realAddr('r1')}/32; ip route add prohibit ${realAddr('r2')}/32`,
    );
    await hopsAre(w, without('d1'), 'd1 withdrawn');
    measured(p, 'the router drops d1 (quorum lost, withdrawn)');
    // the failed reals stay in d1's service at weight 0, never deleted: the Maglev table keeps its order
    const kept = (await w.lab.ns.d1.ipvsadm('-Sn'))
      .split('\n')
      .filter((l) => / -w 0$/.test(l))
      .map((l) => l.replace(/^.* -r (\S+) .*$/, '$1'));
    p.notes.push(`d1 keeps its failed reals at weight 0 (not deleted): ${kept.join(', ') || 'none'}`);
  });
}

export async function quorumBack(w: EcmpWalk): Promise<void> {
  await phase(w, 'quorum-back', "d1's reals reachable again", async (p) => {
    await w.lab.sh(
      'd1',
      `ip route del prohibit ${realAddr('r1')}/32; ip route del prohibit ${realAddr('r2')}/32`,
    );
    await hopsAre(w, all, 'd1 announced again');
    measured(p, 'the router has d1 again (quorum back, announced)');
  });
}

/** `lvsd drain` (or `lvsd undrain`) on d2, then the router without d2 (or with it again). */
async function drainD2(w: EcmpWalk, verb: 'drain' | 'undrain'): Promise<void> {
  await phase(w, verb, `lvsd ${verb} on d2`, async (p) => {
    const r = await w.lab.lvsdCli('d2', [verb]);
    if (r.code !== 0) throw new Error(`lvsd ${verb} on d2: exit ${r.code}: ${r.stderr}`);
    measured(p, `lvsd ${verb} returned`);
    if (verb === 'drain')
      p.notes.push(
        ...r.stdout
          .trim()
          .split('\n')
          .map((l) => `d2: ${l}`),
      );
    await hopsAre(w, verb === 'drain' ? without('d2') : all, `d2 ${verb}ed`);
    measured(p, verb === 'drain' ? 'the router drops d2 (drained, withdrawn)' : 'the router has d2 again');
  });
}

export const drain = (w: EcmpWalk): Promise<void> => drainD2(w, 'drain');
export const undrain = (w: EcmpWalk): Promise<void> => drainD2(w, 'undrain');

export async function directorKilled(w: EcmpWalk): Promise<void> {
  await phase(w, 'killed', 'd3 dies (port down, lvsd and BIRD SIGKILLed)', async (p) => {
    await w.lab.killDirector('d3');
    await hopsAre(w, without('d3'), 'the router drops d3', 30_000);
    p.measures.push({ what: `the router drops d3 (${w.deadDetection})`, ms: Date.now() - p.start });
    p.measures.push({
      what: 'service back (unbroken run of served requests from)',
      ms: await serviceBack(w, p.start, 'the death of d3', 60_000),
      headline: true,
      serviceBack: true,
    });
  });
}
