// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs + nftables): FULLNAT, the lvsd extension.
// The reals' default route points at a gateway that does not exist, not at the director, so plain
// NAT cannot work; with lvsd's SNAT table and net.ipv4.vs.conntrack=1 it does, the reals see the
// director's address, and removing FULLNAT deletes exactly lvsd's table and restores the sysctl.
import test from 'ava';
import { FullNat, parseRouteSource } from '../../../src/ipvs/fullnat.js';
import { nftPath } from '../../../src/nft/nft-cli.io.js';
import type { FullNatDeps } from '../../../src/ipvs/fullnat.js';
import { createLab, tally, veth } from './labs-net.js';

test.serial('FULLNAT lab: reals without a route back through the director', async (t) => {
  const lab = createLab(['client', 'director', 'rs1', 'rs2']);
  t.teardown(() => lab.close());
  veth(lab.ns('client'), 'eth0', lab.ns('director'), 'ext0');
  await lab.sh('client', 'ip addr add 172.25.254.10/24 dev eth0');
  await lab.sh(
    'director',
    'ip addr add 172.25.254.100/24 dev ext0; ip link add br0 type bridge; ip link set br0 up; ' +
      'ip addr add 192.168.0.100/24 dev br0; sysctl -qw net.ipv4.ip_forward=1',
  );
  for (const i of [1, 2]) {
    veth(lab.ns(`rs${i}`), 'eth0', lab.ns('director'), `int${i}`);
    await lab.sh('director', `ip link set int${i} master br0`);
    // default route to a gateway that is not the director (and does not exist)
    await lab.sh(
      `rs${i}`,
      `ip addr add 192.168.0.10${i}/24 dev eth0; ip route add default via 192.168.0.254`,
    );
    await lab.httpServer(`rs${i}`, `RS${i}`);
  }
  // an operator's own nftables table, which lvsd must leave alone
  await lab.sh('director', `${nftPath} add table inet operator; ${nftPath} add chain inet operator keep`);

  const r = await lab.ipvs(
    'director',
    ['restore'],
    '-A -t 172.25.254.100:80 -s rr\n' +
      '-a -t 172.25.254.100:80 -r 192.168.0.101:80 -m\n' +
      '-a -t 172.25.254.100:80 -r 192.168.0.102:80 -m\n',
  );
  t.is(r.code, 0, r.stderr);

  // control: plain masquerading cannot work here (replies go to 192.168.0.254)
  const plain = await lab.get('client', 'http://172.25.254.100/cgi-bin/who', 1, 2);
  t.deepEqual(plain, ['curl-failed-28'], 'without FULLNAT the reals cannot answer');

  const dir = lab.ns('director');
  const deps: FullNatDeps = {
    async nft(args, input) {
      const x = await dir.run(nftPath, args, input);
      if (x.code !== 0) throw new Error(x.stderr);
      return x.stdout;
    },
    async readSysctl(path) {
      return (await dir.run('cat', [path])).stdout;
    },
    async writeSysctl(path, value) {
      const x = await dir.run('sh', ['-c', `echo ${value} > ${path}`]);
      if (x.code !== 0) throw new Error(x.stderr);
    },
    async routeSource(address) {
      return parseRouteSource((await dir.run('ip', ['-j', 'route', 'get', address])).stdout);
    },
  };
  const fullnat = new FullNat(deps);
  t.is((await deps.readSysctl('/proc/sys/net/ipv4/vs/conntrack')).trim(), '0');
  // the SNAT address is found the way the LVS manager finds it: the director's source toward a real
  const applied = await fullnat.applyByReals([
    {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '172.25.254.100', port: 80 },
      reals: ['192.168.0.101', '192.168.0.102'],
    },
  ]);
  t.is(applied[0]?.snatAddress, '192.168.0.100');
  t.is((await deps.readSysctl('/proc/sys/net/ipv4/vs/conntrack')).trim(), '1');
  t.regex(await fullnat.list(), /snat ip to 192\.168\.0\.100 comment "lvsd TCP 172\.25\.254\.100:80"/);

  const got = await lab.get('client', 'http://172.25.254.100/cgi-bin/who', 4);
  t.deepEqual(tally(got), { RS1: 2, RS2: 2 }, got.join('|'));
  t.true(
    got.every((l) => l.endsWith(' 192.168.0.100')),
    `FULLNAT: the reals see the director's address (${got.join('|')})`,
  );
  const conns = await lab.sh('director', 'ipvsadm -Lnc');
  t.regex(conns, /TCP .* 172\.25\.254\.10:\d+ +172\.25\.254\.100:80 +192\.168\.0\.10[12]:80/);

  // applying again is a no-op for the outcome (atomic replace, still one rule)
  await fullnat.apply([
    {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '172.25.254.100', port: 80 },
      snatAddress: '192.168.0.100',
    },
  ]);
  t.is((await fullnat.list()).match(/snat ip to/g)?.length, 1);

  await fullnat.remove();
  t.is(await fullnat.list(), '');
  const ruleset = await lab.sh('director', `${nftPath} list ruleset`);
  t.regex(ruleset, /table inet operator/, "the operator's table is untouched");
  t.notRegex(ruleset, /lvsd_fullnat/);
  t.is((await deps.readSysctl('/proc/sys/net/ipv4/vs/conntrack')).trim(), '0', 'sysctl restored');
});
