// SPDX-License-Identifier: Apache-2.0
/**
 * The scale-out lab (root, inside scripts/ipvs-vm.sh, real ip_vs): three active directors behind a
 * router that learns the VIP from each over BGP and spreads flows over them by ECMP. One bridge
 * (namespace `sw`) joins the router (10.1.0.254), the directors d1..d3 (10.1.0.1..3) and the real
 * servers r1..r3 (10.1.0.11..13, the VIP on `lo`: direct routing, replies go straight to the
 * router); the client (10.9.0.2) hangs off the router. BIRD 2 runs in the router (ECMP: `merge
 * paths`) and in each director, where it exports the routing table lvsd owns (`lvsd_bgp_table`);
 * each director runs the real `bin/lvsd run`. BGP hold time 3 s; `bfd: true` adds BFD on every
 * session. `close()` ends every process started here and deletes every namespace. Traffic stays
 * inside these namespaces.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../helpers/netns.js';
import { createNetns, spawnHttpd, stopHttpd, veth, waitHttp } from '../helpers/netns.js';
import type { Daemon } from '../e2e/ha-lab.js';
import { lvsdBin, sleep, spawnDaemon as spawnGroup } from '../e2e/ha-lab.js';

export const VIP = '10.100.0.1';
export const DIRECTORS = ['d1', 'd2', 'd3'] as const;
export const REALS = ['r1', 'r2', 'r3'] as const;
export type Director = (typeof DIRECTORS)[number];
export type RealName = (typeof REALS)[number];
export const directorAddr = (d: Director): string => `10.1.0.${DIRECTORS.indexOf(d) + 1}`;
export const realAddr = (r: RealName): string => `10.1.0.${REALS.indexOf(r) + 11}`;
/** lvsd's routing table in each director. */
export const TABLE = 100;

export interface BgpLabOptions {
  /** IPVS scheduler of the VIP's service [mh, with mh-port]. */
  scheduler?: 'mh' | 'rr';
  /** BFD on every BGP session [false: the hold timer, 3 s]. */
  bfd?: boolean;
  /** `lvsd_bgp_withdraw_grace` in seconds [2]. */
  graceS?: number;
  /** What the reals serve on port 80: busybox httpd (a CGI names the real) or a line server [httpd]. */
  reals?: 'httpd' | 'lines';
}

