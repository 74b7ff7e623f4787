// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): the seed guide's NAT and DR labs as network
// namespaces, the director programmed by the real `lvsd ipvs` command (bin/lvsd), real HTTP traffic
// from a client namespace; rr and wrr distributions read from which real server answered.
import test from 'ava';
import { formatConnections } from '../../../src/ipvs/format.js';
import type { Lab } from './labs-net.js';
import { createLab, tally, veth } from './labs-net.js';

/** The expire column (mm:ss) can tick between two reads; everything else must match. */
const maskExpire = (s: string): string => s.replace(/^(\S+\s+)\d\d:\d\d/gm, '$1mm:ss');

test.serial(
  'NAT lab: client -> VIP 172.25.254.100 -> reals 192.168.0.101/102 (gateway = director)',
  async (t) => {
    const lab: Lab = createLab(['client', 'director', 'rs1', 'rs2']);
    t.teardown(() => lab.close());
    const [client, dir, rs1, rs2] = ['client', 'director', 'rs1', 'rs2'].map((n) => lab.ns(n)) as [
      ReturnType<Lab['ns']>,
      ReturnType<Lab['ns']>,
      ReturnType<Lab['ns']>,
      ReturnType<Lab['ns']>,
    ];
    veth(client, 'eth0', dir, 'ext0');
    await lab.sh('client', 'ip addr add 172.25.254.10/24 dev eth0');
    await lab.sh(
      'director',
      'ip addr add 172.25.254.100/24 dev ext0; ip link add br0 type bridge; ip link set br0 up; ' +
        'ip addr add 192.168.0.100/24 dev br0; sysctl -qw net.ipv4.ip_forward=1',
    );
    for (const [i, rs] of [rs1, rs2].entries()) {
      veth(rs, 'eth0', dir, `int${i + 1}`);
      await lab.sh('director', `ip link set int${i + 1} master br0`);
      await lab.sh(
        `rs${i + 1}`,
        `ip addr add 192.168.0.10${i + 1}/24 dev eth0; ip route add default via 192.168.0.100`,
      );
      await lab.httpServer(`rs${i + 1}`, `RS${i + 1}`);
    }
    // program the director with lvsd, as the seed does with ipvsadm
    const rules = [
      '-A -t 172.25.254.100:80 -s rr',
      '-a -t 172.25.254.100:80 -r 192.168.0.101:80 -m',
      '-a -t 172.25.254.100:80 -r 192.168.0.102:80 -m',
      '',
    ].join('\n');
    const r = await lab.lvsd('director', ['ipvs', 'restore'], rules);
    t.is(r.code, 0, r.stderr);
    t.is(await lab.sh('director', 'ipvsadm -Sn'), rules.replace(/ -m\n/g, ' -m -w 1\n'));

    const rr = await lab.get('client', 'http://172.25.254.100/cgi-bin/who', 6);
    t.is(rr.length, 6, rr.join('|'));
    t.deepEqual(tally(rr), { RS1: 3, RS2: 3 }, rr.join('|'));
    t.true(
      rr.every((l) => l.endsWith(' 172.25.254.10')),
      'NAT: the reals see the client address',
    );
    for (let i = 1; i < rr.length; i++)
      t.not(rr[i]!.split(' ')[0], rr[i - 1]!.split(' ')[0], 'rr alternates');

    // connections: lvsd's -c formatter over the same /proc text ipvsadm reads, and the live command
    const both = await lab.sh('director', 'cat /proc/net/ip_vs_conn; echo ===; ipvsadm -Lnc');
    const [proc, byIpvsadm] = both.split('===\n') as [string, string];
    t.is(maskExpire(formatConnections(proc, { numeric: true })), maskExpire(byIpvsadm));
    t.is(byIpvsadm.split('\n').filter((l) => l.startsWith('TCP')).length, 6, byIpvsadm);
    const live = await lab.ipvs('director', ['list', '-c', '-n']);
    t.is(maskExpire(live.stdout), maskExpire(await lab.sh('director', 'ipvsadm -Lnc')));

    // wrr 2:1 by a diff: scheduler and one weight change in place (2 ops, reals untouched otherwise)
    const wrrRules = rules
      .replace('-s rr', '-s wrr')
      .replace('192.168.0.101:80 -m', '192.168.0.101:80 -m -w 2');
    const plan = await lab.ipvs('director', ['apply', '-'], wrrRules);
    t.is(plan.code, 0, plan.stderr);
    t.is(
      plan.stdout,
      'ipvsadm -E -t 172.25.254.100:80 -s wrr\n' +
        'ipvsadm -e -t 172.25.254.100:80 -r 192.168.0.101:80 -m -w 2\n' +
        '# 2 operations (1 editService, 1 editDest)\n',
    );
    const wrr = await lab.get('client', 'http://172.25.254.100/cgi-bin/who', 6);
    t.deepEqual(tally(wrr), { RS1: 4, RS2: 2 }, wrr.join('|'));
    const list = await lab.ipvs('director', ['list', '-n']);
    t.is(list.stdout, await lab.sh('director', 'ipvsadm -Ln'));
  },
);

