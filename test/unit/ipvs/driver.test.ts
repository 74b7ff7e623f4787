// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { NetlinkError, isLvsdError } from '../../../src/core/errors.js';
import { IpvsCmd } from '../../../src/ipvs/attrs.js';
import { opError, openIpvsDriver } from '../../../src/ipvs/driver.js';
import type { IpvsDestination, IpvsService, ServiceKey } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';
import { AttrWriter } from '../../../src/netlink/codec.js';
import { fakeTransport } from '../../fakes/fake-netlink.js';
import type { FakeAnswer, FakeRequest } from '../../fakes/fake-netlink.js';

const IPVS_ID = 40;
const key: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 };
const svc: IpvsService = {
  key,
  scheduler: 'wlc',
  flags: { flag1: false, flag2: false, flag3: false, onePacket: false },
};
const dest = (n: number): IpvsDestination => ({
  family: 'inet',
  address: `10.0.1.${n}`,
  port: 80,
  method: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
});

/** A fake kernel that knows family IPVS and answers IPVS requests with `ipvs`. */
function kernel(ipvs: (r: FakeRequest) => FakeAnswer) {
  return fakeTransport((r) =>
    r.family === 0x10 ? { cmd: 1, replies: [new AttrWriter().u16(1, IPVS_ID).toBuffer()] } : ipvs(r),
  );
}

test('open: family IPVS missing -> LVSD_E_IPVS_UNAVAILABLE naming the module', async (t) => {
  const e = await t.throwsAsync(openIpvsDriver({ transport: fakeTransport(() => ({ errno: 2 })) }));
  t.true(isLvsdError(e, 'LVSD_E_IPVS_UNAVAILABLE'));
  t.regex(e.message, /ip_vs module is not loaded/);
});

test('apply: all ok -> every op applied, batched by window', async (t) => {
  const tr = kernel(() => ({}));
  const d = await openIpvsDriver({ transport: tr, window: 4 });
  const ops: IpvsOp[] = [
    { op: 'addService', service: svc },
    ...[1, 2, 3, 4, 5].map((n) => ({ op: 'addDest' as const, key, dest: dest(n) })),
  ];
  const r = await d.apply(ops);
  t.deepEqual(r, { applied: ops, skipped: [] });
  t.deepEqual(tr.datagrams.slice(1), [4, 2]);
  t.deepEqual(
    tr.requests.slice(1).map((q) => q.cmd),
    [IpvsCmd.NEW_SERVICE, ...Array<number>(5).fill(IpvsCmd.NEW_DEST)],
  );
});

test('apply with window 1: stops at the first failure, the rest skipped', async (t) => {
  const tr = kernel((r) => (r.cmd === IpvsCmd.NEW_SERVICE ? { errno: 17 } : {}));
  const d = await openIpvsDriver({ transport: tr, window: 1 });
  const ops: IpvsOp[] = [
    { op: 'addDest', key, dest: dest(1) },
    { op: 'addService', service: svc },
    { op: 'addDest', key, dest: dest(2) },
  ];
  const r = await d.apply(ops);
  t.deepEqual(r.applied, [ops[0]]);
  t.is(r.failed?.op, ops[1]);
  t.deepEqual(r.skipped, [ops[2]]);
  t.is(r.alsoFailed, undefined);
  const err = r.failed?.error;
  t.true(err instanceof NetlinkError);
  t.is((err as NetlinkError).errno, 'EEXIST');
  t.is((err as NetlinkError).code, 'LVSD_E_IPVS_EXISTS');
  t.is(err?.message, 'virtual server TCP 10.0.0.1:80 already exists');
  t.is(tr.requests.length, 3, 'nothing sent after the failure');
});

test('apply pipelined: ops after the failure in the same window are reported as they happened', async (t) => {
  const tr = kernel((r) =>
    r.cmd === IpvsCmd.DEL_DEST ? { errno: 2 } : r.cmd === IpvsCmd.SET_DEST ? { errno: 3 } : {},
  );
  const d = await openIpvsDriver({ transport: tr, window: 3 });
  const ops: IpvsOp[] = [
    { op: 'delDest', key, dest: dest(1) },
    { op: 'addDest', key, dest: dest(2) },
    { op: 'editDest', key, dest: dest(3) },
    { op: 'addDest', key, dest: dest(4) },
  ];
  const r = await d.apply(ops);
  t.deepEqual(r.applied, [ops[1]]);
  t.is(r.failed?.op, ops[0]);
  t.is(r.failed?.error.message, 'real server 10.0.1.1:80 of virtual server TCP 10.0.0.1:80 does not exist');
  t.deepEqual(
    r.alsoFailed?.map((f) => [f.op, f.error.message]),
    [[ops[2], 'virtual server TCP 10.0.0.1:80 does not exist']],
  );
  t.deepEqual(r.skipped, [ops[3]]);
});

