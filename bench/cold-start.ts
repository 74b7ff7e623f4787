// SPDX-License-Identifier: Apache-2.0
/**
 * Cold start, lvsd vs keepalived side by side in one run (root; one network namespace of the netns
 * lab, test/netns/harness.ts; no traffic leaves it). An address owner (priority 255, no peer) holds
 * its VIP from the moment it starts: the time from spawning the daemon to the VIP's appearance on
 * the interface (`ip -ts monitor address`) is the whole start-up path: runtime, module loading,
 * config parsing, worker start, socket set-up, the MASTER transition. Trials alternate between
 * `lvsd run` (supervisor + VRRP worker, as systemd starts it), `lvsd run --vrrp-only` (the VRRP
 * worker alone) and keepalived (`keepalived -n -l -D --vrrp`: its parent + VRRP child), so load
 * drifts hit all three alike. Each daemon is stopped (SIGTERM) and the VIP gone before the next.
 * Also the RSS of every process of each daemon once the VIP is held.
 * The first row is `lvsd run` as the .deb's unit runs it: on the bundled Node 24 with Node's compile
 * cache on (NODE_COMPILE_CACHE, systemd/lvsd.service).
 * Writes bench/results/cold-start.md. Usage: node dist/bench/cold-start.js [--trials N] [--compare DIR]
 * (`--compare`: another built checkout's `lvsd run` alternates with this one's, an A/B in one run).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { join } from 'node:path';
import {
  createLab,
  keepalivedArgv,
  repoRoot,
  waitFor,
  type Lab,
  type LabNode,
} from '../test/netns/harness.js';
import { vrrpConf } from '../test/netns/vrrp/conf.js';
import { monitorAddresses } from './lib/addr-monitor.js';
import { debNode } from './lib/deb-node.js';
import { asService } from './lib/service-env.js';
import { processTree, rssKb } from './lib/process-tree.js';
import { checkoutLabel, quantile, writeReport } from './lib/summary.js';

const TRIALS = Number(process.argv[process.argv.indexOf('--trials') + 1]) || 10;
/** `--compare DIR`: another built checkout of lvsd, whose `lvsd run` alternates with this one's (A/B). */
const COMPARE = process.argv.includes('--compare')
  ? process.argv[process.argv.indexOf('--compare') + 1]
  : undefined;
const other = COMPARE === undefined ? undefined : `lvsd run (${checkoutLabel(COMPARE)})`;
/** `lvsd run` as the .deb's unit runs it: on the bundled Node 24, with its compile cache on. */
const DEB = 'lvsd run (Node 24, compile cache)';
/** The other checkout as the .deb runs it (Node 24, its own compile cache): the A/B that counts. */
const otherDeb = COMPARE === undefined ? undefined : `${DEB} (${checkoutLabel(COMPARE)})`;
const IMPLS: string[] = [
  DEB,
  ...(otherDeb ? [otherDeb] : []),
  'lvsd run',
  ...(other ? [other] : []),
  'lvsd run --vrrp-only',
  'keepalived',
];
let compileCache = '';

function argvOf(impl: string, file: string, dir: string): string[] {
  const lvsdOf = (root: string): string[] => [process.execPath, join(root, 'bin', 'lvsd'), 'run', '-f', file];
  const lvsd = lvsdOf(repoRoot);
  if (impl === 'lvsd run') return lvsd;
  if (impl === DEB) return [debNode(), ...lvsd.slice(1)];
  if (impl === other && COMPARE !== undefined) return lvsdOf(COMPARE);
  if (impl === otherDeb && COMPARE !== undefined) return [debNode(), ...lvsdOf(COMPARE).slice(1)];
  if (impl === 'lvsd run --vrrp-only') return [...lvsd, '--vrrp-only'];
  return keepalivedArgv(file, dir);
}

/** RSS in MB of a process and all its descendants (from /proc). */
const treeRssMb = (pid: number): number => processTree(pid).reduce((s, p) => s + rssKb(p), 0) / 1024;

