// SPDX-License-Identifier: Apache-2.0
// The ipvsadm grammar. Error messages are checked against what the real ipvsadm 1.31 printed for the
// same command lines in the VM (test/fixtures/ipvs/ipvsadm-errors.sh -> ipvsadm-1.31-errors.txt).
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseIpvsadmArgs } from '../../../src/ipvs/ipvsadm-args.js';
import { opToArgs } from '../../../src/ipvs/ipvsadm-op-args.js';
import type { IpvsDestination, IpvsService } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';

const fixtures = new URL('../../../../test/fixtures/ipvs/', import.meta.url);
const cases = readFileSync(new URL('ipvsadm-errors.cases', fixtures), 'utf8').trim().split('\n');
const golden = readFileSync(new URL('ipvsadm-1.31-errors.txt', fixtures), 'utf8');

/** case line -> what ipvsadm wrote to stderr (without the last newline). */
const expected = new Map<string, string>();
for (const block of golden.split(/^=== /m).slice(1)) {
  const nl = block.indexOf('\n');
  const line = block.slice(0, nl);
  const body = block.slice(nl + 1).replace(/rc=\d+\n$/, '');
  expected.set(line, body.replace(/\n$/, ''));
}
const kernelMessages = new Set(['Service not defined']);

for (const line of cases) {
  test(`ipvsadm ${line}`, (t) => {
    const want = expected.get(line);
    t.not(want, undefined, 'case missing from the golden file');
    const r = parseIpvsadmArgs(line.split(' '), {
      serviceToPort: (n, p) => (n === 'http' && p === 'tcp' ? 80 : undefined),
    });
    if (want!.startsWith('Try `ipvsadm -h')) {
      t.false(r.ok);
      if (!r.ok) t.true(r.error.tryHelp);
    } else if (kernelMessages.has(want!)) {
      t.true(r.ok, 'parses; the kernel refuses it');
    } else {
      t.false(r.ok);
      if (!r.ok) t.is(r.error.message, want!);
    }
  });
}

const ok = (line: string): unknown => {
  const r = parseIpvsadmArgs(line.split(' ').filter(Boolean));
  if (!r.ok) throw new Error(`${line}: ${r.error.message}`);
  return r.value;
};

test('-A with defaults: wlc, not persistent', (t) => {
  t.deepEqual(ok('-A -t 10.0.0.1:80'), {
    cmd: 'op',
    op: {
      op: 'addService',
      service: {
        key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
        scheduler: 'wlc',
        flags: { flag1: false, flag2: false, flag3: false, onePacket: false },
      },
    },
  });
});

test('-p without a value is 360 s; -p value before another flag', (t) => {
  const a = ok('-A -t 10.0.0.1:80 -p') as { op: { service: IpvsService } };
  t.deepEqual(a.op.service.persistence, { timeout: 360, netmask: '255.255.255.255' });
  const b = ok('-A -t 10.0.0.1:80 -p 60 -M 255.255.255.0') as { op: { service: IpvsService } };
  t.deepEqual(b.op.service.persistence, { timeout: 60, netmask: '255.255.255.0' });
  const c = ok('-A -f 5 -6 -p -M 64') as { op: { service: IpvsService } };
  t.deepEqual(c.op.service.persistence, { timeout: 360, netmask: 64 });
});

test('-r without port takes the service port; DR/TUN force it', (t) => {
  const a = ok('-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w 3') as { op: { dest: IpvsDestination } };
  t.is(a.op.dest.port, 80);
  t.is(a.op.dest.weight, 3);
  t.is(a.op.dest.method, 'masq');
  const b = ok('-a -t 10.0.0.1:80 -r 10.0.0.2:8080') as { op: { dest: IpvsDestination } };
  t.is(b.op.dest.port, 80, 'gatewaying is the default and uses the virtual port');
  t.is(b.op.dest.method, 'droute');
  const c = ok('-a -f 5 -r 10.0.0.2:0 -g') as { op: { dest: IpvsDestination } };
  t.is(c.op.dest.port, 0);
});

test('bundled short options and --opt=value', (t) => {
  t.like(ok('-Ln'), { cmd: 'list', list: { numeric: true } });
  t.like(ok('-Lnc'), { cmd: 'list', list: { numeric: true, connections: true } });
  t.like(ok('-a -t 10.0.0.1:80 -r 10.0.0.2 -w5 -m'), { op: { dest: { weight: 5, method: 'masq' } } });
  t.like(ok('--add-service --tcp-service=10.0.0.1:80 --scheduler=rr'), {
    op: { service: { scheduler: 'rr' } },
  });
  t.like(ok('-Sn'), { cmd: 'save', numeric: true });
});

test('tunnel options build TunnelInfo', (t) => {
  t.like(ok('-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-remcsum'), {
    op: { dest: { method: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } } },
  });
  t.like(ok('-a -t 10.0.0.1:80 -r 2001:db8::2 -i'), {
    op: { dest: { family: 'inet6', address: '2001:db8::2', port: 80, tunnel: { type: 'ipip' } } },
  });
});