export interface BgpLab {
  dir: string;
  ns: Record<'sw' | 'rt' | 'cl' | Director | RealName, Netns>;
  runDir(d: Director): string;
  /** `lvsd run` in a director. */
  startLvsd(d: Director): Daemon;
  lvsd: Partial<Record<Director, Daemon>>;
  /** BIRD's control socket in `rt` or a director. */
  birdSocket(where: 'rt' | Director): string;
  /** The router's next hops for the VIP (director addresses, sorted); [] when it has no route. */
  nextHops(): Promise<string[]>;
  /** `lvsd COMMAND ... --run-dir` of a director (status --json, drain, undrain). */
  lvsdCli(d: Director, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The director dies: its switch port goes down (no FIN, no RST reach the router), then its lvsd and BIRD are SIGKILLed. */
  killDirector(d: Director): Promise<void>;
  sh(name: keyof BgpLab['ns'], script: string): Promise<string>;
  close(): Promise<void>;
}

function birdDirector(d: Director, bfd: boolean): string {
  const me = directorAddr(d);
  return `router id ${me};
protocol device { }
${bfd ? 'protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }' : ''}
# lvsd's routes: one blackhole /32 per announced VIP in table ${TABLE}
protocol kernel lvsd_table {
  ipv4 { import all; export none; };
  kernel table ${TABLE};
  learn;
  scan time 10;
}
protocol bgp uplink {
  local ${me} as 65001;
  neighbor 10.1.0.254 as 65000;
  hold time 3; keepalive time 1; connect retry time 1; connect delay time 1; error wait time 1, 2;
  ${bfd ? 'bfd on;' : ''}
  ipv4 { import none; export where proto = "lvsd_table"; next hop self; };
}
`;
}

function birdRouter(bfd: boolean): string {
  const peers = DIRECTORS.map(
    (d) => `protocol bgp ${d} from director { neighbor ${directorAddr(d)} as 65001; }`,
  ).join('\n');
  return `router id 10.1.0.254;
protocol device { }
${bfd ? 'protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }' : ''}
# BIRD 2.0.12 merges a path that is not the best one into the kernel's ECMP route only at its next
# scan of the kernel table (a withdrawal is merged at once): scan every second
protocol kernel {
  ipv4 { import none; export all; };
  merge paths on;
  scan time 1;
}
template bgp director {
  local 10.1.0.254 as 65000;
  hold time 3; keepalive time 1; connect retry time 1; connect delay time 1; error wait time 1, 2;
  ${bfd ? 'bfd on;' : ''}
  ipv4 { import all; export none; };
}
${peers}
`;
}

function lvsdConf(d: Director, o: Required<BgpLabOptions>, birdSock: string): string {
  const reals = REALS.map(
    (r) => `  real_server ${realAddr(r)} 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }`,
  ).join('\n');
  return `global_defs {
  router_id ${d}
  lvsd_bgp_table ${TABLE}
  lvsd_bgp_withdraw_grace ${o.graceS}
  lvsd_bgp_bird_socket ${birdSock}
  lvsd_sloppy_tcp
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo ${o.scheduler}
${o.scheduler === 'mh' ? '  mh-port\n' : ''}  lb_kind DR
  protocol TCP
  quorum 2
  lvsd_bgp_announce
${reals}
}
`;
}

/** A line server: each line received is answered with the real's name (the bench's long flows). */
const lineServer = `const net = require('node:net');
net.createServer((s) => { s.on('data', () => s.write(process.argv[2] + '\\n')); s.on('error', () => {}); }).listen(80);`;

export async function createBgpLab(options: BgpLabOptions = {}): Promise<BgpLab> {
  const o: Required<BgpLabOptions> = {
    scheduler: options.scheduler ?? 'mh',
    bfd: options.bfd ?? false,
    graceS: options.graceS ?? 2,
    reals: options.reals ?? 'httpd',
  };
  const made: Netns[] = [];
  const procs: ChildProcess[] = [];
  /** busybox httpd servers: each ends with its process group (a connection's child outlives it). */
  const httpds: ChildProcess[] = [];
  const lvsd: Partial<Record<Director, Daemon>> = {};
  const dir = mkdtempSync(join(tmpdir(), `lvbgp${process.pid}-`));
  const close = async (): Promise<void> => {
    await Promise.all(Object.values(lvsd).map((d) => d.stop(5000)));
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(httpds.map((p) => stopHttpd(p)));
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
      rt: mk('rt'),
      cl: mk('cl'),
      d1: mk('d1'),
      d2: mk('d2'),
      d3: mk('d3'),
      r1: mk('r1'),
      r2: mk('r2'),
      r3: mk('r3'),
    };
    const ip = (n: Netns, cmd: string): void => {
      execFileSync('ip', ['-n', n.name, ...cmd.split(' ')]);
    };
    const sysctl = async (n: Netns, ...kv: string[]): Promise<void> => {
      const r = await n.run('sysctl', ['-qw', ...kv]);
      if (r.code !== 0) throw new Error(`sysctl in ${n.name}: ${r.stderr}`);
    };
    ip(ns.sw, 'link add br0 type bridge');
    ip(ns.sw, 'link set br0 up');
    const port = (n: Netns, swName: string, addr: string): void => {
      veth(n, 'eth0', ns.sw, swName);
      ip(ns.sw, `link set ${swName} master br0`);
      ip(n, `addr add ${addr}/24 dev eth0`);
    };
    port(ns.rt, 'prt', '10.1.0.254');
    veth(ns.rt, 'eth1', ns.cl, 'eth0');
    ip(ns.rt, 'addr add 10.9.0.1/24 dev eth1');
    ip(ns.cl, 'addr add 10.9.0.2/24 dev eth0');
    ip(ns.cl, 'route add default via 10.9.0.1');
    // the router: forwards, spreads flows by their ports (L4 hash), accepts the reals' replies from the VIP
    await sysctl(
      ns.rt,
      'net.ipv4.ip_forward=1',
      'net.ipv4.fib_multipath_hash_policy=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      'net.ipv4.conf.eth0.rp_filter=0',
    );
    for (const d of DIRECTORS) {
      port(ns[d], `p${d}`, directorAddr(d));
      ip(ns[d], 'route add default via 10.1.0.254');
      ip(ns[d], `addr add ${VIP}/32 dev lo`);
    }
    for (const r of REALS) {
      port(ns[r], `p${r}`, realAddr(r));
      ip(ns[r], 'route add default via 10.1.0.254');
      ip(ns[r], `addr add ${VIP}/32 dev lo`);
      await sysctl(ns[r], 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
    }
    const birdSocket = (where: 'rt' | Director): string => join(dir, `bird-${where}.ctl`);
    const startBird = (where: 'rt' | Director, conf: string): void => {
      const file = join(dir, `bird-${where}.conf`);
      writeFileSync(file, conf);
      const p = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns[where].name,
          'bird',
          '-f',
          '-c',
          file,
          '-s',
          birdSocket(where),
          '-P',
          join(dir, `bird-${where}.pid`),
        ],
        { stdio: 'ignore' },
      );
      procs.push(p);
      birdProcs.set(where, p);
    };
    const birdProcs = new Map<string, ChildProcess>();
    startBird('rt', birdRouter(o.bfd));
    for (const d of DIRECTORS) startBird(d, birdDirector(d, o.bfd));
    for (const r of REALS) {
      const root = join(dir, r);
      if (o.reals === 'httpd') {
        mkdirSync(join(root, 'cgi-bin'), { recursive: true });
        writeFileSync(join(root, 'index.html'), `${r}\n`);
        const cgi = join(root, 'cgi-bin', 'who');
        writeFileSync(cgi, `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho ${r}\n`);
        chmodSync(cgi, 0o755);
        httpds.push(spawnHttpd(ns[r], root));
        await waitHttp(ns[r], 100, r);
      } else {
        const js = join(dir, 'line-server.cjs');
        writeFileSync(js, lineServer);
        procs.push(spawn('ip', ['netns', 'exec', ns[r].name, process.execPath, js, r], { stdio: 'ignore' }));
      }
    }
    const lab: BgpLab = {
      dir,
      ns,
      lvsd,
      birdSocket,
      runDir: (d) => join(dir, `run-${d}`),
      startLvsd(d) {
        const runDir = join(dir, `run-${d}`);
        mkdirSync(runDir, { recursive: true });
        const conf = join(dir, `lvsd-${d}.conf`);
        writeFileSync(conf, lvsdConf(d, o, birdSocket(d)));
        const daemon = spawnGroup(d, ns[d].name, [process.execPath, lvsdBin, 'run', '-f', conf], {
          LVSD_RUN_DIR: runDir,
          LVSD_STATE_DIR: runDir,
          LVSD_CONTROL_SOCKET: join(runDir, 'lvsd.sock'),
        });
        lvsd[d] = daemon;
        return daemon;
      },
      async nextHops() {
        const r = await ns.rt.run('ip', ['-4', 'route', 'show', `${VIP}/32`]);
        const hops = [...r.stdout.matchAll(/via (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? '');
        return hops.sort();
      },
      async lvsdCli(d, args) {
        return ns[d].run(process.execPath, [lvsdBin, ...args, '--run-dir', join(dir, `run-${d}`)]);
      },
      async killDirector(d) {
        ip(ns.sw, `link set p${d} down`);
        await lvsd[d]?.killGroup();
        const b = birdProcs.get(d);
        if (b && b.exitCode === null && b.signalCode === null) {
          const gone = new Promise((res) => b.once('exit', res));
          b.kill('SIGKILL');
          await gone;
        }
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

export { sleep };