test.serial(
  "DR lab: VIP 192.168.0.100 on the director and on the reals' lo; reals answer the client directly",
  async (t) => {
    const lab = createLab(['switch', 'client', 'director', 'rs1', 'rs2']);
    t.teardown(() => lab.close());
    await lab.sh('switch', 'ip link add br0 type bridge; ip link set br0 up');
    const hosts: [string, string][] = [
      ['client', '192.168.0.10'],
      ['director', '192.168.0.50'],
      ['rs1', '192.168.0.101'],
      ['rs2', '192.168.0.102'],
    ];
    for (const [i, [name, addr]] of hosts.entries()) {
      veth(lab.ns(name), 'eth0', lab.ns('switch'), `p${i}`);
      await lab.sh('switch', `ip link set p${i} master br0`);
      await lab.sh(name, `ip addr add ${addr}/24 dev eth0`);
    }
    await lab.sh('director', 'ip addr add 192.168.0.100/32 dev lo');
    for (const rs of ['rs1', 'rs2']) {
      // the seed's arp_ignore/arp_announce so that only the director answers ARP for the VIP
      await lab.sh(
        rs,
        'ip addr add 192.168.0.100/32 dev lo; ' +
          'sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.lo.arp_ignore=1 ' +
          'net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_announce=2',
      );
      await lab.httpServer(rs, rs.toUpperCase());
    }
    const rules = [
      '-A -t 192.168.0.100:80 -s wrr',
      '-a -t 192.168.0.100:80 -r 192.168.0.101:80 -g -w 1',
      '-a -t 192.168.0.100:80 -r 192.168.0.102:80 -g -w 1',
      '',
    ].join('\n');
    const r = await lab.ipvs('director', ['apply', '-'], rules);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.split('\n').at(-2), '# 3 operations (1 addService, 2 addDest)');
    const eq = await lab.get('client', 'http://192.168.0.100/cgi-bin/who', 4);
    t.deepEqual(tally(eq), { RS1: 2, RS2: 2 }, eq.join('|'));
    t.true(
      eq.every((l) => l.endsWith(' 192.168.0.10')),
      'DR: the reals see the client',
    );
    // the reals answered from the VIP straight to the client: the director's ARP table never learned
    // a route back through itself, and its forwarding is off
    t.is((await lab.sh('director', 'sysctl -n net.ipv4.ip_forward')).trim(), '0');

    const w31 = await lab.ipvs('director', [
      '-e',
      '-t',
      '192.168.0.100:80',
      '-r',
      '192.168.0.101',
      '-g',
      '-w',
      '3',
    ]);
    t.is(w31.code, 0, w31.stderr);
    const wrr = await lab.get('client', 'http://192.168.0.100/cgi-bin/who', 8);
    t.deepEqual(tally(wrr), { RS1: 6, RS2: 2 }, wrr.join('|'));
    t.is(
      await lab.sh('director', 'ipvsadm -Sn'),
      rules.replace('192.168.0.101:80 -g -w 1', '192.168.0.101:80 -g -w 3'),
    );
    t.is((await lab.ipvs('director', ['save', '-n'])).stdout, await lab.sh('director', 'ipvsadm -Sn'));
    t.is((await lab.ipvs('director', ['-C'])).code, 0);
    t.is(await lab.sh('director', 'ipvsadm -Sn'), '');
  },
);
