// SPDX-License-Identifier: Apache-2.0
/**
 * Start-up cost of the LVS worker (`lvsd run --check-only`) with a large config: 1,000 virtual
 * servers × 10 reals, TCP_CHECK, delay_loop 1, alpha (the config of bench/checks.ts). Two views:
 *
 * - phases: a fresh node process replays check-main.ts's start-up step by step with a timer
 *   around each (node boot, module imports, logger, lex, parse, validate, model→spec, driver
 *   open, first sync = kernel dump + world + reconcile + apply of every service);
 * - end to end (VM only): `bin/lvsd run --check-only -f CONF` in a namespace the script creates;
 *   an observer in that namespace accepts on all reals' addresses (a `local` route) and polls
 *   /proc/net/ip_vs: time to the first IPVS apply (all services present), to the first probe
 *   (first accept), to all reals up. On the host (no ip_vs) the same command can only run until
 *   it fails to open the driver, which is measured too.
 *
 * Usage: node dist/bench/startup.js [--reals N] [--runs K] [--host-only]   (root for the VM part)
 *        node dist/bench/startup.js --compare OTHER_REPO [--e2e-runs K]   (A/B end to end in one VM boot;
 *        OTHER_REPO: another built checkout, e.g. `git worktree add /tmp/base <commit> && npm run build` there)
 * Writes bench/results/startup.md (appends the run below the previous ones).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('--reals', 10_000);
const RUNS = arg('--runs', 3);
/** How long the end-to-end run may take to bring every real up. */
const E2E_S = arg('--e2e-wait', 90);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function realAddr(i: number): string {
  return `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** bench/checks.ts's config(true). */
function config(): string {
  const out: string[] = [];
  for (let v = 0; v < N / 10; v++) {
    out.push(`virtual_server 10.30.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {`);
    out.push('  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP');
    out.push('  alpha');
    for (let r = 0; r < 10; r++) {
      out.push(
        `  real_server ${realAddr(v * 10 + r)} 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 2\n    }\n  }`,
      );
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

type Phases = Array<[string, number]>;

/**
 * The phases child: replays check-main.ts's start-up (same modules, same order of work) with a
 * timer around each step; prints the phases as one JSON line. `--kernel` also opens the driver
 * and runs the first sync (needs ip_vs: the VM).
 */
async function phasesChild(conf: string, kernel: boolean): Promise<void> {
  const phases: Phases = [['node boot (to first line of the script)', performance.now()]];
  let t = performance.now();
  const lap = (name: string): void => {
    const n = performance.now();
    phases.push([name, n - t]);
    process.stderr.write(`  ${name}: ${(n - t).toFixed(0)} ms\n`);
    t = n;
  };
  await import('../src/cli/main.js');
  await import('../src/cli/commands/run.js');
  lap('import cli/main + commands/run');
  const { createLogger } = await import('../src/daemon/logger.js');
  lap('import daemon/logger');
  const { loadRunConfig } = await import('../src/daemon/run-config.js');
  lap('import config (run-config, load)');
  const { checkSpecFromModel } = await import('../src/check/from-model.js');
  const { CheckManager } = await import('../src/check/manager.js');
  const { realProbeFactory } = await import('../src/check/probes.io.js');
  const { ScriptRunner } = await import('../src/script/runner.io.js');
  lap('import check (manager, probes, from-model)');
  const { openKernelIpvs } = await import('../src/ipvs/kernel.io.js');
  lap('import ipvs/driver (netlink)');
  await import('../src/daemon/check-main.js');
  lap('import rest of daemon/check-main');
  const clock = await import('../src/daemon/clock.js');
  const log = createLogger({ name: 'lvs', level: 'info' });
  lap('create logger');
  // loadConfig = read + lex + parse + validate; the three pure stages timed one by one below.
  const { lexSource } = await import('../src/config/lexer.js');
  const { parseTokens } = await import('../src/config/parser.js');
  const { buildModel } = await import('../src/config/schema.js');
  const { Diagnostics } = await import('../src/config/diagnostics.js');
  const { fsHost } = await import('../src/config/load.io.js');
  lap('import the config language (lexer, parser, schema; run-config loads it lazily)');
  const text = readFileSync(conf, 'utf8');
  const diags = new Diagnostics();
  const lexed = lexSource(conf, text, conf, fsHost, { configId: 'bench', env: process.env }, diags);
  lap('config: read + lex');
  const ast = parseTokens(lexed.tokens, diags);
  lap('config: parse');
  buildModel({ diags, lenient: false }, ast, { configId: 'bench', lenient: false }, lexed.files);
  lap('config: validate (schema → Model)');
  const loaded = await loadRunConfig({ configFile: conf, configId: 'bench', io: silentIo });
  lap('loadRunConfig (all of the above again, as check-main calls it)');
  if (!loaded.model) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  const spec = checkSpecFromModel(loaded.model);
  lap('model → check spec');
  checkSpecFromModel(loaded.model); // check-main calls it twice (notify FIFOs, then start)
  lap('model → check spec (2nd call in check-main)');
  if (kernel) {
    const driver = await openKernelIpvs();
    lap('open IPVS driver');
    // The first sync's steps one by one, without the checkers running beside it.
    const { buildWorld } = await import('../src/check/virtual-server.js');
    const { desiredTable } = await import('../src/check/desired.js');
    const { reconcile } = await import('../src/ipvs/reconcile.js');
    const { opMessage } = await import('../src/ipvs/driver.js');
    t = performance.now();
    const actual = await driver.dump();
    lap('  first sync alone: kernel dump (empty)');
    const world = buildWorld(spec);
    lap('  first sync alone: build world');
    const desired = desiredTable(spec, world);
    lap('  first sync alone: desired table');
    const plan = reconcile(desired, actual, { owned: new Set() });
    lap(`  first sync alone: reconcile (${plan.length} ops)`);
    plan.map(opMessage);
    lap('  first sync alone: encode the ops (apply does it again)');
    const report = await driver.apply(plan);
    lap(`  first sync alone: driver.apply (${report.applied.length} applied)`);
    await driver.apply([{ op: 'flush' }]);
    t = performance.now();
    const manager = new CheckManager({
      kernel: driver,
      clock: clock.monotonicClock,
      timers: clock.realTimers,
      rng: clock.mathRng,
      logger: log,
      probes: realProbeFactory(clock.mathRng, new ScriptRunner()),
      runScript: () => {},
    });
    await manager.start(spec);
    lap('manager.start: world + tasks + first sync (dump, reconcile, apply)');
    // No dump or flush here: with 10,000 checkers running, a dump can take minutes in the VM.
  } else {
    const { buildWorld } = await import('../src/check/virtual-server.js');
    const { desiredTable } = await import('../src/check/desired.js');
    const { reconcile } = await import('../src/ipvs/reconcile.js');
    t = performance.now();
    const world = buildWorld(spec);
    lap('first sync, pure part: build world');
    const desired = desiredTable(spec, world);
    lap('first sync, pure part: desired table');
    const plan = reconcile(desired, [], { owned: new Set() });
    lap(`first sync, pure part: reconcile against an empty kernel (${plan.length} ops)`);
  }
  // Exit now: 10,000 probes still in flight (connect_timeout 2 s) would only delay the exit.
  process.stdout.write(JSON.stringify(phases) + '\n', () => process.exit(0));
}

const silentIo = { stdout: () => {}, stderr: () => {}, readStdin: () => Promise.resolve('') };

function runPhases(conf: string, kernel: boolean, prefix: string[] = []): Phases {
  const r = spawnSync(
    prefix[0] ?? process.execPath,
    [
      ...prefix.slice(1),
      ...(prefix.length ? [process.execPath] : []),
      fileURLToPath(import.meta.url),
      '--phases',
      conf,
      ...(kernel ? ['--kernel'] : []),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`phases child failed (${r.status ?? r.signal})`);
  // The manager's own log lines share stdout: the phases are the line that is a JSON array.
  const line =
    r.stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('[[')) ?? '[]';
  return JSON.parse(line) as Phases;
}

/** Median per phase over several runs. */
function medianPhases(runs: Phases[]): Phases {
  const first = runs[0] ?? [];
  return first.map(([name], i) => {
    const xs = runs.map((r) => r[i]?.[1] ?? 0).sort((a, b) => a - b);
    return [name, xs[Math.floor(xs.length / 2)] ?? 0];
  });
}

function phaseTable(p: Phases): string {
  const total = p.reduce((s, [, ms]) => s + ms, 0);
  const rows = p.map(([name, ms]) => `| ${name} | ${ms.toFixed(0)} |`);
  return `| phase | ms |\n|---|---|\n${rows.join('\n')}\n| **total** | **${total.toFixed(0)}** |`;
}

/** `bin/lvsd run --check-only` on the host: runs until it fails to open the driver (no ip_vs here). */
function hostEndToEnd(conf: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(repo, 'bin/lvsd'), 'run', '--check-only', '-f', conf], {
    encoding: 'utf8',
    env: { ...process.env, LVSD_RUN_DIR: tmpdir() },
  });
  const ms = performance.now() - t0;
  if (!/IPVS|ip_vs|netlink/i.test(r.stderr))
    throw new Error(`unexpected: ${r.status} ${r.stderr.slice(0, 500)}`);
  return ms;
}

/**
 * The observer, run inside the namespace: accepts on port 80 of every address (the reals are a
 * `local` route), polls /proc/net/ip_vs, prints events as JSON lines with Date.now().
 */
const observerJs = `
const net = require('node:net'); const fs = require('node:fs');
const emit = (o) => process.stdout.write(JSON.stringify({ ...o, at: Date.now() }) + '\\n');
let accepts = 0;
net.createServer({ pauseOnConnect: true }, (c) => { if (accepts++ === 0) emit({ ev: 'probe' }); c.destroy(); })
  .listen({ port: 80, host: '0.0.0.0', backlog: 65535 }, () => emit({ ev: 'listening' }));
