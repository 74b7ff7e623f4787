// SPDX-License-Identifier: Apache-2.0
// The driver's admin paths and error paths on the real kernel (root, inside scripts/ipvs-vm.sh):
// info, timeouts, sync daemons, zero, flush, and the kernel's EEXIST/ESRCH/ENOENT/EINVAL answers
// turned into messages that name the object. Checked against ipvsadm in the same namespace.
import test from 'ava';
import type { NetlinkError } from '../../../src/core/errors.js';
import type { IpvsDestination, IpvsService, ServiceKey } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';
import { openDriverIn } from '../helpers/driver-host.js';
import type { RemoteKernel } from '../helpers/driver-host.js';
import { createNetns } from '../helpers/netns.js';
import type { Netns } from '../helpers/netns.js';

let ns: Netns;
let kernel: RemoteKernel;

test.before(async () => {
  ns = createNetns('adm');
  await ns.run('sh', [
    '-c',
    'ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.1/32 dev d0 && ip addr add 10.0.0.2/32 dev d0',
  ]);
  kernel = await openDriverIn(ns);
});

test.after.always(async () => {
  await kernel?.shutdown();
  ns?.close();
});

const noFlags = { flag1: false, flag2: false, flag3: false, onePacket: false };
const key = (port: number): ServiceKey => ({
  kind: 'addr',
  family: 'inet',
  protocol: 'tcp',
  address: '10.0.0.1',
  port,
});
const svc = (port: number, scheduler = 'rr'): IpvsService => ({ key: key(port), scheduler, flags: noFlags });
const real = (last: number, port = 8080): IpvsDestination => ({
  family: 'inet',
  address: `10.0.1.${last}`,
  port,
  method: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
});

test.serial('info matches the ipvsadm -Ln header', async (t) => {
  const i = await kernel.info();
  const v = `${i.version >> 16}.${(i.version >> 8) & 0xff}.${i.version & 0xff}`;
  t.is((await ns.ipvsadm('-Ln')).split('\n')[0], `IP Virtual Server version ${v} (size=${i.connTableSize})`);
});

test.serial(
  'timeouts: set with the driver, read by ipvsadm; set by ipvsadm, read by the driver',
  async (t) => {
    const r = await kernel.apply([{ op: 'setTimeouts', timeouts: { tcp: 1000, tcpFin: 100, udp: 200 } }]);
    t.is(r.failed, undefined);
    t.is(await ns.ipvsadm('-L', '--timeout'), 'Timeout (tcp tcpfin udp): 1000 100 200\n');
    await ns.ipvsadm('--set', '901', '0', '0');
    t.deepEqual(await kernel.getTimeouts(), { tcp: 901, tcpFin: 100, udp: 200 });
    await kernel.apply([{ op: 'setTimeouts', timeouts: { tcp: 0, tcpFin: 0, udp: 333 } }]);
    t.is(await ns.ipvsadm('-L', '--timeout'), 'Timeout (tcp tcpfin udp): 901 100 333\n');
  },
);

