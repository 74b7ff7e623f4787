// SPDX-License-Identifier: Apache-2.0
/**
 * End-to-end HA lab (root, inside scripts/ipvs-vm.sh): the LVS guide's NAT lab with two directors.
 * A switch namespace holds two bridges: `brx` (client, lvs1 eth0, lvs2 eth0) and `bri` (lvs1 eth1,
 * lvs2 eth1, rs1, rs2). Real servers are busybox httpd with a CGI that names the server. Each
 * director runs the real `bin/lvsd run` (supervisor + workers) in its own process group, so a test
 * can SIGKILL a whole daemon. `close()` kills everything started here and deletes every namespace,
 * even after a failure. Traffic stays inside these namespaces.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../helpers/netns.js';
import { createNetns, spawnHttpd, stopHttpd, veth, waitHttp } from '../helpers/netns.js';

export const lvsdBin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));
export const labConf = fileURLToPath(new URL('../../../../etc/lab/e2e-nat.conf', import.meta.url));

export const VIP = '172.25.254.100';
export const GW = '192.168.0.100';
export const REALS = ['192.168.0.101', '192.168.0.102'] as const;

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** One `lvsd run` (supervisor) in a director namespace, in its own process group. */
export interface Daemon {
  readonly id: string;
  proc: ChildProcess;
  /** Everything the supervisor and its workers wrote (stdout and stderr). */
  output(): string;
  /** SIGTERM the supervisor, SIGKILL the group after `timeoutMs`; resolves when it has exited. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL the whole process group (supervisor and workers) at once. */
  killGroup(): Promise<void>;
  running(): boolean;
}

export interface HaLab {
  dir: string;
  ns: Record<'sw' | 'client' | 'lvs1' | 'lvs2' | 'rs1' | 'rs2', Netns>;
  /** The config file the directors run (a copy of etc/lab/e2e-nat.conf or `conf` that tests may rewrite). */
  conf: string;
  runDir(id: string): string;
  /** `lvsd run` on the lab's config as `id`, with `args` after it (e.g. `--metrics ADDR:PORT`). */
  startDaemon(id: 'lvs1' | 'lvs2', args?: readonly string[]): Daemon;
  /** keepalived (VRRP + checker) on the same config in a director namespace, in its own process group. */
  startKeepalived(id: 'lvs1' | 'lvs2'): Daemon;
  startHttp(rs: 'rs1' | 'rs2'): Promise<void>;
  stopHttp(rs: 'rs1' | 'rs2'): Promise<void>;
  sh(name: keyof HaLab['ns'], script: string): Promise<string>;
  close(): Promise<void>;
}

