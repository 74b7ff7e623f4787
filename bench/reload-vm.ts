// SPDX-License-Identifier: Apache-2.0
/**
 * Benchmark (not a test): a supervised `lvsd run` and `keepalived -C` on the same configuration, on
 * the real ip_vs module in ONE VM run (issue 13: reload and cold start, side by side):
 * - start → the whole table in the kernel (every service and real of the file);
 * - SIGHUP with one real's weight edited in the file → that weight in the kernel, ROUNDS times.
 * Virtual servers without checkers (every real is in the table from the start, on both sides), TCP,
 * wrr, NAT, 10 reals each. The table is watched from this process with lvsd's netlink driver (one
 * service's reals every 10 ms for a reload; the services, then every service's reals, for the start).
 * `--compare DIR` adds another built checkout's `bin/lvsd` as a row, run after this one; a row
 * runs this `bin/lvsd` as the .deb's unit does, on its Node 24 with Node's compile cache (filled by
 * an untimed start first; `--no-deb` leaves it out). Writes bench/results/reload-vm.md. Root: `npm run bench reload-vm` (boots scripts/ipvs-vm.sh
 * and runs itself inside it, in a network namespace). RELOAD_VM_SERVICES (default "100,1000"),
 * RELOAD_VM_ROUNDS (3), RELOAD_VM_STARTS (3: starts per daemon and size for the first table).
 */
import { processIdle, standbyValidator } from '../test/fakes/process-idle.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openKernelIpvs } from '../src/ipvs/kernel.io.js';
import type { IpvsDriver } from '../src/ipvs/driver.js';
import type { ServiceKey } from '../src/ipvs/model.js';
import { checkoutLabel, keepalivedVersion, median, writeReport } from './lib/summary.js';
import { debNode } from './lib/deb-node.js';
import { runSelfInVm } from './lib/vm-self.js';
import { keepalivedArgv, repoRoot, sleep, waitFor } from '../test/netns/harness.js';

const { values } = parseArgs({
  options: { inner: { type: 'boolean' }, compare: { type: 'string' }, 'no-deb': { type: 'boolean' } },
});
const SIZES = (process.env['RELOAD_VM_SERVICES'] ?? '100,1000').split(',').map(Number);
const ROUNDS = Number(process.env['RELOAD_VM_ROUNDS'] ?? 3);
const STARTS = Number(process.env['RELOAD_VM_STARTS'] ?? 3);
const REALS = 10;
interface Impl {
  name: string;
  argv: (conf: string, runDir: string) => string[];
}

const lvsdAt = (name: string, dir: string, node = process.execPath): Impl => ({
  name,
  argv: (conf, runDir) => [node, join(dir, 'bin/lvsd'), 'run', '-f', conf, '--run-dir', runDir],
});
/** As the .deb's unit runs it: its Node 24, with Node's compile cache (filled by a start before). */
const DEB = 'lvsd (Node 24, compile cache)';
const keepalived: Impl = {
  name: 'keepalived',
  argv: (conf, runDir) => keepalivedArgv(conf, runDir, undefined, '-C'),
};

/** The edited real: the middle virtual server's fourth. */
const edited = (services: number): { vs: number; real: number } => ({ vs: services >> 1, real: 3 });
const vip = (i: number): string => `10.${(i >> 8) & 255}.${i & 255}.1`;
const rip = (i: number, j: number): string => `192.168.${j}.${(i % 250) + 1}`;

