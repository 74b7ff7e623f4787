// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd ipvs apply` at the wire (issue 13): the real driver over a fake netlink kernel that holds a
 * table. An unchanged table costs no kernel operation (only the dumps); one edited real costs exactly
 * one (a SET_DEST); and the kernel's counters are not decoded for a plan.
 */
import test from 'ava';
import {
  IpvsCmd,
  decodeCmdAttrs,
  decodeDest,
  decodeService,
  encodeCmdAttrs,
} from '../../../src/ipvs/attrs.js';
import { openIpvsDriver } from '../../../src/ipvs/driver.js';
import type { IpvsDestination, IpvsTable } from '../../../src/ipvs/model.js';
import { noSchedulerFlags, serviceId } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';
import { syncTable } from '../../../src/ipvs/sync.js';
import { applyOpToTable } from '../../../src/ipvs/table-model.js';
import { AttrWriter } from '../../../src/netlink/codec.js';
import { fakeTransport } from '../../fakes/fake-netlink.js';
import type { FakeAnswer, FakeRequest } from '../../fakes/fake-netlink.js';

const IPVS_ID = 40;
const mutating = new Set<number>([
  IpvsCmd.NEW_SERVICE,
  IpvsCmd.SET_SERVICE,
  IpvsCmd.DEL_SERVICE,
  IpvsCmd.NEW_DEST,
  IpvsCmd.SET_DEST,
  IpvsCmd.DEL_DEST,
  IpvsCmd.FLUSH,
]);

function table(services: number, reals: number, weightOf = (_s: number, _r: number) => 1): IpvsTable {
  return Array.from({ length: services }, (_, s) => ({
    service: {
      key: {
        kind: 'addr' as const,
        family: 'inet' as const,
        protocol: 'tcp' as const,
        address: `10.0.0.${s + 1}`,
        port: 80,
      },
      scheduler: 'wrr',
      flags: noSchedulerFlags,
    },
    destinations: Array.from({ length: reals }, (_, r): IpvsDestination => ({
      family: 'inet',
      address: `10.1.${s}.${r + 1}`,
      port: 8080,
      method: 'masq',
      weight: weightOf(s, r),
      upperThreshold: 0,
      lowerThreshold: 0,
    })),
  }));
}

/** The kernel as a table: dumps answered from it, SET_DEST carried out on it, every request logged. */
function tableKernel(kernelTable: IpvsTable) {
  const answer = (r: FakeRequest): FakeAnswer => {
    if (r.family === 0x10) return { cmd: 1, replies: [new AttrWriter().u16(1, IPVS_ID).toBuffer()] };
    const top = decodeCmdAttrs(r.attrs);
    if (!top.ok) return { errno: 22 };
    const svc = top.value.service === undefined ? undefined : decodeService(top.value.service);
    const entry = svc?.ok
      ? kernelTable.find((e) => serviceId(e.service.key) === serviceId(svc.value.service.key))
      : undefined;
    switch (r.cmd) {
      case IpvsCmd.GET_SERVICE:
        return {
          cmd: IpvsCmd.NEW_SERVICE,
          replies: kernelTable.map((e) => encodeCmdAttrs({ service: e.service })),
        };
      case IpvsCmd.GET_DEST:
        if (!entry) return { errno: 3 };
        return { cmd: IpvsCmd.NEW_DEST, replies: entry.destinations.map((d) => encodeCmdAttrs({ dest: d })) };
      case IpvsCmd.SET_DEST: {
        if (!entry || top.value.dest === undefined) return { errno: 3 };
        const d = decodeDest(top.value.dest, 'inet');
        if (!d.ok) return { errno: 22 };
        const op: IpvsOp = { op: 'editDest', key: entry.service.key, dest: d.value };
        return applyOpToTable(kernelTable, op) === undefined ? {} : { errno: 2 };
      }
      default:
        return { errno: 95 }; // nothing else is expected of these plans
    }
  };
  return fakeTransport(answer);
}

test('apply of an unchanged table: no kernel operation, only the dumps', async (t) => {
  const tr = tableKernel(table(20, 10));
  const driver = await openIpvsDriver({ transport: tr });
  const r = await syncTable(driver, table(20, 10));
  t.deepEqual(r.attempts[0]?.plan, []);
  t.deepEqual(
    tr.requests.filter((q) => q.family === IPVS_ID && mutating.has(q.cmd)),
    [],
  );
  t.is(tr.requests.filter((q) => q.cmd === IpvsCmd.GET_DEST).length, 20, 'one GET_DEST dump per service');
  driver.close();
});

test('apply with one real edited: exactly one kernel operation, and the kernel then matches', async (t) => {
  const kernelTable = table(20, 10);
  const tr = tableKernel(kernelTable);
  const driver = await openIpvsDriver({ transport: tr });
  const desired = table(20, 10, (s, r) => (s === 7 && r === 4 ? 9 : 1));
  const r = await syncTable(driver, desired);
  const ops = tr.requests.filter((q) => q.family === IPVS_ID && mutating.has(q.cmd));
  t.is(ops.length, 1);
  t.is(ops[0]?.cmd, IpvsCmd.SET_DEST);
  t.deepEqual(
    r.attempts[0]?.report.applied.map((o) => o.op),
    ['editDest'],
  );
  t.deepEqual(kernelTable, desired);
  driver.close();
});
