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
import type { LabOptions, LabSpec } from './lab-run.js';
import { progressPrinter, runLab } from './lab-run.js';
import { headline, labLine } from './report.js';
import { vrrpLanes } from './svg-chart.js';
import { startVrrpSampler } from './vrrp-sampler.io.js';
import type { PhaseKey, Walk } from './walk.io.js';
import { election, failover, preempt, realDown, realUp, reload } from './walk.io.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const sampleConf = join(repo, 'etc/lvs-nat.conf');
const usage = `usage: npm run lab [-- --short] [--ecmp [--bfd]] [--out DIR] [--rate N]
  --short         the CI form: 3 s of steady traffic after each phase instead of 15 s
  --ecmp          the scale-out lab: three directors announce the VIP over BGP to a router
                  that spreads flows by ECMP (BIRD 2); one loses quorum, one drains, one dies
  --bfd           (with --ecmp) BFD on every BGP session (100 ms x 3): a dead director is
                  dropped within about a second instead of at the 3 s hold time
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

function vrrpLab(o: LabOptions, say: (line: string) => void): Promise<number> {
  const where = process.env['IPVS_VM'] === '1' ? 'inside the IPVS VM' : 'on this machine';
  const spec: LabSpec<HaLab, PhaseKey, Walk> = {
    intro: `lvsd failover lab ${where}: ${relative(repo, sampleConf)} as lvs1 + lvs2, reals rs1 + rs2, ${o.rate} requests/s to ${VIP}:80`,
    build: async () => {
      const lab = await createHaLab({ conf: sampleConf });
      try {
        await Promise.all([lab.startHttp('rs1'), lab.startHttp('rs2')]);
      } catch (e) {
        await lab.close();
        throw e;
      }
      return {
        lab,
        ready:
          'namespaces up: client, lvs1, lvs2, rs1, rs2 (busybox httpd); starting traffic and both directors',
      };
    },
    traffic: (lab) => ({ netns: lab.ns.client.name, host: VIP }),
    sampler: (lab) => startVrrpSampler({ lvs1: lab.runDir('lvs1'), lvs2: lab.runDir('lvs2') }, 250),
    walk: (lab, base) => ({ ...base, lab, daemons: {} }),
    steps: [election, realDown, realUp, reload, failover, preempt],
    daemons: (w) => w.daemons,
    statusOf: (lab) => ({ lvs1: lab.runDir('lvs1'), lvs2: lab.runDir('lvs2') }),
    title: `lvsd failover lab: ${relative(repo, sampleConf)}, ${o.rate} requests/s to ${VIP}:80`,
    heading: `lvsd failover lab report (${where}; times in ms from the start of each phase)`,
    labels: short,
    lanes: vrrpLanes,
    line: (phases, records) => labLine(headline(phases, records)),
  };
  return runLab(spec, o, say);
}

process.exitCode = await main();