function configText(services: number, weight: number): string {
  const e = edited(services);
  const out: string[] = [];
  for (let i = 0; i < services; i++) {
    out.push(`virtual_server ${vip(i)} 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`);
    for (let j = 0; j < REALS; j++) {
      const w = i === e.vs && j === e.real ? weight : 1;
      out.push(`  real_server ${rip(i, j)} 8080 {\n    weight ${w}\n  }`);
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/**
 * The file's last virtual server with all its reals in the kernel: one service's dump, so that the
 * watching costs the daemons little CPU (a whole-table dump takes seconds here). Both daemons add
 * the services in the file's order, which is also the kernel's canonical order (lvsd's).
 */
async function lastServiceComplete(kernel: IpvsDriver, services: number): Promise<boolean> {
  const key: ServiceKey = {
    kind: 'addr',
    family: 'inet',
    protocol: 'tcp',
    address: vip(services - 1),
    port: 80,
  };
  return (await kernel.dumpDestinations([key]))[0]?.length === REALS;
}

/** Every service of the file with all its reals in the kernel. */
async function wholeTable(kernel: IpvsDriver, services: number): Promise<boolean> {
  const have = await kernel.dumpServices();
  if (have.length < services) return false;
  const dests = await kernel.dumpDestinations(have.map((s) => s.key));
  return dests.filter((d) => d !== undefined && d.length === REALS).length === services;
}

interface Run {
  impl: string;
  services: number;
  /** One per start, the first with the reloads. */
  startMs: number[];
  reloadMs: number[];
}

async function runOne(kernel: IpvsDriver, impl: Impl, services: number, rounds = ROUNDS): Promise<Run> {
  const dir = mkdtempSync('/tmp/lvsd-reload-vm-');
  const conf = join(dir, 'lvsd.conf');
  const e = edited(services);
  const key: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: vip(e.vs), port: 80 };
  const weightNow = async (): Promise<number | undefined> =>
    (await kernel.dumpDestinations([key]))[0]?.find((d) => d.address === rip(e.vs, e.real))?.weight;
  writeFileSync(conf, configText(services, 1));
  await kernel.apply([{ op: 'flush' }]);
  const argv = impl.argv(conf, dir);
  let child: ChildProcess | undefined;
  let log = '';
  try {
    const t0 = performance.now();
    child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      // the default word limit (1,000,000) holds ~13,000 of these virtual servers; raised only past it
      env:
        services * 75 < 1_000_000
          ? process.env
          : { ...process.env, LVSD_CONFIG_MAX_TOKENS: String(services * 100) },
    });
    child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    await waitFor(`${impl.name} start`, () => lastServiceComplete(kernel, services), 180_000, 50);
    let startMs = performance.now() - t0;
    // then the whole table, read once (or until it is there, timed from then)
    if (!(await wholeTable(kernel, services))) {
      await waitFor(`${impl.name} start (whole table)`, () => wholeTable(kernel, services), 180_000, 100);
      startMs = performance.now() - t0;
    }
    const reloadMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await sleep(5000); // settled, as between an operator's reloads
      // lvsd with a file past what its supervisor validates itself: its validating child started
      // ahead has read the file as it runs (config/incremental.ts), as between an operator's edits
      const standby = standbyValidator(conf);
      if (standby !== undefined) await processIdle(standby, 1000, 120_000);
      const w = r % 2 === 0 ? 7 : 1;
      writeFileSync(conf, configText(services, w));
      const t1 = performance.now();
      child.kill('SIGHUP');
      await waitFor(`${impl.name} reload to weight ${w}`, async () => (await weightNow()) === w, 120_000, 10);
      reloadMs.push(performance.now() - t1);
    }
    return { impl: impl.name, services, startMs: [startMs], reloadMs };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${impl.name} output:\n${log.slice(-4000)}`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child!.once('exit', r)), sleep(30_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inner(): Promise<void> {
  const kernel = await openKernelIpvs();
  const impls = [lvsdAt('lvsd', repoRoot), keepalived];
  const debNode = process.env['RELOAD_VM_DEB_NODE'];
  if (debNode) {
    process.env['NODE_COMPILE_CACHE'] = mkdtempSync('/tmp/lvsd-reload-vm-cache-');
    const deb = lvsdAt(DEB, repoRoot, debNode);
    await runOne(kernel, deb, 20, 0); // fills the cache, as a director's first start does
    impls.splice(1, 0, deb);
  }
  const other = process.env['RELOAD_VM_COMPARE'];
  if (other) impls.splice(1, 0, lvsdAt(`lvsd (${process.env['RELOAD_VM_COMPARE_LABEL'] ?? other})`, other));
  // every daemon started once first, untimed, so that no row pays for reading its files (the node
  // binary, the bundle) from the host's share into the guest's page cache
  for (const impl of impls) if (impl.name !== DEB) await runOne(kernel, impl, 20, 0);
  const runs: Run[] = [];
  const loadStart = loadavg();
  for (const services of SIZES) {
    const first = new Map<string, Run>();
    for (const impl of impls) first.set(impl.name, await runOne(kernel, impl, services));
    // more starts, the daemons alternating, for the first table's median
    for (let r = 1; r < STARTS; r++)
      for (const impl of impls)
        first.get(impl.name)!.startMs.push(...(await runOne(kernel, impl, services, 0)).startMs);
    runs.push(...first.values());
  }
  await kernel.apply([{ op: 'flush' }]);
  kernel.close();
  const result = {
    vmKernel: release(),
    loadStart,
    loadEnd: loadavg(),
    runs,
    keepalived: keepalivedVersion(),
  };
  process.stdout.write(`RELOAD_VM_RESULT ${JSON.stringify(result)}\n`);
}

async function outer(): Promise<void> {
  const hostLoadStart = loadavg();
  const compare = values.compare === undefined ? undefined : resolve(values.compare);
  const r = (await runSelfInVm(fileURLToPath(import.meta.url), 'RELOAD_VM_RESULT', {
    RELOAD_VM_SERVICES: SIZES.join(','),
    RELOAD_VM_ROUNDS: ROUNDS,
    RELOAD_VM_STARTS: STARTS,
    ...(compare ? { RELOAD_VM_COMPARE: compare, RELOAD_VM_COMPARE_LABEL: checkoutLabel(compare) } : {}),
    ...(values['no-deb'] ? {} : { RELOAD_VM_DEB_NODE: debNode() }),
  })) as { vmKernel: string; loadStart: number[]; loadEnd: number[]; runs: Run[]; keepalived: string };
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  const la = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
  const impls = [...new Set(r.runs.map((x) => x.impl))];
  const ka = (services: number): Run =>
    r.runs.find((x) => x.services === services && x.impl === 'keepalived')!;
  const rows = r.runs.map((x) => {
    const k = ka(x.services);
    const ratio = (a: number, b: number): string =>
      x.impl === 'keepalived' ? '-' : `${(a / b).toFixed(1)}×`;
    return (
      `| ${x.services} × ${REALS} | ${x.impl} | **${s(median(x.startMs))}** (${x.startMs.map(s).join(', ')}) | ` +
      `${ratio(median(x.startMs), median(k.startMs))} | ` +
      `**${s(median(x.reloadMs))}** (${x.reloadMs.map(s).join(', ')}) | ${ratio(median(x.reloadMs), median(k.reloadMs))} |`
    );
  });
  const md = [
    '# Reload and first table in the VM: lvsd vs keepalived',
    '',
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${hostname()}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, host kernel ${release()}; host load average ` +
      `at start ${la(hostLoadStart)}, at the end ${la(loadavg())}  `,
    `Where: QEMU TCG VM (scripts/ipvs-vm.sh, no KVM, ~10x slower than the host), guest kernel ${r.vmKernel}, guest load ` +
      `average at start ${la(r.loadStart)}, at the end ${la(r.loadEnd)}; real ip_vs; Node ${process.version}; ${r.keepalived}.`,
    `Command: \`node dist/bench/reload-vm.js${compare ? ` --compare ${compare}` : ''}\` (root; RELOAD_VM_SERVICES ` +
      `${SIZES.join(',')}, RELOAD_VM_ROUNDS ${ROUNDS}, RELOAD_VM_STARTS ${STARTS}).`,
    '',
    `A supervised \`lvsd run -f FILE\` (the supervisor and its LVS worker, as the unit runs it) and \`keepalived -C\`, one`,
    `after the other on the same file: virtual servers without checkers, TCP, wrr, NAT, ${REALS} reals each. "First`,
    'table": from spawning the daemon to every service of the file with all its reals in the kernel (the last one',
    'watched every 50 ms, then the whole table read once), median of STARTS starts, the daemons alternating, each',
    'daemon started once untimed before (the guest\'s page cache). "Reload": one real\'s weight edited in the file,',
    'SIGHUP, until the kernel has the new weight (seconds; median in bold, then each round; 5 s between rounds, and',
    "lvsd's validating child started ahead idle (done reading the file: config/incremental.ts); in the",
    "first start). The table is read from the bench's own netlink socket. Ratios: against keepalived in the same run.",
    `"${DEB}": the same bin/lvsd on the Node the .deb bundles, with NODE_COMPILE_CACHE as the unit sets it`,
    '(filled by an untimed start first, as a director has it after its first start); the other lvsd rows run on',
    `Node ${process.version}, which has no compile cache.`,
    '',
    '| size | daemon | first table (s) | vs keepalived | reload (s) | vs keepalived |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Daemons, in the order run at each size: ${impls.join(', ')}.`,
    '',
  ].join('\n');
  writeReport('reload-vm', md);
}

if (values.inner) await inner();
else await outer();
