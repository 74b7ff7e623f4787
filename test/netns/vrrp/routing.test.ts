// SPDX-License-Identifier: Apache-2.0
/**
 * What a MASTER holds besides its VIPs, and the global static entries, on the real kernel against
 * keepalived: the same file is run by keepalived and then by lvsd on the same node, and both must
 * leave the same `ip addr`, `ip -d route show table all`, `ip rule` (IPv4 and IPv6) state:
 * - `virtual_ipaddress_excluded` (dev/scope/label/brd, IPv6), `virtual_routes` (via, dev, src,
 *   metric, table, protocol with no_track, blackhole, IPv6, multipath) and `virtual_rules` (from,
 *   to, fwmark/mask, iif, IPv6, not, unreachable) are all in while the node is MASTER, and all gone
 *   once a higher-priority peer takes over (and after stop);
 * - `static_ipaddress`, `static_routes` and `static_rules` are in after start while the node is
 *   BACKUP, and gone after stop.
 * Node n1 runs the daemon under test and has a second interface (eth1, a veth pair in its own
 * namespace); node n2 runs a keepalived peer at priority 200 when n1 must be BACKUP.
 * Needs root and keepalived (scripts/ensure-test-deps.sh netns installs it).
 */
import test from 'ava';
import {
  createLab,
  startKeepalived,
  startLvsd,
  waitFor,
  type Daemon,
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

/** The VRRP instance of both nodes: the VIP on eth0, v3 at 100 ms. */
const instance = (net: number, priority: number, body = ''): string => `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  version 3
  advert_int 0.1
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
${instance(
  net,
  100,
  `  virtual_ipaddress_excluded {
    10.${net}.0.101/24 brd + label eth0:ex
    10.${net}.1.1/24 dev eth1 scope link
    fd00:${net}::101/64
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
`,
)}`;
}

function staticConf(net: number): string {
  return `global_defs {
  router_id n1
}
static_ipaddress {
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
${instance(net, 100)}`;
}

test.serial(
  'excluded VIPs, virtual routes and rules: in on MASTER, out on BACKUP; keepalived and lvsd reach the same kernel state',
  async (t) => {
    const { l, n1, n2 } = await setup();
    const baseline = await kernelState(l, n1);
    const masterStates: Record<Kind, string> = { keepalived: '', lvsd: '' };
    for (const kind of ['keepalived', 'lvsd'] as const) {
      const d = start(kind, l, n1, masterConf(l.net));
      try {
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