test.serial('sync daemons: start/stop with the driver and with ipvsadm, both views agree', async (t) => {
  const r = await kernel.apply([
    {
      op: 'startDaemon',
      daemon: {
        state: 'master',
        interface: 'd0',
        syncId: 5,
        maxLen: 1400,
        group: '224.0.0.99',
        port: 8849,
        ttl: 2,
      },
    },
  ]);
  t.is(r.failed?.error.message, undefined);
  await ns.ipvsadm('--start-daemon', 'backup', '--mcast-interface', 'd0', '--syncid', '6');
  t.is(
    await ns.ipvsadm('-L', '--daemon'),
    'master sync daemon (mcast=d0, syncid=5, maxlen=1400, group=224.0.0.99, port=8849, ttl=2)\n' +
      'backup sync daemon (mcast=d0, syncid=6, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
  );
  t.deepEqual(await kernel.getDaemons(), [
    { state: 'master', interface: 'd0', syncId: 5, maxLen: 1400, group: '224.0.0.99', port: 8849, ttl: 2 },
    { state: 'backup', interface: 'd0', syncId: 6, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
  ]);
  const dup = await kernel.apply([
    { op: 'startDaemon', daemon: { state: 'master', interface: 'd0', syncId: 9 } },
  ]);
  t.is((dup.failed?.error as NetlinkError | undefined)?.errno, 'EEXIST');
  t.is(dup.failed?.error.message, 'master sync daemon already exists');
  await kernel.apply([{ op: 'stopDaemon', state: 'master' }]);
  t.deepEqual(
    (await kernel.getDaemons()).map((d) => d.state),
    ['backup'],
  );
  await ns.ipvsadm('--stop-daemon', 'backup');
  t.deepEqual(await kernel.getDaemons(), []);
});

test.serial('zero: counters of one service and of all go back to 0', async (t) => {
  await kernel.apply([
    { op: 'flush' },
    { op: 'addService', service: svc(80) },
    { op: 'addDest', key: key(80), dest: real(9) },
  ]);
  // A client namespace behind a veth: its SYN to the VIP is scheduled by IPVS and counted.
  const client = createNetns('cli');
  t.teardown(() => client.close());
  const setup = await ns.run('sh', [
    '-c',
    `ip link add v0 type veth peer name v1 netns ${client.name} && ip addr add 10.9.0.1/24 dev v0 && ip link set v0 up && ` +
      `ip -n ${client.name} addr add 10.9.0.2/24 dev v1 && ip -n ${client.name} link set v1 up && ` +
      `ip -n ${client.name} route add default via 10.9.0.1`,
  ]);
  t.is(setup.code, 0, setup.stderr);
  await client.run('bash', ['-c', 'timeout 2 bash -c "exec 3<>/dev/tcp/10.0.0.1/80" || true']);
  // The kernel folds its per-CPU counters into what it reports every 2 s (estimator): poll.
  let conns = 0n;
  for (let i = 0; i < 50 && conns === 0n; i++) {
    conns = (await kernel.dump())[0]?.stats?.conns ?? 0n;
    if (conns === 0n) await new Promise((r) => setTimeout(r, 200));
  }
  t.true(conns > 0n, 'a connection was counted');
  t.regex(await ns.ipvsadm('-Ln', '--stats'), /TCP {2}10\.0\.0\.1:80 +[1-9]/);
  const r = await kernel.apply([{ op: 'zero', key: key(80) }]);
  t.is(r.failed, undefined);
  t.is((await kernel.dump())[0]?.stats?.conns, 0n);
  t.is((await kernel.apply([{ op: 'zero' }])).failed, undefined);
  const missing = await kernel.apply([{ op: 'zero', key: key(81) }]);
  t.is(missing.failed?.error.message, 'virtual server TCP 10.0.0.1:81 does not exist');
});

test.serial('flush empties the table', async (t) => {
  await kernel.apply([{ op: 'addService', service: svc(81) }]);
  t.is((await kernel.apply([{ op: 'flush' }])).failed, undefined);
  t.is(await ns.ipvsadm('-Sn'), '');
});

test.serial('kernel errors become messages that name the object', async (t) => {
  await kernel.apply([{ op: 'flush' }, { op: 'addService', service: svc(80) }]);
  const cases: [IpvsOp, string, string][] = [
    [{ op: 'addService', service: svc(80) }, 'EEXIST', 'virtual server TCP 10.0.0.1:80 already exists'],
    [
      { op: 'addDest', key: key(99), dest: real(1) },
      'ESRCH',
      'virtual server TCP 10.0.0.1:99 does not exist',
    ],
    [{ op: 'delService', key: key(99) }, 'ESRCH', 'virtual server TCP 10.0.0.1:99 does not exist'],
    [{ op: 'editService', service: svc(99) }, 'ESRCH', 'virtual server TCP 10.0.0.1:99 does not exist'],
    [
      { op: 'delDest', key: key(80), dest: real(7) },
      'ENOENT',
      'real server 10.0.1.7:8080 of virtual server TCP 10.0.0.1:80 does not exist',
    ],
    [
      { op: 'editDest', key: key(80), dest: real(7) },
      'ENOENT',
      'real server 10.0.1.7:8080 of virtual server TCP 10.0.0.1:80 does not exist',
    ],
  ];
  for (const [op, errno, message] of cases) {
    const r = await kernel.apply([op]);
    const e = r.failed?.error as NetlinkError | undefined;
    t.is(e?.errno, errno, op.op);
    t.is(e?.message, message, op.op);
  }
  const sched = await kernel.apply([{ op: 'addService', service: svc(82, 'nosuch') }]);
  t.regex(
    sched.failed?.error.message ?? '',
    /scheduler 'nosuch' not available \(module ip_vs_nosuch not loaded\?\)/,
  );
  const range = await kernel.apply([
    { op: 'addDest', key: key(80), dest: { ...real(3), upperThreshold: 1, lowerThreshold: 5 } },
  ]);
  t.regex(range.failed?.error.message ?? '', /lower connection threshold above the upper one/);
});

test.serial('lo down in the namespace: NEW_DEST fails with EINVAL and the hint', async (t) => {
  const down = createNetns('lod', { loUp: false });
  t.teardown(() => down.close());
  const k = await openDriverIn(down);
  t.teardown(() => k.shutdown());
  const r = await k.apply([
    { op: 'addService', service: svc(80) },
    { op: 'addDest', key: key(80), dest: real(1) },
  ]);
  t.is(r.applied.length, 1, 'the service is accepted');
  t.is((r.failed?.error as NetlinkError | undefined)?.errno, 'EINVAL');
  t.regex(
    r.failed?.error.message ?? '',
    /^real server 10\.0\.1\.1:8080 of virtual server TCP 10\.0\.0\.1:80: .*loopback down in this network namespace/,
  );
});

test.serial('partial batches: the report says exactly what the kernel did', async (t) => {
  const ops: IpvsOp[] = [
    { op: 'addService', service: svc(80) },
    { op: 'addDest', key: key(80), dest: real(1) },
    { op: 'addService', service: svc(80) },
    { op: 'addDest', key: key(80), dest: real(2) },
    { op: 'addService', service: svc(81) },
  ];
  // strict (window 1): stops at the duplicate
  const strict = createNetns('ps');
  t.teardown(() => strict.close());
  const k1 = await openDriverIn(strict, { window: 1 });
  t.teardown(() => k1.shutdown());
  const r1 = await k1.apply(ops);
  t.deepEqual(r1.applied, ops.slice(0, 2));
  t.deepEqual(r1.failed?.op, ops[2]);
  t.deepEqual(r1.skipped, ops.slice(3));
  t.is(await strict.ipvsadm('-Sn'), '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 1\n');

  // pipelined (default window): the kernel ran the ops after the duplicate too, and says so
  await kernel.apply([{ op: 'flush' }]);
  const r2 = await kernel.apply(ops);
  t.deepEqual(r2.applied, [ops[0], ops[1], ops[3], ops[4]]);
  t.deepEqual(r2.failed?.op, ops[2]);
  t.deepEqual(r2.skipped, []);
  t.is(
    await ns.ipvsadm('-Sn'),
    '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 1\n-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 1\n-A -t 10.0.0.1:81 -s rr\n',
  );
});