/** `conf`: the file the directors run (copied into the lab's directory); default etc/lab/e2e-nat.conf. */
export async function createHaLab(options: { conf?: string } = {}): Promise<HaLab> {
  const made: Netns[] = [];
  const daemons: Daemon[] = [];
  const servers = new Map<string, ChildProcess>();
  const dir = mkdtempSync(join(tmpdir(), `lve2e${process.pid}-`));
  const close = async (): Promise<void> => {
    await Promise.all(daemons.map((d) => d.stop(5000)));
    // each server with its per-connection children, gone before the lab says it is closed
    const stopping = [...servers.values()].map((s) => stopHttpd(s));
    servers.clear();
    await Promise.all(stopping);
    for (const n of made) n.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const mk = (tag: string): Netns => {
      const n = createNetns(tag);
      made.push(n);
      return n;
    };
    const ns = {
      sw: mk('sw'),
      client: mk('cl'),
      lvs1: mk('d1'),
      lvs2: mk('d2'),
      rs1: mk('r1'),
      rs2: mk('r2'),
    };
    const ip = (n: Netns, cmd: string): void => {
      execFileSync('ip', ['-n', n.name, ...cmd.split(' ')]);
    };
    ip(ns.sw, 'link add brx type bridge');
    ip(ns.sw, 'link add bri type bridge');
    ip(ns.sw, 'link set brx up');
    ip(ns.sw, 'link set bri up');
    const port = (n: Netns, ifname: string, swName: string, bridge: string, addr: string): void => {
      veth(n, ifname, ns.sw, swName);
      ip(ns.sw, `link set ${swName} master ${bridge}`);
      ip(n, `addr add ${addr} dev ${ifname}`);
    };
    port(ns.client, 'eth0', 'pc', 'brx', '172.25.254.10/24');
    port(ns.lvs1, 'eth0', 'p1x', 'brx', '172.25.254.1/24');
    port(ns.lvs2, 'eth0', 'p2x', 'brx', '172.25.254.2/24');
    port(ns.lvs1, 'eth1', 'p1i', 'bri', '192.168.0.1/24');
    port(ns.lvs2, 'eth1', 'p2i', 'bri', '192.168.0.2/24');
    port(ns.rs1, 'eth0', 'pr1', 'bri', `${REALS[0]}/24`);
    port(ns.rs2, 'eth0', 'pr2', 'bri', `${REALS[1]}/24`);
    for (const r of [ns.rs1, ns.rs2]) ip(r, `route add default via ${GW}`);
    for (const d of [ns.lvs1, ns.lvs2]) {
      const out = await d.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      if (out.code !== 0) throw new Error(`sysctl in ${d.name}: ${out.stderr}`);
    }
    const conf = join(dir, 'lvsd.conf');
    writeFileSync(conf, readFileSync(options.conf ?? labConf, 'utf8'));
    for (const [i, rs] of (['rs1', 'rs2'] as const).entries()) {
      const root = join(dir, rs);
      mkdirSync(join(root, 'cgi-bin'), { recursive: true });
      writeFileSync(join(root, 'index.html'), `${rs.toUpperCase()}\n`);
      const cgi = join(root, 'cgi-bin', 'who');
      writeFileSync(cgi, `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho "RS${i + 1}"\n`);
      chmodSync(cgi, 0o755);
    }
    const lab: HaLab = {
      dir,
      ns,
      conf,
      runDir: (id) => join(dir, `run-${id}`),
      startDaemon(id, args = []) {
        const runDir = join(dir, `run-${id}`);
        mkdirSync(runDir, { recursive: true });
        // `ip netns exec` (not nsenter): the daemon reads /sys/class/net, which must be the namespace's.
        // It execs node, so the pid (and the process group, detached) is the supervisor's.
        const d = spawnDaemon(
          id,
          ns[id].name,
          [process.execPath, lvsdBin, 'run', '-f', conf, '--config-id', id, ...args],
          {
            LVSD_RUN_DIR: runDir,
            LVSD_STATE_DIR: runDir,
            LVSD_CONTROL_SOCKET: join(runDir, 'lvsd.sock'),
          },
        );
        daemons.push(d);
        return d;
      },
      startKeepalived(id) {
        const pid = (x: string): string => join(dir, `ka-${id}-${x}.pid`);
        const d = spawnDaemon(id, ns[id].name, [
          ...['keepalived', '-n', '-l', '-D', '-f', conf, '-i', id],
          ...['-p', pid('p'), '-c', pid('c'), '-r', pid('r'), '-b', pid('b')],
        ]);
        daemons.push(d);
        return d;
      },
      async startHttp(rs) {
        servers.set(rs, spawnHttpd(ns[rs], join(dir, rs)));
        await waitHttp(ns[rs], 100, rs);
      },
      async stopHttp(rs) {
        const p = servers.get(rs);
        servers.delete(rs);
        if (p) await stopHttpd(p);
      },
      async sh(name, script) {
        const r = await ns[name].run('sh', ['-ec', script]);
        if (r.code !== 0) throw new Error(`[${name}] ${script}\n=> exit ${r.code}: ${r.stderr}`);
        return r.stdout;
      },
      close,
    };
    return lab;
  } catch (e) {
    await close();
    throw e;
  }
}

