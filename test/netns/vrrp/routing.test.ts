// SPDX-License-Identifier: Apache-2.0
/**
 * What a MASTER holds besides its VIPs, and the global static entries, on the real kernel against
 * keepalived: the same file is run by keepalived and then by lvsd on the same node, and both must
 * leave the same `ip addr`, `ip -d route show table all`, `ip rule` (IPv4 and IPv6) state:
 * - `virtual_ipaddress_excluded` (dev/scope/label/brd, IPv6), `virtual_routes` (via, dev, src,
 *   metric, table, protocol with no_track, blackhole, IPv6, multipath) and `virtual_rules` (from,
 *   to, fwmark/mask, iif, IPv6, not, unreachable) are all in while the node is MASTER, and all gone
 *   once a higher-priority peer takes over (and after stop);
 * - every VIP and excluded VIP is announced (GARP, unsolicited NA) from its own interface and that
 *   interface's MAC: those with `dev eth1` on eth1 only, the others on eth0 only;
 * - `static_ipaddress`, `static_routes` and `static_rules` are in after start while the node is
 *   BACKUP, and gone after stop;
 * - lvsd only (keepalived has no hitless restart): over a SIGQUIT handover and a new `lvsd run`, the
 *   static entries and the MASTER's excluded VIPs, routes and rules are never taken out.
 * Node n1 runs the daemon under test and has a second interface (eth1, a veth pair in its own
 * namespace); node n2 runs a keepalived peer at priority 200 when n1 must be BACKUP.
 * Needs root and keepalived (scripts/ensure-test-deps.sh netns installs it).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { startLvsdRun } from '../supervised.js';
import {
  createLab,
  sniff,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
  type Frame,
  type Lab,
  type LabNode,
} from '../harness.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

async function setup(): Promise<{ l: Lab; n1: LabNode; n2: LabNode }> {
  lab ??= await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  if (!(await l.exec(n1.ns, ['ip', 'link', 'show', 'eth1'], { allowFail: true })).code) return { l, n1, n2 };
  await l.exec(n1.ns, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
  await l.exec(n1.ns, ['ip', 'link', 'set', 'eth1p', 'up']);
  await l.exec(n1.ns, ['ip', 'link', 'set', 'eth1', 'up']);
  return { l, n1, n2 };
}

/** The node's addresses, routes (all tables, with details) and rules, as text to compare. */
async function kernelState(l: Lab, n: LabNode): Promise<string> {
  const out = async (...argv: string[]) => (await l.exec(n.ns, argv)).stdout;
  const addrs = (await out('ip', '-o', 'addr', 'show'))
    .split('\n')
    .map((line) => line.replace(/\\.*$/, '').trimEnd())
    .join('\n');
  return [
    addrs,
    await out('ip', '-d', 'route', 'show', 'table', 'all'),
    await out('ip', 'rule', 'show'),
    await out('ip', '-6', 'rule', 'show'),
  ].join('\n--\n');
}

type Kind = 'keepalived' | 'lvsd';

function start(kind: Kind, l: Lab, n: LabNode, conf: string): Daemon {
  return kind === 'lvsd' ? startLvsd(l, n, conf) : startKeepalived(l, n, conf);
}

async function stop(d: Daemon): Promise<void> {
  d.kill('SIGTERM');
  await d.exited();
}

/** The VRRP instance of both nodes: the VIP on eth0, v3 at 100 ms (or `advertInt`). */
const instance = (net: number, priority: number, body = '', advertInt = 0.1): string => `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  version 3
  advert_int ${advertInt}
  virtual_ipaddress {
    10.${net}.0.100/32
  }
${body}}
`;

const peerConf = (net: number): string => `global_defs {\n  router_id n2\n}\n${instance(net, 200)}`;

function masterConf(net: number): string {
  return `global_defs {
  router_id n1
}
${instance(net, 100, masterBody(net))}`;
}