let sawServices = false, sawDests = false;
setInterval(() => {
  const t = fs.readFileSync('/proc/net/ip_vs', 'utf8');
  let services = 0, up = 0;
  for (const l of t.split('\\n')) {
    if (l.startsWith('TCP') || l.startsWith('UDP')) services++;
    else if (l.startsWith('  -> ') && !l.startsWith('  -> RemoteAddress') && Number(l.trim().split(/\\s+/)[3]) > 0) up++;
  }
  if (!sawServices && services >= ${N / 10}) { sawServices = true; emit({ ev: 'services', services }); }
  if (!sawDests && up >= ${N}) { sawDests = true; emit({ ev: 'allUp', up, accepts }); }
}, 250);
`;

interface E2e {
  running: number | null;
  services: number | null;
  probe: number | null;
  allUp: number | null;
}

/** One end-to-end run of `root`'s bin/lvsd; `untilAllUp` false: stop once it runs and the first probe/apply are seen. */
async function vmEndToEnd(
  conf: string,
  ns: string,
  dir: string,
  root = repo,
  untilAllUp = true,
): Promise<E2e> {
  const observer = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', observerJs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events = new Map<string, number>();
  let buf = '';
  observer.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const o = JSON.parse(buf.slice(0, i)) as { ev: string; at: number };
      events.set(o.ev, o.at);
      buf = buf.slice(i + 1);
    }
  });
  for (let i = 0; i < 600 && !events.has('listening'); i++) await sleep(100);
  const t0 = Date.now();
  const prof = process.env['LVSD_BENCH_PROF'];
  const node = [process.execPath, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
  const lvsd = spawn(
    'ip',
    ['netns', 'exec', ns, ...node, join(root, 'bin/lvsd'), 'run', '--check-only', '-f', conf],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LVSD_RUN_DIR: dir, LVSD_CONTROL_SOCKET: join(dir, 'lvsd.sock') },
    },
  );
  let running: number | null = null;
  let out = '';
  lvsd.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (running === null && out.includes('checker running')) running = Date.now();
    if (out.length > 100_000) out = out.slice(-10_000);
  });
  lvsd.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const done = (): boolean =>
    untilAllUp ? events.has('allUp') : running !== null && events.has('services') && events.has('probe');
  while (Date.now() - t0 < E2E_S * 1000 && !done()) await sleep(500);
  const exited = new Promise((r) => lvsd.once('exit', r));
  lvsd.kill('SIGTERM');
  const kill = setTimeout(() => lvsd.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(kill);
  observer.kill('SIGKILL');
  const rel = (at: number | null | undefined): number | null => (at == null ? null : (at - t0) / 1000);
  return {
    running: rel(running),
    services: rel(events.get('services')),
    probe: rel(events.get('probe')),
    allUp: rel(events.get('allUp')),
  };
}

function machine(): string {
  return `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, kernel ${release()}, Node ${process.version}`;
}

async function inVm(conf: string, outFile: string): Promise<void> {
  const tag = `lv${process.pid}x`;
  const ns = `${tag}s`;
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-bench-startup-'));
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', ns, 'route', 'add', 'local', '10.20.0.0/16', 'dev', 'lo']);
    const say = (what: string): void =>
      void process.stderr.write(`startup bench: ${what} (${new Date().toISOString()})\n`);
    const cmp = process.argv.indexOf('--compare');
    if (cmp >= 0) {
      await compareInVm(conf, ns, dir, process.argv[cmp + 1] ?? '', outFile, say);
      return;
    }
    say('phases');
    const phases = runPhases(conf, true, ['ip', 'netns', 'exec', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-C']); // what the phases child left
    say('end to end');
    const e2e = await vmEndToEnd(conf, ns, dir);
    say('done');
    const s = (x: number | null): string => (x === null ? `not within ${E2E_S} s` : `${x.toFixed(1)} s`);
    const text = `### Inside the VM (scripts/ipvs-vm.sh, QEMU TCG)

