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
import type { LabOptions } from './lab-run.js';
import { cleanUpOnSignal, daemonOutputs, statuses, writeLabOutputs } from './lab-run.js';
import type { EcmpPhase } from './ecmp-walk.io.js';
import { ecmpHeadline, ecmpLabLine, settleServiceBack } from './report.js';
import type { Sampler } from './sampler.io.js';
import { bgpLanes } from './svg-chart.js';
import type { Traffic } from './traffic.io.js';
import { startTraffic } from './traffic.io.js';

const short: Record<EcmpPhaseKey, string> = {
  announce: 'announce',
  'quorum-lost': 'd1 no quorum',
  'quorum-back': 'd1 back',
  drain: 'd2 drain',
  undrain: 'd2 undrain',
  killed: 'd3 dies',
};

export async function ecmpLab(o: LabOptions, say: (line: string) => void): Promise<number> {
  const where = process.env['IPVS_VM'] === '1' ? 'inside the IPVS VM' : 'on this machine';
  const deadDetection = o.bfd ? 'BFD, 100 ms x 3' : 'BGP hold time 3 s';
  say(
    `lvsd ECMP lab ${where}: directors d1, d2, d3 announce ${VIP} over BGP to router rt (BIRD 2, ECMP; ` +
      `dead director: ${deadDetection}), reals r1-r3 (direct routing, mh), ${o.rate} requests/s to ${VIP}:80`,
  );
  let lab: BgpLab | undefined;
  let traffic: Traffic | undefined;
  let sampler: Sampler | undefined;
  let closing: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (closing ??= (async () => {
      await traffic?.stop();
      await sampler?.stop();
      await lab?.close();
    })());
  cleanUpOnSignal(say, cleanUp);
  const phases: EcmpPhase[] = [];
  try {
    lab = await createBgpLab({ bfd: o.bfd, graceS: 2 });
    say('namespaces up: router rt, client cl, directors d1-d3 (BIRD in each), reals r1-r3 (busybox httpd)');
    const trafficStart = Date.now();
    traffic = startTraffic({
      netns: lab.ns.cl.name,
      host: VIP,
      rate: o.rate,
      timeoutMs: 1000,
      maxMs: 600_000,
      bodyPrefix: 'r', // the reals r1, r2, r3
    });
    sampler = startHopSampler(lab, 250);
    const w: EcmpWalk = {
      lab,
      traffic,
      sampler,
      deadDetection,
      dwellMs: o.short ? 3000 : 15_000,
      requestTimeoutMs: 1000,
      phases,
      progress: (p) =>
        say(`${phases.length}/6 ${p.title}: ${p.measures.map((m) => `${m.what} ${m.ms} ms`).join(', ')}`),
      ...(o.failAfter !== undefined ? { failAfter: o.failAfter } : {}),
    };
    try {
      for (const step of [announce, quorumLost, quorumBack, drain, undrain, directorKilled]) await step(w);
    } catch (e) {
      process.stderr.write(`${daemonOutputs(lab.lvsd)}\n`);
      throw e;
    }
    const end = Date.now();
    phases[phases.length - 1]!.end = end;
    await traffic.stop();
    await sampler.stop();
    say('traffic stopped; asking d1 and d2 for `lvsd status`');
    const status = await statuses({ d1: lab.runDir('d1'), d2: lab.runDir('d2') });
    const settled = settleServiceBack(phases, traffic.records);
    const text = await writeLabOutputs({
      title: `lvsd ECMP lab: three directors announce ${VIP} over BGP, ${o.rate} requests/s`,
      heading: `lvsd ECMP lab report (${where}; times in ms from the start of each phase)`,
      trafficStart,
      end,
      records: traffic.records,
      samples: sampler.samples,
      phases: settled,
      labels: settled.map((p) => short[p.key]),
      lanes: bgpLanes,
      status,
      out: o.out,
      line: ecmpLabLine(ecmpHeadline(settled, traffic.records)),
    });
    process.stdout.write(text);
    return 0;
  } catch (e) {
    process.stderr.write(`lab failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    await cleanUp();
  }
}
