// SPDX-License-Identifier: Apache-2.0
/**
 * Reusable network-namespace lab for root tests: a "switch" namespace holding bridge br0 (STP off,
 * forward_delay 0, multicast snooping off) and N node namespaces, each with eth0 (a veth whose peer
 * is a bridge port), a fixed MAC, 10.<net>.0.<n>/24, fd00:<net>::<n>/64 and DAD disabled.
 * Namespace names carry a unique prefix (`lv<pid36><seq>x`); `destroy()` deletes them all and is
 * safe to call twice (use it in `t.teardown` / `test.after.always`). Traffic stays inside.
 * Also: run commands in a namespace, start lvsd / keepalived there, sniff frames on the bridge
 * (test/netns/sniffer.ts), and poll for an address.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
let seq = 0;

/** The repository root (from dist/test/netns/harness.js or test/netns/harness.ts). */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repo root not found');
})();

export interface LabNode {
  readonly name: string;
  readonly ns: string;
  readonly ifname: 'eth0';
  /** Bridge-side veth in the switch namespace (down = partition this node). */
  readonly port: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** Link-local address of eth0 (filled once the link is up). */
  ipv6ll: string;
  readonly mac: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Lab {
  readonly prefix: string;
  readonly net: number;
  readonly switchNs: string;
  readonly nodes: LabNode[];
  readonly dir: string;
  exec(ns: string, argv: readonly string[], opts?: { allowFail?: boolean }): Promise<ExecResult>;
  /** Spawn a long-running process in a namespace (killed by destroy()). */
  spawn(ns: string, argv: readonly string[], env?: Record<string, string>, logFile?: string): ChildProcess;
  /** Addresses on eth0 of a node (`ip -o addr show dev eth0`). */
  addresses(node: LabNode): Promise<string[]>;
  hasAddress(node: LabNode, addr: string): Promise<boolean>;
  /** Bridge port link up/down (the node's eth0 loses carrier: lvsd goes FAULT). */
  setPort(node: LabNode, up: boolean): Promise<void>;
  /** Stop forwarding on the node's bridge port while its carrier stays up (a partition). */
  partition(node: LabNode, cut: boolean): Promise<void>;
  destroy(): Promise<void>;
}

async function sh(argv: readonly string[], allowFail = false): Promise<ExecResult> {
  try {
    const { stdout, stderr } = await execFileP(argv[0] ?? 'false', argv.slice(1), { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    if (allowFail)
      return {
        code: typeof err.code === 'number' ? err.code : 1,
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? '',
      };
    throw new Error(`${argv.join(' ')}: ${err.stderr || err.message}`);
  }
}

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes (then throw `what`). */
type Falsy = false | undefined | null | 0 | '';
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | Falsy> | T | Falsy,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Create the switch + `n` nodes. `net` picks 10.<net>.0.0/24 (default derived from the pid). */
export async function createLab(n: number, opts: { net?: number } = {}): Promise<Lab> {
  const id = `${(process.pid % 46656).toString(36)}${(seq++).toString(36)}`;
  const prefix = `lv${id}x`;
  const net = opts.net ?? 100 + ((process.pid + seq * 7) % 150);
  const switchNs = `${prefix}sw`;
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const children = new Set<ChildProcess>();
  const nodes: LabNode[] = [];
  const namespaces: string[] = [];
  let destroyed = false;

  const lab: Lab = {
    prefix,
    net,
    switchNs,
    nodes,
    dir,
    exec: (ns, argv, o) => sh(['ip', 'netns', 'exec', ns, ...argv], o?.allowFail ?? false),
    spawn(ns, argv, env, logFile) {
      // a daemon's output goes to a file: a pipe that this (busy) test process drains late would
      // block the daemon's synchronous stdout writes and distort its timing
      const out = logFile === undefined ? 'pipe' : openSync(logFile, 'a');
      const c = spawn('ip', ['netns', 'exec', ns, ...argv], {
        stdio: ['ignore', out, out],
        env: { ...process.env, ...(env ?? {}) },
        detached: false,
      });
      if (typeof out === 'number') closeSync(out);
      children.add(c);
      c.on('exit', () => children.delete(c));
      return c;
    },
    async addresses(node) {
      const r = await sh(['ip', '-n', node.ns, '-o', 'addr', 'show', 'dev', 'eth0']);
      return r.stdout
        .split('\n')
        .map((l) => /inet6? (\S+)/.exec(l)?.[1])
        .filter((x): x is string => !!x);
    },
    async hasAddress(node, addr) {
      return (await lab.addresses(node)).some((a) => a.split('/')[0] === addr);
    },
    async setPort(node, up) {
      await sh(['ip', '-n', switchNs, 'link', 'set', node.port, up ? 'up' : 'down']);
    },
    async partition(node, cut) {
      // bridge port state 0 = disabled, 3 = forwarding: no frames pass, but the carrier stays up
      await sh(['bridge', '-n', switchNs, 'link', 'set', 'dev', node.port, 'state', cut ? '0' : '3']);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const c of children) {
        try {
          c.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      // processes inside the namespaces that outlived their `ip netns exec` parent
      for (const ns of namespaces) {
        const pids = await sh(['ip', 'netns', 'pids', ns], true);
        for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            // exited meanwhile
          }
        }
      }
      for (const ns of namespaces) await sh(['ip', 'netns', 'del', ns], true);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await sh(['ip', 'netns', 'add', switchNs]);
    namespaces.push(switchNs);
    const inSw = (...a: string[]) => sh(['ip', '-n', switchNs, ...a]);
    await inSw(
      'link',
      'add',
      'br0',
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
      'mcast_snooping',
      '0',
    );
    await inSw('link', 'set', 'br0', 'up');
    await inSw('link', 'set', 'lo', 'up');
    for (let i = 1; i <= n; i++) {
      const ns = `${prefix}n${i}`;
      const port = `${prefix}p${i}`;
      const mac = `02:${net.toString(16).padStart(2, '0')}:00:00:00:${i.toString(16).padStart(2, '0')}`;
      await sh(['ip', 'netns', 'add', ns]);
      namespaces.push(ns);
      await sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0']);
      await sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0']);
      await sh([
        'ip',
        'link',
        'add',
        port,
        'netns',
        switchNs,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      ]);
      await inSw('link', 'set', port, 'master', 'br0');
      await inSw('link', 'set', port, 'up');
      await sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'address', mac]);
      await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      await sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      const node: LabNode = {
        name: `n${i}`,
        ns,
        ifname: 'eth0',
        port,
        ipv4: `10.${net}.0.${i}`,
        ipv6: `fd00:${net}::${i}`,
        ipv6ll: '',
        mac,
      };
      await sh(['ip', '-n', ns, 'addr', 'add', `${node.ipv4}/24`, 'dev', 'eth0']);
      await sh(['ip', '-n', ns, 'addr', 'add', `${node.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      nodes.push(node);
    }
    for (const node of nodes) {
      node.ipv6ll = await waitFor(`link-local on ${node.ns}`, async (): Promise<string | false> => {
        const r = await sh(['ip', '-n', node.ns, '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
        const m = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(r.stdout);
        return m?.[1] !== undefined && !/tentative/.test(r.stdout) ? m[1] : false;
      });
    }
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/** A captured frame, classified (from the sniffer's JSON lines). */
export interface Frame {
  ts: number;
  /** `ah4`: an IPv4 VRRP advert in IPsec AH (protocol 51, `auth_type AH`). */
  kind: 'vrrp4' | 'vrrp6' | 'ah4' | 'arp' | 'na' | 'other';
  srcMac: string;
  /** VRRP: source IP, vrid, priority; ARP/NA: the announced address. */
  src?: string;
  vrid?: number;
  priority?: number;
  target?: string;
  /** VRRP: the IP TTL / hop limit. */
  ttl?: number;
  hex: string;
}

export interface Sniffer {
  frames: Frame[];
  stop(): void;
}

/**
 * Capture every frame on br0 in the switch namespace (kernel timestamps, realtime ms), or on another
 * interface of another namespace.
 */
export async function sniff(lab: Lab, ifname = 'br0', ns = lab.switchNs): Promise<Sniffer> {
  const script = join(repoRoot, 'dist', 'test', 'netns', 'sniffer.js');
  const c = lab.spawn(ns, [process.execPath, script, ifname]);
  const frames: Frame[] = [];
  let buf = '';
  let ready = false;
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'ready') ready = true;
      else if (line) frames.push(JSON.parse(line) as Frame);
    }
  });
  await waitFor('sniffer ready', () => ready, 5000);
  return { frames, stop: () => c.kill('SIGKILL') };
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly node: LabNode;
  readonly runDir: string;
  output(): string;
  /** SIGUSR1 → read vrrp-stats.json (lvsd only). */
  stats(): Promise<LvsdStats>;
  kill(signal: NodeJS.Signals): void;
  exited(): Promise<number | null>;
}

export interface LvsdStats {
  instances: {
    name: string;
    state: string;
    effectivePriority: number;
    stats: { drops: Record<string, number> } & Record<string, unknown>;
  }[];
  sockets: Record<string, { drops: Record<string, number> }>;
  timerLateness: { count: number; maxMs: number; p99Ms: number };
}

function daemonOf(lab: Lab, node: LabNode, proc: ChildProcess, runDir: string): Daemon {
  const logFile = join(runDir, 'output.log');
  const readOut = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    node,
    runDir,
    output: readOut,
    async stats() {
      const f = join(runDir, 'vrrp-stats.json');
      rmSync(f, { force: true });
      // SIGUSR1 before lvsd installed its handler would kill it: wait for its pidfile
      await waitFor('lvsd pidfile', () => existsSync(join(runDir, 'vrrp.pid')), 10_000);
      // before the engine is up SIGUSR1 dumps nothing: ask again until a dump appears
      await waitFor(
        'stats dump',
        async () => {
          proc.kill('SIGUSR1');
          for (let i = 0; i < 10 && !existsSync(f); i++) await sleep(20);
          return existsSync(f);
        },
        10_000,
      );
      await sleep(20);
      return JSON.parse(readFileSync(f, 'utf8')) as LvsdStats;
    },
    kill: (s) => proc.kill(s),
    exited: () => exit,
  };
}

/**
 * Start `lvsd run --vrrp-only` in a node. `proc` is the `ip netns exec` wrapper; since it execs,
 * its pid is lvsd's own, so signals reach lvsd directly.
 */
export function startLvsd(
  lab: Lab,
  node: LabNode,
  conf: string,
  /** Another built checkout's bin/lvsd (benchmarks compare two builds) [this one's]. */
  bin = join(repoRoot, 'bin', 'lvsd'),
): Daemon {
  const runDir = mkdtempSync(join(lab.dir, `${node.name}-lvsd-`));
  const file = join(runDir, 'lvsd.conf');
  writeFileSync(file, conf);
  const proc = lab.spawn(
    node.ns,
    [process.execPath, bin, 'run', '--vrrp-only', '-f', file],
    { LVSD_RUN_DIR: runDir },
    join(runDir, 'output.log'),
  );
  return daemonOf(lab, node, proc, runDir);
}

/**
 * keepalived's command line as the netns tests and the benches run it: VRRP only (or, with `only`
 * `-C`, the checker and IPVS only), in the foreground, logging to the console, its pid files (k.pid,
 * v.pid, c.pid) in `runDir`; `configId` its `-i`.
 */
export function keepalivedArgv(
  file: string,
  runDir: string,
  configId?: string,
  only: '--vrrp' | '-C' = '--vrrp',
): string[] {
  const pid = (x: string): string => join(runDir, `${x}.pid`);
  return [
    'keepalived',
    '-n',
    '-l',
    '-D',
    only,
    '-f',
    file,
    '-p',
    pid('k'),
    '-r',
    pid('v'),
    '-c',
    pid('c'),
    ...(configId === undefined ? [] : ['-i', configId]),
  ];
}

/** Start keepalived (VRRP only, foreground, logging to the console) in a node. */
export function startKeepalived(
  lab: Lab,
  node: LabNode,
  conf: string,
): Daemon & { killHard(): Promise<void> } {
  const runDir = mkdtempSync(join(lab.dir, `${node.name}-ka-`));
  const file = join(runDir, 'keepalived.conf');
  writeFileSync(file, conf);
  const vpid = join(runDir, 'v.pid');
  const proc = lab.spawn(
    node.ns,
    keepalivedArgv(file, runDir, node.name),
    undefined,
    join(runDir, 'output.log'),
  );
  const d = daemonOf(lab, node, proc, runDir);
  return {
    ...d,
    /** SIGKILL as in keepalived-measured.md: STOP parent, KILL VRRP child, KILL parent. */
    async killHard() {
      const child = existsSync(vpid) ? Number(readFileSync(vpid, 'utf8').trim()) : 0;
      proc.kill('SIGSTOP');
      if (child > 0) {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      proc.kill('SIGKILL');
      await d.exited();
    },
  };
}