test('apply retries EBUSY when nothing after it took effect', async (t) => {
  let busy = 2;
  const tr = kernel((r) => (r.cmd === IpvsCmd.NEW_SERVICE && busy-- > 0 ? { errno: 16 } : {}));
  const d = await openIpvsDriver({ transport: tr, window: 8 });
  const ops: IpvsOp[] = [{ op: 'addService', service: svc }];
  t.deepEqual(await d.apply(ops), { applied: ops, skipped: [] });
  t.is(tr.requests.filter((q) => q.cmd === IpvsCmd.NEW_SERVICE).length, 3);
});

test('apply does not retry EEXIST', async (t) => {
  const tr = kernel(() => ({ errno: 17 }));
  const d = await openIpvsDriver({ transport: tr });
  const r = await d.apply([{ op: 'addService', service: svc }]);
  t.is((r.failed?.error as NetlinkError).errno, 'EEXIST');
  t.is(tr.requests.length, 2);
});

const msg = (op: IpvsOp, errno: number): string => opError(op, errno).message;

test('error messages name the object and the likely cause', (t) => {
  t.is(msg({ op: 'addService', service: svc }, 17), 'virtual server TCP 10.0.0.1:80 already exists');
  t.is(msg({ op: 'delService', key }, 3), 'virtual server TCP 10.0.0.1:80 does not exist');
  t.is(msg({ op: 'addDest', key, dest: dest(1) }, 3), 'virtual server TCP 10.0.0.1:80 does not exist');
  t.is(
    msg({ op: 'addDest', key, dest: dest(1) }, 17),
    'real server 10.0.1.1:80 of virtual server TCP 10.0.0.1:80 already exists',
  );
  t.regex(msg({ op: 'addDest', key, dest: dest(1) }, 22), /loopback down in this network namespace/);
  t.regex(
    msg({ op: 'addService', service: { ...svc, scheduler: 'nope' } }, 2),
    /scheduler 'nope'.*ip_vs_nope not loaded/,
  );
  t.regex(msg({ op: 'addService', service: svc }, 1), /CAP_NET_ADMIN/);
  t.regex(msg({ op: 'addDest', key, dest: dest(1) }, 34), /lower connection threshold above the upper one/);
  t.is(msg({ op: 'flush' }, 5), 'the IPVS table: the kernel refused IPVS_CMD_FLUSH (EIO)');
  t.is(
    msg({ op: 'delService', key: { kind: 'fwmark', family: 'inet6', fwmark: 5 } }, 2),
    'virtual server FWM 5 IPv6 does not exist',
  );
  t.is(opError({ op: 'addService', service: svc }, 17).op, 'IPVS_CMD_NEW_SERVICE');
});

test('dump: services then one GET_DEST dump per service, results in canonical order', async (t) => {
  const k2: ServiceKey = { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.0', port: 80 };
  const svcAttr = (k: ServiceKey): Buffer =>
    new AttrWriter()
      .nested(1, (w) => {
        if (k.kind !== 'addr') return;
        w.u16(1, 2)
          .u16(2, 6)
          .bytes(3, Buffer.from(k.address.split('.').map(Number)))
          .u16be(4, k.port)
          .string(6, 'rr');
        w.bytes(7, Buffer.from('02000000ffffffff', 'hex')).u32(8, 0).u32be(9, 0xffffffff);
      })
      .toBuffer();
  const destAttr = (last: number): Buffer =>
    new AttrWriter()
      .nested(2, (w) => {
        w.bytes(1, Buffer.from([10, 0, 1, last]))
          .u16be(2, 80)
          .u32(3, 3)
          .u32(4, 2)
          .u32(5, 0)
          .u32(6, 0)
          .u16(11, 2);
      })
      .toBuffer();
  const tr = kernel((r) => {
    if (r.cmd === IpvsCmd.GET_SERVICE)
      return { cmd: IpvsCmd.NEW_SERVICE, replies: [svcAttr(key), svcAttr(k2)] };
    if (r.cmd === IpvsCmd.GET_DEST) return { cmd: IpvsCmd.NEW_DEST, replies: [destAttr(9), destAttr(3)] };
    return { errno: 22 };
  });
  const d = await openIpvsDriver({ transport: tr });
  const table = await d.dump();
  t.deepEqual(
    table.map((s) => s.service.key),
    [k2, key],
  );
  t.deepEqual(
    table[0]?.destinations.map((x) => [x.address, x.method, x.weight]),
    [
      ['10.0.1.3', 'droute', 2],
      ['10.0.1.9', 'droute', 2],
    ],
  );
  t.deepEqual(tr.datagrams.slice(1), [1, 1, 1], 'dumps are never pipelined (the kernel answers EBUSY)');
});
