// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run lab` (through scripts/lab.sh, which boots the IPVS VM when this kernel has no ip_vs): the
 * failover lab, composed (I/O). It builds a client, two directors running `lvsd run` on the sample
 * pair etc/lvs-nat.conf and two real HTTP servers in network namespaces (test/vm/e2e/ha-lab.ts),
 * sends steady traffic, walks through election, a real stopped and started, a reload, the master
 * killed and preemption back (walk.io.ts), printing one line per phase as it happens. Then it prints
 * the report, both directors' `lvsd status`, the timeline in the terminal, writes it as SVG, and
 * ends with `lab: failover X ms, N requests failed, preempt back Y ms`. The namespaces and every
 * process it started are removed on the way out, also when it fails or is interrupted.
 * `--ecmp` runs the scale-out lab instead (ecmp-lab.ts).
 */
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { HaLab } from '../../test/vm/e2e/ha-lab.js';
import { createHaLab, VIP } from '../../test/vm/e2e/ha-lab.js';
import { ecmpLab } from './ecmp-lab.js';
import type { LabOptions } from './lab-run.js';
import { cleanUpOnSignal, daemonOutputs, progressPrinter, statuses, writeLabOutputs } from './lab-run.js';
import { headline, labLine, settleServiceBack } from './report.js';
import type { Sampler } from './sampler.io.js';
import { vrrpLanes } from './svg-chart.js';
import type { Traffic } from './traffic.io.js';
import { startTraffic } from './traffic.io.js';
import { startVrrpSampler } from './vrrp-sampler.io.js';
import type { PhaseKey, PhaseResult, Walk } from './walk.io.js';
import { election, failover, preempt, realDown, realUp, reload } from './walk.io.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const sampleConf = join(repo, 'etc/lvs-nat.conf');
const usage = `usage: npm run lab [-- --short] [--ecmp [--bfd]] [--out DIR] [--rate N]
  --short         the CI form: 3 s of steady traffic after each phase instead of 15 s
  --ecmp          the scale-out lab: three directors announce the VIP over BGP to a router
                  that spreads flows by ECMP (BIRD 2); one loses quorum, one drains, one dies
  --bfd           (with --ecmp) BFD on every BGP session: a dead director is dropped in
                  ~0.3 s instead of the 3 s hold time
  --out DIR       where timeline.svg, timeline.vl.json and report.txt go [build/lab]
  --rate N        requests per second (1-100) [10]
  --fail-after P  fail on purpose after phase P (tests that the lab cleans up)`;

const short: Record<PhaseKey, string> = {
  election: 'election',
  'real-down': 'rs2 down',
  'real-up': 'rs2 up',
  reload: 'reload',
  failover: 'master killed',
  preempt: 'preempt',
};

function options() {
  const { values } = parseArgs({
    options: {
      short: { type: 'boolean', default: false },
      ecmp: { type: 'boolean', default: false },
      bfd: { type: 'boolean', default: false },
      out: { type: 'string', default: join(repo, 'build/lab') },
      rate: { type: 'string', default: '10' },
      'fail-after': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const rate = Number(values.rate);
  if (!(Number.isInteger(rate) && rate >= 1 && rate <= 100)) throw new Error(`--rate ${values.rate}: 1-100`);
  if (values.bfd && !values.ecmp) throw new Error('--bfd goes with --ecmp');
  const o: LabOptions & { ecmp: boolean; help: boolean } = {
    short: values.short,
    bfd: values.bfd,
    ecmp: values.ecmp,
    help: values.help,
    rate,
    out: resolve(values.out),
    ...(values['fail-after'] !== undefined ? { failAfter: values['fail-after'] } : {}),
  };
  return o;
}

async function main(): Promise<number> {
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'the lab needs root (network namespaces, IPVS); scripts/lab.sh runs it in the IPVS VM\n',
    );
    return 1;
  }
  const say = progressPrinter();
  return o.ecmp ? ecmpLab(o, say) : vrrpLab(o, say);
}

async function vrrpLab(o: LabOptions, say: (line: string) => void): Promise<number> {
  const where = process.env['IPVS_VM'] === '1' ? 'inside the IPVS VM' : 'on this machine';
  say(
    `lvsd failover lab ${where}: ${relative(repo, sampleConf)} as lvs1 + lvs2, reals rs1 + rs2, ${o.rate} requests/s to ${VIP}:80`,
  );

  let lab: HaLab | undefined;
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

  const walk: Partial<Walk> & { phases: PhaseResult[] } = { phases: [] };
  try {
    lab = await createHaLab({ conf: sampleConf });
    await Promise.all([lab.startHttp('rs1'), lab.startHttp('rs2')]);
    say('namespaces up: client, lvs1, lvs2, rs1, rs2 (busybox httpd); starting traffic and both directors');
    const trafficStart = Date.now();
    traffic = startTraffic({
      netns: lab.ns.client.name,
      host: VIP,
      rate: o.rate,
      timeoutMs: 1000,
      maxMs: 600_000,
    });
    sampler = startVrrpSampler({ lvs1: lab.runDir('lvs1'), lvs2: lab.runDir('lvs2') }, 250);
    const w: Walk = {
      lab,
      daemons: {},
      traffic,
      sampler,
      dwellMs: o.short ? 3000 : 15_000,
      requestTimeoutMs: 1000,
      phases: walk.phases,
      progress: (p) =>
        say(
          `${walk.phases.length}/6 ${p.title}: ${p.measures.map((m) => `${m.what} ${m.ms} ms`).join(', ')}`,
        ),
      ...(o.failAfter !== undefined ? { failAfter: o.failAfter } : {}),
    };
    Object.assign(walk, w);
    try {
      for (const step of [election, realDown, realUp, reload, failover, preempt]) await step(w);
    } catch (e) {
      process.stderr.write(`${daemonOutputs(w.daemons)}\n`);
      throw e;
    }
    const end = Date.now();
    walk.phases[walk.phases.length - 1]!.end = end;
    await traffic.stop();
    await sampler.stop();
    say('traffic stopped; asking both directors for `lvsd status`');
    const status = await statuses({ lvs1: lab.runDir('lvs1'), lvs2: lab.runDir('lvs2') });
    // every request has ended now: the service-back figures are taken again over whole phases
    const phases = settleServiceBack(walk.phases, traffic.records);
    const text = await writeLabOutputs({
      title: `lvsd failover lab: ${relative(repo, sampleConf)}, ${o.rate} requests/s to ${VIP}:80`,
      heading: `lvsd failover lab report (${where}; times in ms from the start of each phase)`,
      trafficStart,
      end,
      records: traffic.records,
      samples: sampler.samples,
      phases,
      labels: phases.map((p) => short[p.key]),
      lanes: vrrpLanes,
      status,
      out: o.out,
      line: labLine(headline(phases, traffic.records)),
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

process.exitCode = await main();