/** A daemon started with `ip netns exec NS ARGV...` in its own process group (detached). */
export function spawnDaemon(
  id: string,
  netns: string,
  argv: string[],
  env: Record<string, string> = {},
): Daemon {
  const proc = spawn('ip', ['netns', 'exec', netns, ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const group = (sig: NodeJS.Signals): void => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, sig);
    } catch {
      // group already gone
    }
  };
  return {
    id,
    proc,
    output: () => out,
    running,
    async stop(timeoutMs = 15_000) {
      if (running()) proc.kill('SIGTERM');
      const timer = setTimeout(() => group('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      group('SIGKILL'); // workers orphaned by a killed supervisor
    },
    async killGroup() {
      group('SIGKILL');
      await exited;
    },
  };
}

/** `ipvsadm -Sn` lines of a namespace, sorted. */
export async function table(ns: Netns): Promise<string[]> {
  return (await ns.ipvsadm('-Sn'))
    .split('\n')
    .filter((l) => l.length > 0)
    .sort();
}

/** Poll `probe` until `ok(value)`; returns the elapsed ms, or throws with the last value. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<number> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < timeoutMs) {
    last = await probe();
    if (ok(last)) return Date.now() - start;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Does the namespace hold ADDR on one of its interfaces? */
export async function holds(ns: Netns, addr: string): Promise<boolean> {
  const r = await ns.run('ip', ['-o', '-4', 'addr', 'show']);
  return r.stdout.split('\n').some((l) => l.includes(` ${addr}/`));
}

export interface VrrpView {
  pid: number;
  instances: Array<{ name: string; state: string; transitions: number }>;
}

/** Ask the VRRP worker for its stats dump (SIGUSR1 → vrrp-stats.json) and read states + transitions. */
export async function vrrpView(runDir: string, timeoutMs = 10_000): Promise<VrrpView> {
  const end = Date.now() + timeoutMs;
  const file = join(runDir, 'vrrp-stats.json');
  let lastErr = '';
  while (Date.now() < end) {
    try {
      const pid = Number(readFileSync(join(runDir, 'vrrp.pid'), 'utf8').trim());
      rmSync(file, { force: true });
      process.kill(pid, 'SIGUSR1');
      for (let i = 0; i < 40; i++) {
        await sleep(50);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        const j = JSON.parse(text) as { pid: number; instances: VrrpView['instances'] };
        return {
          pid: j.pid,
          instances: j.instances.map((i) => ({ name: i.name, state: i.state, transitions: i.transitions })),
        };
      }
      lastErr = 'no dump written';
    } catch (e) {
      lastErr = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`no VRRP stats from ${runDir}: ${lastErr}`);
}

/** The pid of the supervisor's child whose command line contains `flag` (e.g. --check-only). */
export function workerPid(supervisorPid: number, flag: string): number | undefined {
  let kids: string;
  try {
    kids = readFileSync(`/proc/${supervisorPid}/task/${supervisorPid}/children`, 'utf8');
  } catch {
    return undefined;
  }
  for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
    try {
      if (readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').includes(flag)) return Number(k);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/** Which director holds both VIPs (`both`/`none` when they are split or missing). */
export async function masterOf(lab: HaLab): Promise<'lvs1' | 'lvs2' | 'none' | 'both'> {
  const has = async (d: 'lvs1' | 'lvs2'): Promise<[boolean, boolean]> => [
    await holds(lab.ns[d], VIP),
    await holds(lab.ns[d], GW),
  ];
  const [v1, g1] = await has('lvs1');
  const [v2, g2] = await has('lvs2');
  if (v1 && g1 && !v2 && !g2) return 'lvs1';
  if (v2 && g2 && !v1 && !g1) return 'lvs2';
  return (v1 || g1) && (v2 || g2) ? 'both' : 'none';
}

export interface ClientRequest {
  /** Wall-clock ms when the request was sent. */
  at: number;
  /** The body (RS1 / RS2), or FAIL. */
  body: string;
}

/**
 * A client in the client namespace: one HTTP GET of the VIP's /cgi-bin/who every 50 ms, a new
 * connection each (one node process: cheaper per request than a curl spawn in the emulated VM),
 * 1 s timeout, bounded by `maxRequests` and `maxMs`. Each request is a line of a log file.
 */
export function startClientLoop(
  lab: HaLab,
  opts: { maxRequests?: number; maxMs?: number } = {},
): { requests(): ClientRequest[]; stop(): Promise<void> } {
  const stopFile = join(lab.dir, `stop-client-${process.hrtime.bigint()}`);
  const logFile = `${stopFile}.log`;
  const client = [
    "const http = require('node:http'), fs = require('node:fs');",
    `const end = Date.now() + ${opts.maxMs ?? 120_000}; let n = 0;`,
    'const once = () => new Promise((res) => {',
    `  const req = http.get({ host: '${VIP}', path: '/cgi-bin/who', agent: false, timeout: 1000 }, (r) => {`,
    "    let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => res(b.trim() || 'EMPTY'));",
    "    r.on('error', () => res('FAIL'));",
    '  });',
    "  req.on('timeout', () => req.destroy(new Error('timeout')));",
    "  req.on('error', () => res('FAIL'));",
    '});',
    '(async () => {',
    `  while (n++ < ${opts.maxRequests ?? 3000} && Date.now() < end && !fs.existsSync('${stopFile}')) {`,
    '    const t0 = Date.now();',
    '    const body = await once();',
    `    fs.appendFileSync('${logFile}', t0 + ' ' + body + '\\n');`,
    '    await new Promise((r) => setTimeout(r, 50));',
    '  }',
    '})();',
  ].join('\n');
  const loop = lab.ns.client.run(process.execPath, ['-e', client]);
  return {
    requests() {
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l.includes(' '))
        .map((l) => ({ at: Number(l.slice(0, l.indexOf(' '))), body: l.slice(l.indexOf(' ') + 1).trim() }));
    },
    async stop() {
      writeFileSync(stopFile, '');
      await loop;
    },
  };
}