Machine: ${machine()}. Date: ${new Date().toISOString()}. Reals: ${N} (${N / 10} virtual servers).

Phases (one run, \`node dist/bench/startup.js --phases CONF --kernel\` in a namespace):

${phaseTable(phases)}

End to end, \`bin/lvsd run --check-only -f CONF\` (time from spawn):

| event | time |
|---|---|
| log line "checker running" | ${s(e2e.running)} |
| all ${N / 10} services in IPVS (first apply) | ${s(e2e.services)} |
| first probe (first accept) | ${s(e2e.probe)} |
| all ${N} reals in IPVS with weight > 0 | ${s(e2e.allUp)} |
`;
    writeFileSync(outFile, text);
    process.stdout.write(text);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A/B in one VM boot: end-to-end runs of this repo's and `other`'s bin/lvsd, alternating (the order
 * swapped every round), so both see the same VM and host load. Medians per event.
 */
async function compareInVm(
  conf: string,
  ns: string,
  dir: string,
  other: string,
  outFile: string,
  say: (what: string) => void,
): Promise<void> {
  const runs = arg('--e2e-runs', 3);
  const roots = { this: repo, other };
  const got: Record<'this' | 'other', E2e[]> = { this: [], other: [] };
  for (let i = 0; i < runs; i++) {
    const order: Array<'this' | 'other'> = i % 2 === 0 ? ['other', 'this'] : ['this', 'other'];
    for (const which of order) {
      say(`end to end ${i + 1}/${runs}: ${roots[which]}`);
      got[which].push(await vmEndToEnd(conf, ns, dir, roots[which], false));
      execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-C']);
      await sleep(2000);
    }
  }
  const fmt = (xs: E2e[], k: keyof E2e): string => {
    const v = xs.map((x) => x[k]);
    const ok = v.filter((x): x is number => x !== null).sort((a, b) => a - b);
    const med = ok.length === v.length ? `**${(ok[Math.floor(ok.length / 2)] ?? 0).toFixed(1)}**` : 'n/a';
    return `${med} (${v.map((x) => (x === null ? '—' : x.toFixed(1))).join(', ')})`;
  };
  const rows = (['probe', 'services', 'running'] as const).map(
    (k) =>
      `| ${{ probe: 'first probe (first accept)', services: `all ${N / 10} services in IPVS (first apply)`, running: 'log line "checker running"' }[k]} | ${fmt(got.other, k)} | ${fmt(got.this, k)} |`,
  );
  const text = `### End to end in one VM boot, alternating (QEMU TCG)

Machine: ${machine()}. Date: ${new Date().toISOString()}. Reals: ${N}. \`bin/lvsd run --check-only -f CONF\`,
seconds from spawn, median (runs); "before" = ${other}, "after" = ${repo}.

| event | before | after |
|---|---|---|
${rows.join('\n')}
`;
  writeFileSync(outFile, text);
  process.stdout.write(text);
}

async function main(): Promise<void> {
  const pi = process.argv.indexOf('--phases');
  if (pi >= 0) return phasesChild(process.argv[pi + 1] ?? '', process.argv.includes('--kernel'));
  const vi = process.argv.indexOf('--in-vm');
  if (vi >= 0) return inVm(process.argv[vi + 1] ?? '', process.argv[vi + 2] ?? '');
  const work = mkdtempSync(join(tmpdir(), 'lvsd-bench-startup-'));
  try {
    const conf = join(work, 'lvsd.conf');
    writeFileSync(conf, config());
    const lines = readFileSync(conf, 'utf8').split('\n').length - 1;
    const runs: Phases[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(runPhases(conf, false));
    const e2e: number[] = [];
    for (let i = 0; i < RUNS; i++) e2e.push(hostEndToEnd(conf));
    e2e.sort((a, b) => a - b);
    let text = `## ${new Date().toISOString()}: ${N} reals (${lines}-line config)

### On the host

Machine: ${machine()}. Median of ${RUNS} runs of \`node dist/bench/startup.js --phases CONF\` (no kernel part):

${phaseTable(medianPhases(runs))}

\`bin/lvsd run --check-only -f CONF\` until it exits for want of ip_vs (imports + config + spec + driver open):
median ${(e2e[Math.floor(e2e.length / 2)] ?? 0).toFixed(0)} ms (runs: ${e2e.map((x) => x.toFixed(0)).join(', ')}).
`;
    process.stdout.write(text);
    if (!process.argv.includes('--host-only')) {
      const vmOut = join(work, 'lvsd-bench-startup-vm.md');
      execFileSync(
        'bash',
        [
          join(repo, 'scripts/ipvs-vm.sh'),
          '-w',
          work,
          // A CPU profile of the end-to-end worker: LVSD_BENCH_PROF=DIR (a writable host directory).
          ...(process.env['LVSD_BENCH_PROF']
            ? [
                '-w',
                process.env['LVSD_BENCH_PROF'],
                '-e',
                `LVSD_BENCH_PROF=${process.env['LVSD_BENCH_PROF']}`,
              ]
            : []),
          '--',
          process.execPath,
          fileURLToPath(import.meta.url),
          '--reals',
          String(N),
          '--e2e-wait',
          String(E2E_S),
          ...(process.argv.includes('--compare')
            ? [
                '--compare',
                process.argv[process.argv.indexOf('--compare') + 1] ?? '',
                '--e2e-runs',
                String(arg('--e2e-runs', 3)),
              ]
            : []),
          '--in-vm',
          conf,
          vmOut,
        ],
        { stdio: 'inherit', cwd: repo },
      );
      text += '\n' + (existsSync(vmOut) ? readFileSync(vmOut, 'utf8') : '(the VM run wrote no results)\n');
    }
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, 'startup.md');
    const head = `# LVS worker start-up with a large config

How to run: \`npm run build && node dist/bench/startup.js [--reals 10000] [--runs 3] [--host-only]\` (root for
the VM part; it boots scripts/ipvs-vm.sh itself). Newest run first.
`;
    const old = existsSync(file) ? readFileSync(file, 'utf8').replace(head, '') : '';
    writeFileSync(file, `${head}\n${text}${old ? '\n' + old.trimStart() : ''}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