/** What n1's instance holds as MASTER besides its VIP. */
function masterBody(net: number): string {
  return `  virtual_ipaddress_excluded {
    10.${net}.0.101/24 brd + label eth0:ex
    10.${net}.1.1/24 dev eth1 scope link
    fd00:${net}::101/64
    fd00:${net}:1::1/64 dev eth1
  }
  virtual_routes {
    10.80.0.0/16 via 10.${net}.0.254
    10.81.0.0/16 dev eth0 src 10.${net}.0.101 metric 10
    blackhole 10.82.0.0/16 table 100
    10.83.0.0/16 via 10.${net}.1.254 dev eth1 table 200 protocol static no_track
    fd00:99::/64 via fd00:${net}::254
    10.84.0.0/16 nexthop via 10.${net}.0.254 dev eth0 nexthop via 10.${net}.1.254 dev eth1 weight 2
  }
  virtual_rules {
    from 10.${net}.0.101/32 table 100 priority 200
    to 10.85.0.0/16 table 200 priority 201
    fwmark 0x10/0xff table 200 priority 202
    iif eth1 table 100 priority 203
    from fd00:${net}::101 table 100 priority 204
    not from 10.86.0.0/16 unreachable priority 205
  }
`;
}

function staticConf(net: number): string {
  return `global_defs {
  router_id n1
}
${staticBlocks(net)}${instance(net, 100)}`;
}

/** The global static entries of n1. */
function staticBlocks(net: number): string {
  return `static_ipaddress {
  10.${net}.1.5/24 dev eth1
  10.${net}.0.50/32 dev eth0 scope link label eth0:st
  fd00:${net}:1::5/64 dev eth1
}
static_routes {
  10.90.0.0/16 via 10.${net}.1.254 dev eth1
  blackhole 10.91.0.0/16
  10.92.0.0/16 dev eth1 table 100 metric 5
  unreachable 10.93.0.0/16 table 101
  fd00:98::/64 via fd00:${net}:1::254 dev eth1
  10.94.0.0/16 via 10.${net}.0.254 or 10.${net}.1.254
}
static_rules {
  from 10.${net}.1.0/24 table 100 priority 100
  to 10.95.0.0/16 lookup 101 priority 101
  fwmark 7 table 100 priority 102
  iif eth1 table 101 priority 103
  from 10.96.0.0/16 prohibit priority 104
  from fd00:${net}:1::/64 table 100 priority 105
  from 10.97.0.0/16 table 100
}
`;
}

/** The MAC address of an interface of a node. */
async function macOf(l: Lab, n: LabNode, ifname: string): Promise<string> {
  const [link] = JSON.parse((await l.exec(n.ns, ['ip', '-j', 'link', 'show', ifname])).stdout) as {
    address: string;
  }[];
  if (!link) throw new Error(`no ${ifname} in ${n.ns}`);
  return link.address;
}

/** A neighbour advertisement without the Solicited flag (ICMPv6 flags byte at frame offset 58). */
const unsolicitedNa = (f: Frame): boolean =>
  f.kind === 'na' && (parseInt(f.hex.slice(116, 118), 16) & 0x40) === 0;

/**
 * The gratuitous ARPs (sender = target) and unsolicited NAs seen on each side since `since`, as
 * `interface address source-MAC`, each once, sorted.
 */
function announcements(on: Record<string, readonly Frame[]>, since: number): string[] {
  const seen = new Set<string>();
  for (const [where, frames] of Object.entries(on))
    for (const f of frames)
      if (f.ts >= since && ((f.kind === 'arp' && f.src === f.target) || unsolicitedNa(f)))
        seen.add(`${where} ${f.target} ${f.srcMac}`);
  return [...seen].sort();
}