async function trial(
  lab: Lab,
  node: LabNode,
  impl: string,
  vip: string,
): Promise<{ ms: number; rssMb: number }> {
  const dir = mkdtempSync(join(lab.dir, 'cold-'));
  const file = join(dir, 'lvsd.conf');
  writeFileSync(
    file,
    vrrpConf(node, [{ priority: 255, state: 'MASTER', version: 3, advertInt: 1, vips: [`${vip}/24`] }]),
  );
  const mon = monitorAddresses(lab, node);
  await new Promise((r) => setTimeout(r, 300)); // the monitor subscribes before the daemon starts
  const env = {
    LVSD_RUN_DIR: dir,
    LVSD_STATE_DIR: dir,
    LVSD_CONTROL_SOCKET: join(dir, 'lvsd.sock'),
    // the unit's cache persists across starts: one directory for the whole run (its first trial fills it)
    ...(impl === DEB ? { NODE_COMPILE_CACHE: compileCache } : {}),
    ...(impl === otherDeb ? { NODE_COMPILE_CACHE: `${compileCache}-other` } : {}),
  };
  const argv = asService(argvOf(impl, file, dir), env);
  const t0 = Date.now();
  const proc = lab.spawn(node.ns, argv, {}, join(dir, 'output.log'));
  try {
    const up = await waitFor(
      'the VIP',
      () => mon.events.find((e) => e.addr === vip && !e.deleted),
      20_000,
      5,
    );
    await new Promise((r) => setTimeout(r, 1500)); // settled: every process started
    return { ms: up.ts - t0, rssMb: treeRssMb(proc.pid ?? 0) };
  } catch (e) {
    throw new Error(`${impl}: ${(e as Error).message}\n${readFileSync(join(dir, 'output.log'), 'utf8')}`);
  } finally {
    // a daemon that never started (not installed) or already died has no exit event to come
    const gone =
      proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined
        ? Promise.resolve()
        : new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await gone;
    await waitFor('the VIP removed', async () => !(await lab.hasAddress(node, vip)), 10_000);
    mon.stop();
  }
}

/** The q-quantile (nearest rank), rounded to a whole ms. */
const quantileMs = (xs: number[], q: number): number => Math.round(quantile(xs, q));

async function main(): Promise<void> {
  const loadStart = loadavg();
  const lab = await createLab(1);
  const node = lab.nodes[0];
  if (!node) throw new Error('no node');
  const vip = `10.${lab.net}.0.200`;
  compileCache = join(lab.dir, 'node-compile-cache');
  const times = new Map<string, number[]>(IMPLS.map((i) => [i, []]));
  const rss = new Map<string, number[]>(IMPLS.map((i) => [i, []]));
  try {
    for (let k = 0; k < TRIALS; k++)
      // each round starts with the next daemon: no row always follows the same one
      for (const impl of [...IMPLS.slice(k % IMPLS.length), ...IMPLS.slice(0, k % IMPLS.length)]) {
        const r = await trial(lab, node, impl, vip);
        times.get(impl)?.push(r.ms);
        rss.get(impl)?.push(r.rssMb);
        console.log(
          `${k + 1}/${TRIALS} ${impl}: VIP after ${Math.round(r.ms)} ms, RSS ${r.rssMb.toFixed(1)} MB`,
        );
      }
  } finally {
    await lab.destroy();
  }
  const ka = quantileMs(times.get('keepalived') ?? [], 0.5);
  const row = (impl: string): string => {
    const t = times.get(impl) ?? [];
    const m = rss.get(impl) ?? [];
    const med = quantileMs(t, 0.5);
    return `| ${impl} | ${quantileMs(t, 0)} | **${med}** | ${quantileMs(t, 0.9)} | ${quantileMs(t, 1)} | ${impl === 'keepalived' ? '-' : `+${med - ka}`} | ${quantileMs(m, 0.5)} |`;
  };
  const loadEnd = loadavg();
  const md = [
    '# Cold start: spawn to VIP, lvsd vs keepalived',
    '',
    `Generated by \`node dist/bench/cold-start.js --trials ${TRIALS}${COMPARE ? ` --compare ${COMPARE}` : ''}\` (bench/cold-start.ts) on ${hostname()},`,
    `${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()}, node ${process.version};`,
    `load average at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}, at the end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    'An address owner (priority 255, VRRPv3, one VIP, no peer) in a network namespace: ms from spawning the',
    'daemon (`ip netns exec` included, the same for all) to the VIP on the interface (`ip -ts monitor address`),',
    "each daemon in the environment systemd gives a service (`env -i`: PATH and the unit's variables only).",
    `Trials alternate between the ${IMPLS.length}, each round starting with the next, so load drifts hit them alike. RSS: all processes of the daemon,`,
    '1.5 s after the VIP appeared. Goal (issue 13): `lvsd run` ≤ keepalived + 150 ms (median).',
    `\`${DEB}\`: the same bin/lvsd on the Node the .deb bundles (${debNode()}), with`,
    'NODE_COMPILE_CACHE as systemd/lvsd.service sets it (one cache for the run: its first trial fills it).',
    'The other lvsd rows run on the node above, which has no compile cache (Node 20).',
    ...(COMPARE
      ? [`Rows naming a commit run that checkout (${COMPARE}), alternating with this one: an A/B in one run.`]
      : []),
    '',
    '| daemon | min ms | median ms | p90 ms | max ms | median vs keepalived | RSS MB (median) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...IMPLS.map(row),
    '',
  ].join('\n');
  writeReport('cold-start', md);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
