// SPDX-License-Identifier: Apache-2.0
/**
 * The health-check capacity lab of bench/checks.ts (in the VM) and bench/checks-host.ts (on the
 * host): a checker namespace and a listener namespace joined by a veth pair; 10.20.0.0/16 routed from
 * the checker to the listener, where a `local` route makes every address of it the listener's; one
 * epoll listener (bench/tools/check-listener.c) answering on all of them and printing, each second,
 * the accepts of that second and the per-address gaps between two accepts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** One line of the listener: accepts in that second, per-address gaps (ms), addresses seen. */
export interface ListenerSecond {
  accepts: number;
  p50: number;
  p99: number;
  max: number;
  seen: number;
}

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

/**
 * Make the two namespaces (`checker`, `listener`) and the veth pair (`vethChecker`, `vethListener`),
 * with the routes and the sysctls the lab needs (ephemeral ports for ~10,000 connects a second).
 */
export function createListenerNamespaces(
  checker: string,
  listener: string,
  vethChecker: string,
  vethListener: string,
): void {
  for (const ns of [checker, listener]) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  sh('ip', [
    'link',
    'add',
    vethChecker,
    'netns',
    checker,
    'type',
    'veth',
    'peer',
    'name',
    vethListener,
    'netns',
    listener,
  ]);
  sh('ip', ['-n', checker, 'addr', 'add', '10.19.0.1/24', 'dev', vethChecker]);
  sh('ip', ['-n', listener, 'addr', 'add', '10.19.0.2/24', 'dev', vethListener]);
  sh('ip', ['-n', checker, 'link', 'set', vethChecker, 'up']);
  sh('ip', ['-n', listener, 'link', 'set', vethListener, 'up']);
  sh('ip', ['-n', checker, 'route', 'add', '10.20.0.0/16', 'via', '10.19.0.2']);
  sh('ip', ['-n', listener, 'route', 'add', 'local', '10.20.0.0/16', 'dev', 'lo']);
  for (const ns of [checker, listener])
    sh('ip', [
      'netns',
      'exec',
      ns,
      'sysctl',
      '-qw',
      'net.ipv4.ip_local_port_range=1024 65000',
      'net.ipv4.tcp_tw_reuse=1',
    ]);
}

/** Start the listener binary in namespace `ns`; its per-second lines are appended to `counts`. */
export function startListener(ns: string, binary: string): { proc: ChildProcess; counts: ListenerSecond[] } {
  const counts: ListenerSecond[] = [];
  const proc = spawn('ip', ['netns', 'exec', ns, binary], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const [accepts = 0, p50 = 0, p99 = 0, max = 0, seen = 0] = buf.slice(0, i).split(' ').map(Number);
      counts.push({ accepts, p50, p99, max, seen });
      buf = buf.slice(i + 1);
    }
  });
  return { proc, counts };
}

/** The lab's i-th real server address (in the listener's 10.20.0.0/16). */
export function labRealAddress(i: number): string {
  return `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/**
 * The lab's configuration, the same for lvsd and keepalived: `reals` reals as reals/10 virtual
 * servers (10.30.x.y:80, rr, NAT) x 10, TCP_CHECK, `delay_loop 1`, `connect_timeout 2`, and with
 * `alpha` each real starts down.
 */
export function labCheckConfig(reals: number, alpha: boolean): string {
  const out: string[] = [];
  for (let v = 0; v < reals / 10; v++) {
    out.push(`virtual_server 10.30.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {`);
    out.push('  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP');
    if (alpha) out.push('  alpha');
    for (let r = 0; r < 10; r++)
      out.push(
        `  real_server ${labRealAddress(v * 10 + r)} 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 2\n    }\n  }`,
      );
    out.push('}');
  }
  return out.join('\n') + '\n';
}