test.serial(
  'excluded VIPs, virtual routes and rules: in on MASTER, out on BACKUP, each address announced from its own interface; keepalived and lvsd reach the same kernel state and send the same announcements',
  async (t) => {
    const { l, n1, n2 } = await setup();
    const baseline = await kernelState(l, n1);
    const masterStates: Record<Kind, string> = { keepalived: '', lvsd: '' };
    const announced: Record<Kind, string[]> = { keepalived: [], lvsd: [] };
    const net = l.net;
    const eth1Mac = await macOf(l, n1, 'eth1');
    // what a MASTER must announce: the eth1 addresses on eth1 only, from eth1's MAC
    const wantAnnounced = [
      `eth0 10.${net}.0.100 ${n1.mac}`,
      `eth0 10.${net}.0.101 ${n1.mac}`,
      `eth0 fd00:${net}::101 ${n1.mac}`,
      `eth1 10.${net}.1.1 ${eth1Mac}`,
      `eth1 fd00:${net}:1::1 ${eth1Mac}`,
    ].sort();
    const onEth0 = await sniff(l);
    const onEth1 = await sniff(l, 'eth1p', n1.ns);
    t.teardown(() => {
      onEth0.stop();
      onEth1.stop();
    });
    for (const kind of ['keepalived', 'lvsd'] as const) {
      const since = Date.now();
      const d = start(kind, l, n1, masterConf(l.net));
      try {
        // the first burst covers every address at once; wait for all, then take what came
        await waitFor(
          `${kind} announces every address`,
          () => {
            const seen = announcements({ eth0: onEth0.frames, eth1: onEth1.frames }, since);
            return wantAnnounced.every((w) => seen.includes(w));
          },
          15_000,
        );
        announced[kind] = announcements({ eth0: onEth0.frames, eth1: onEth1.frames }, since);
        // rule 205 is the last thing a new MASTER puts in (VIPs, excluded VIPs, routes, then rules)
        await waitFor(
          `${kind} MASTER with its routes and rules`,
          async () => /^205:/m.test(await kernelState(l, n1)),
          15_000,
        );
        // read again: the dump that saw the last rule read the addresses before it
        masterStates[kind] = await kernelState(l, n1);
        const peer = startKeepalived(l, n2, peerConf(l.net));
        try {
          await waitFor(
            `${kind} back to the kernel state it started from, once BACKUP`,
            async () => (await kernelState(l, n1)) === baseline,
            15_000,
          );
        } finally {
          await stop(d);
          await peer.killHard(); // the peer's own release is not under test
        }
        t.is(await kernelState(l, n1), baseline, `${kind}: nothing left after stop`);
      } finally {
        d.kill('SIGKILL');
      }
    }
    for (const want of [
      /inet 10\.\d+\.0\.101\/24 brd 10\.\d+\.0\.255 scope global secondary eth0:ex/,
      /^unicast 10\.84\.0\.0\/16 table main proto keepalived/m,
      /nexthop via 10\.\d+\.1\.254 dev eth1 weight 2/,
      /^205:\tnot from 10\.86\.0\.0\/16 unreachable proto keepalived/m,
      /table 200 proto static/,
    ])
      t.regex(masterStates.lvsd, want);
    t.is(masterStates.lvsd, masterStates.keepalived);
    // only n1 announces before the peer starts: nothing else, nothing on the wrong interface
    t.deepEqual(announced.lvsd, wantAnnounced);
    t.deepEqual(announced.lvsd, announced.keepalived);
  },
);

test.serial(
  'static addresses, routes and rules: in after start while BACKUP, out after stop; keepalived and lvsd reach the same kernel state',
  async (t) => {
    const { l, n1, n2 } = await setup();
    const baseline = await kernelState(l, n1);
    const peer = startKeepalived(l, n2, peerConf(l.net));
    t.teardown(() => peer.kill('SIGKILL'));
    await waitFor('the peer is MASTER', () => l.hasAddress(n2, `10.${l.net}.0.100`), 15_000);
    const states: Record<Kind, string> = { keepalived: '', lvsd: '' };
    for (const kind of ['keepalived', 'lvsd'] as const) {
      const d = start(kind, l, n1, staticConf(l.net));
      try {
        // the rule without a priority (16384) is the last static entry set
        await waitFor(
          `${kind} static entries`,
          async () => /^16384:/m.test(await kernelState(l, n1)),
          15_000,
        );
        // read again: the dump that saw the last rule read the addresses before it
        states[kind] = await kernelState(l, n1);
        await stop(d);
        t.is(await kernelState(l, n1), baseline, `${kind}: the static entries are gone after stop`);
      } finally {
        d.kill('SIGKILL');
      }
    }
    t.false(states.lvsd.includes(`10.${l.net}.0.100/32`), 'n1 stayed BACKUP');
    for (const want of [
      /inet 10\.\d+\.0\.50\/32 scope link eth0:st/,
      /^blackhole 10\.91\.0\.0\/16 table main proto keepalived/m,
      /^16384:\tfrom 10\.97\.0\.0\/16 lookup 100 proto keepalived/m,
      /^105:\tfrom fd00:/m,
    ])
      t.regex(states.lvsd, want);
    t.is(states.lvsd, states.keepalived);
  },
);