test('--set, daemons, zero, flush', (t) => {
  t.deepEqual(ok('--set 900 120 300'), {
    cmd: 'op',
    op: { op: 'setTimeouts', timeouts: { tcp: 900, tcpFin: 120, udp: 300 } },
  });
  t.deepEqual(
    ok('--start-daemon backup --mcast-interface eth1 --syncid 9 --mcast-group 239.1.1.1 --mcast-ttl 2'),
    {
      cmd: 'op',
      op: {
        op: 'startDaemon',
        daemon: { state: 'backup', interface: 'eth1', syncId: 9, group: '239.1.1.1', ttl: 2 },
      },
    },
  );
  t.deepEqual(ok('--start-daemon master'), {
    cmd: 'op',
    op: { op: 'startDaemon', daemon: { state: 'master', interface: 'eth0', syncId: 0 } },
  });
  t.deepEqual(ok('--stop-daemon master'), { cmd: 'op', op: { op: 'stopDaemon', state: 'master' } });
  t.deepEqual(ok('-Z'), { cmd: 'op', op: { op: 'zero' } });
  t.deepEqual(ok('-C'), { cmd: 'op', op: { op: 'flush' } });
});

test('names: hosts and services through the resolver', (t) => {
  const r = parseIpvsadmArgs(['-A', '-t', 'web:http'], {
    hostToAddr: (n) => (n === 'web' ? '10.0.0.9' : undefined),
    serviceToPort: (n, p) => (n === 'http' && p === 'tcp' ? 80 : undefined),
  });
  t.like(r, { ok: true, value: { op: { service: { key: { address: '10.0.0.9', port: 80 } } } } });
});

// ---- opToArgs is the inverse of the parser ------------------------------------------------------

const keyArb = fc.oneof(
  fc.record({
    kind: fc.constant('addr' as const),
    family: fc.constant('inet' as const),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
    address: fc.ipV4(),
    port: fc.integer({ min: 1, max: 65535 }),
  }),
  fc.record({
    kind: fc.constant('addr' as const),
    family: fc.constant('inet6' as const),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const),
    address: fc.constantFrom('2001:db8::1', 'fd00::10:1'),
    port: fc.integer({ min: 1, max: 65535 }),
  }),
  fc.record({
    kind: fc.constant('fwmark' as const),
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    fwmark: fc.integer({ min: 1, max: 0xffffffff }),
  }),
);

const opArb: fc.Arbitrary<IpvsOp> = fc
  .record({
    key: keyArb,
    scheduler: fc.constantFrom('rr', 'wrr', 'wlc', 'mh', 'sh'),
    persist: fc.option(fc.integer({ min: 1, max: 86400 })),
    flag1: fc.boolean(),
    flag3: fc.boolean(),
    kind: fc.constantFrom('add', 'edit', 'del', 'addDest', 'editDest', 'delDest'),
    weight: fc.integer({ min: 0, max: 65535 }),
    x: fc.integer({ min: 0, max: 1000 }),
    method: fc.constantFrom('masq' as const, 'droute' as const, 'tunnel' as const),
    gue: fc.boolean(),
  })
  .map((r): IpvsOp => {
    const k = r.key;
    const service: IpvsService = {
      key: k,
      scheduler: r.scheduler,
      flags: { flag1: r.flag1, flag2: false, flag3: r.flag3, onePacket: false },
    };
    if (r.persist !== null || (k.kind === 'addr' && k.port === 0)) {
      service.persistence = {
        timeout: r.persist ?? 360,
        netmask: k.family === 'inet' ? '255.255.255.255' : 128,
      };
    }
    const port = k.kind === 'addr' ? k.port : 0;
    const dest: IpvsDestination = {
      family: k.family,
      address: k.family === 'inet' ? '192.0.2.7' : '2001:db8::7',
      port: r.method === 'masq' ? 8080 : port,
      method: r.method,
      weight: r.weight,
      upperThreshold: r.x,
      lowerThreshold: 0,
    };
    if (r.method === 'tunnel')
      dest.tunnel = r.gue ? { type: 'gue', port: 6080, checksum: 'csum' } : { type: 'ipip' };
    switch (r.kind) {
      case 'add':
        return { op: 'addService', service };
      case 'edit':
        return { op: 'editService', service };
      case 'del':
        return { op: 'delService', key: k };
      case 'addDest':
        return { op: 'addDest', key: k, dest };
      case 'editDest':
        return { op: 'editDest', key: k, dest };
      default:
        return {
          op: 'delDest',
          key: k,
          dest: { family: dest.family, address: dest.address, port: dest.port },
        };
    }
  });

test('property: parse(opToArgs(op)) === op', (t) => {
  fc.assert(
    fc.property(opArb, (op) => {
      const r = parseIpvsadmArgs(opToArgs(op));
      t.deepEqual(r, { ok: true, value: { cmd: 'op', op } });
    }),
  );
});

test('property: the parser never throws on arbitrary argv', (t) => {
  const token = fc.oneof(
    fc.constantFrom(
      '-A',
      '-a',
      '-t',
      '-f',
      '-r',
      '-p',
      '-M',
      '-6',
      '-s',
      '-w',
      '-L',
      '-n',
      '--set',
      '--tun-type',
      '-b',
      '-x',
    ),
    fc.string({ maxLength: 8 }),
  );
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
      const r = parseIpvsadmArgs(argv);
      t.true(typeof r.ok === 'boolean');
    }),
  );
});
