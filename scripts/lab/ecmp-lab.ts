// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run lab -- --ecmp` (I/O): the scale-out lab. Three directors d1..d3 run `lvsd run` with the
 * real ip_vs (direct routing, `mh`, `lvsd_sloppy_tcp`) and announce the VIP over BGP to a router
 * (BIRD 2, ECMP by L4 hash) that the client sits behind; three real HTTP servers (test/vm/bgp/bgp-lab.ts).
 * Steady traffic goes through the walk of ecmp-walk.io.ts; then the report, the live directors'
 * `lvsd status`, the timeline (lanes: each director's place in the router's route) in the terminal
 * and as SVG, and the closing line
 * `lab ecmp: director lost X ms, N requests failed, router dropped it Y ms, drain Z ms with M requests failed`.
 * The namespaces and every process it started are removed on the way out, also on failure.
 */
import type { BgpLab } from '../../test/vm/bgp/bgp-lab.js';
import { createBgpLab, VIP } from '../../test/vm/bgp/bgp-lab.js';
import type { EcmpPhaseKey, EcmpWalk } from './ecmp-walk.io.js';
import {
  announce,
  directorKilled,
  drain,
  quorumBack,
  quorumLost,
  startHopSampler,
  undrain,
} from './ecmp-walk.io.js';
import type { LabOptions, LabSpec } from './lab-run.js';
import { runLab } from './lab-run.js';
import { ecmpHeadline, ecmpLabLine } from './report.js';
import { bgpLanes } from './svg-chart.js';

const short: Record<EcmpPhaseKey, string> = {
  announce: 'announce',
  'quorum-lost': 'd1 no quorum',
  'quorum-back': 'd1 back',
  drain: 'd2 drain',
  undrain: 'd2 undrain',
  killed: 'd3 dies',
};

export function ecmpLab(o: LabOptions, say: (line: string) => void): Promise<number> {
  const where = process.env['IPVS_VM'] === '1' ? 'inside the IPVS VM' : 'on this machine';
  const deadDetection = o.bfd ? 'BFD, 100 ms x 3' : 'BGP hold time 3 s';
  const spec: LabSpec<BgpLab, EcmpPhaseKey, EcmpWalk> = {
    intro:
      `lvsd ECMP lab ${where}: directors d1, d2, d3 announce ${VIP} over BGP to router rt (BIRD 2, ECMP; ` +
      `dead director: ${deadDetection}), reals r1-r3 (direct routing, mh), ${o.rate} requests/s to ${VIP}:80`,
    build: async () => ({
      lab: await createBgpLab({ bfd: o.bfd, graceS: 2 }),
      ready:
        'namespaces up: router rt, client cl, directors d1-d3 (BIRD in each), reals r1-r3 (busybox httpd)',
    }),
    traffic: (lab) => ({ netns: lab.ns.cl.name, host: VIP, bodyPrefix: 'r' }), // the reals r1, r2, r3
    sampler: (lab) => startHopSampler(lab, 250),
    walk: (lab, base) => ({ ...base, lab, deadDetection }),
    steps: [announce, quorumLost, quorumBack, drain, undrain, directorKilled],
    daemons: (w) => w.lab.lvsd,
    statusOf: (lab) => ({ d1: lab.runDir('d1'), d2: lab.runDir('d2') }),
    title: `lvsd ECMP lab: three directors announce ${VIP} over BGP, ${o.rate} requests/s`,
    heading: `lvsd ECMP lab report (${where}; times in ms from the start of each phase)`,
    labels: short,
    lanes: bgpLanes,
    line: (phases, records) => ecmpLabLine(ecmpHeadline(phases, records)),
  };
  return runLab(spec, o, say);
}