test.serial(
  "hitless restart (lvsd only): the static entries and the MASTER's excluded VIPs, routes and rules stay in the kernel throughout and are owned by the new process",
  async (t) => {
    const { l, n1 } = await setup();
    const baseline = await kernelState(l, n1);
    // advert_int 1: the new process starts well within the Master_Down_Interval, so it adopts
    const conf = `global_defs {\n  router_id n1\n}\n${staticBlocks(l.net)}${instance(l.net, 100, masterBody(l.net), 1)}`;
    const first = startLvsdRun(l, n1, conf);
    t.teardown(() => first.proc.kill('SIGKILL'));
    await waitFor(
      'MASTER with its routes and rules',
      async () => /^205:/m.test(await kernelState(l, n1)),
      15_000,
    );
    const held = await kernelState(l, n1);
    t.regex(held, /^16384:/m, 'the static entries are in too');
    const monitorLog = `${first.runDir}/ip-monitor.log`;
    const monitor = l.spawn(n1.ns, ['ip', 'monitor', 'address', 'route', 'rule'], undefined, monitorLog);
    t.teardown(() => monitor.kill('SIGKILL'));
    const watched = () => (existsSync(monitorLog) ? readFileSync(monitorLog, 'utf8') : '');
    /** Add and delete a marker address: once its deletion shows, the monitor has shown all before. */
    const flushMonitor = async (marker: string) => {
      const gone = new RegExp(`^Deleted .*${marker.replaceAll('.', '\\.')}/32`, 'm');
      // again until it shows: the first time, the monitor may not be listening yet
      await waitFor(
        `ip monitor shows ${marker} deleted`,
        async () => {
          if (gone.test(watched())) return true;
          await l.exec(n1.ns, ['ip', 'addr', 'add', `${marker}/32`, 'dev', 'eth1']);
          await l.exec(n1.ns, ['ip', 'addr', 'del', `${marker}/32`, 'dev', 'eth1']);
          return false;
        },
        5000,
        200,
      );
    };
    await flushMonitor('192.0.2.77');
    const from = watched().length;
    first.proc.kill('SIGQUIT');
    t.is(await first.exited(), 0);
    const second = startLvsdRun(l, n1, conf, {}, first.runDir);
    t.teardown(() => second.proc.kill('SIGKILL'));
    // both processes write the same output.log: the second start line is the new process's
    await waitFor(
      'the new process adopted and started',
      () =>
        /adopting the MASTER state/.test(second.output()) &&
        second.output().split('VRRP engine started').length > 2,
      15_000,
    );
    await flushMonitor('192.0.2.78');
    const deleted = watched()
      .slice(from)
      .split('\n')
      .filter((line) => line.startsWith('Deleted') && !/192\.0\.2\.7[78]/.test(line));
    t.deepEqual(deleted, [], 'nothing was taken out over the restart');
    t.is(await kernelState(l, n1), held);
    second.proc.kill('SIGTERM');
    t.is(await second.exited(), 0);
    const after = await kernelState(l, n1);
    if (after !== baseline)
      t.log(
        second
          .output()
          .split('\n')
          .filter((x) => /route|rule|adopt|static|error/i.test(x))
          .join('\n'),
      );
    t.is(after, baseline, 'the new process removed everything at stop: it owned it all');
  },
);
