// SPDX-License-Identifier: Apache-2.0
/**
 * The one-shot sync (`syncTable`, what `lvsd ipvs apply` runs) and the table the loop keeps
 * (`AppliedTable`), against the in-memory kernel.
 */
import test from 'ava';
import fc from 'fast-check';
import { isLvsdError } from '../../../src/core/errors.js';
import { AppliedTable } from '../../../src/ipvs/applied-table.js';
import type { IpvsServiceEntry } from '../../../src/ipvs/model.js';
import { serviceId } from '../../../src/ipvs/model.js';
import type { IpvsOp } from '../../../src/ipvs/ops.js';
import { reconcile, summarizeOps } from '../../../src/ipvs/reconcile.js';
import { formatCounts, partialError, syncTable } from '../../../src/ipvs/sync.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';
import { entry, real, svc, tcp } from './table-fixtures.js';

const vs1 = tcp('10.0.0.1', 80);
const vs2 = tcp('10.0.0.2', 443);

test('one changed real touches exactly one kernel entry', async (t) => {
  const desired = [entry(svc(vs1), [real('10.1.0.1'), real('10.1.0.2'), real('10.1.0.3')])];
  const kernel = new FakeIpvsKernel(desired);
  const changed = [
    entry(svc(vs1), [real('10.1.0.1'), real('10.1.0.2', 80, { weight: 9 }), real('10.1.0.3')]),
  ];
  const { attempts, error } = await syncTable(kernel, changed);
  t.is(error, undefined);
  t.is(attempts.length, 1);
  t.deepEqual(attempts[0]!.plan, [{ op: 'editDest', key: vs1, dest: real('10.1.0.2', 80, { weight: 9 }) }]);
  t.is(kernel.log.length, 1);
  t.is(attempts[0]!.applied.editDest, 1);
  t.is(formatCounts(attempts[0]!.applied), '1 editDest');
});

test('a batch failing part way reports exactly what was applied and what was not; a re-run converges', async (t) => {
  const desired = [
    entry(svc(vs1), [real('10.1.0.1'), real('10.1.0.2')]),
    entry(svc(vs2), [real('10.1.0.9', 443)]),
  ];
  const kernel = new FakeIpvsKernel();
  kernel.failAt = 2; // the third op: second real of vs1
  const first = await syncTable(kernel, desired);
  const a = first.attempts[0]!;
  t.is(a.plan.length, 5);
  t.deepEqual(a.report.applied, a.plan.slice(0, 2));
  t.deepEqual(a.report.failed?.op, a.plan[2]);
  t.deepEqual(a.report.skipped, a.plan.slice(3));
  t.deepEqual(a.applied, { ...summarizeOps([]), addService: 1, addDest: 1 });
  t.true(isLvsdError(first.error, 'LVSD_E_IPVS_PARTIAL'));
  t.regex(
    first.error!.message,
    /stopped at ipvsadm -a -t 10\.0\.0\.1:80 -r 10\.1\.0\.2:80 -m -w 1: .*\(2 applied, 2 not attempted\)/,
  );
  t.is(kernel.table.length, 1, 'the kernel holds exactly the applied part');
  const second = await syncTable(kernel, desired);
  t.is(second.attempts[0]!.plan.length, 3);
  t.is(second.error, undefined);
  t.is((await syncTable(kernel, desired)).attempts[0]!.plan.length, 0);
});

test('with attempts, a partial batch is planned again from a fresh read; it fails only when it keeps failing', async (t) => {
  const desired = [entry(svc(vs1), [real('10.1.0.1')])];
  const kernel = new FakeIpvsKernel();
  kernel.failAt = 1;
  const r = await syncTable(kernel, desired, { attempts: 2 });
  t.is(r.attempts.length, 2);
  t.is(r.error, undefined);
  t.deepEqual(r.attempts[1]!.plan, [{ op: 'addDest', key: vs1, dest: real('10.1.0.1') }]);
  t.true(r.attempts.every((a) => a.reread));
  const broken = new FakeIpvsKernel();
  broken.apply = () => Promise.reject(new Error('socket closed'));
  await t.throwsAsync(syncTable(broken, desired, { attempts: 2 }), { message: 'socket closed' });
  const stuck = new FakeIpvsKernel();
  const apply = stuck.apply.bind(stuck);
  stuck.apply = (ops) => {
    stuck.failAt = stuck.log.length;
    return apply(ops);
  };
  const s = await syncTable(stuck, desired, { attempts: 2 });
  t.is(s.attempts.length, 2);
  t.true(isLvsdError(s.error, 'LVSD_E_IPVS_PARTIAL'));
  t.regex(s.error!.message, /ipvsadm -A -t 10\.0\.0\.1:80 -s rr/);
});

test('a dry run plans, tells the plan, applies nothing and reports the whole plan not attempted', async (t) => {
  const kernel = new FakeIpvsKernel([entry(svc(tcp('10.9.9.9', 80)), [])]);
  const desired = [entry(svc(vs1), [real('10.1.0.1')])];
  const told: IpvsOp[][] = [];
  const { attempts } = await syncTable(kernel, desired, {
    dryRun: true,
    owned: 'all',
    onPlan: (p) => told.push([...p]),
  });
  const a = attempts[0]!;
  t.true(a.dryRun);
  t.deepEqual(told, [a.plan]);
  t.deepEqual(
    a.plan.map((o) => o.op),
    ['addService', 'addDest', 'delService'],
  );
  t.deepEqual(a.report, { applied: [], skipped: a.plan });
  t.is(formatCounts(a.applied), '');
  t.is(kernel.batches, 0);
  t.is(kernel.log.length, 0);
});

test('partialError counts the ops of the same datagram the kernel refused too', (t) => {
  const op: IpvsOp = { op: 'addDest', key: vs1, dest: real('10.1.0.1') };
  const e = partialError({
    applied: [],
    failed: { op, error: new Error('EINVAL') },
    alsoFailed: [{ op, error: new Error('EINVAL') }],
    skipped: [op],
  });
  t.regex(e.message, /\(0 applied, 1 not attempted, 1 more refused\)$/);
});

const smallTable = fc
  .uniqueArray(
    fc.record({
      port: fc.integer({ min: 1, max: 4 }),
      scheduler: fc.constantFrom('rr', 'wlc'),
      reals: fc.uniqueArray(
        fc.record({ host: fc.integer({ min: 1, max: 5 }), weight: fc.integer({ min: 0, max: 3 }) }),
        { selector: (r) => r.host, maxLength: 4 },
      ),
    }),
    { selector: (s) => s.port, maxLength: 4 },
  )
  .map((services) =>
    services.map((s) =>
      entry(
        svc(tcp('10.0.0.1', s.port), s.scheduler),
        s.reals.map((r) => real(`10.1.0.${r.host}`, 80, { weight: r.weight })),
      ),
    ),
  );

test('property: the kept table, changed by a plan, is what the kernel holds after that plan', (t) => {
  fc.assert(
    fc.property(smallTable, smallTable, fc.boolean(), (desired, actual, ownAll) => {
      const kernel = new FakeIpvsKernel(actual);
      const kept = new AppliedTable(actual);
      const plan = reconcile(desired, kept.entries(), ownAll ? { owned: 'all' } : {});
      void kernel.apply(plan); // the fake applies synchronously
      kept.apply(plan);
      const norm = (tb: IpvsServiceEntry[]): unknown =>
        tb
          .map((e) => ({
            id: serviceId(e.service.key),
            s: e.service.scheduler,
            d: e.destinations.map((d) => `${d.address}/${d.weight}`).sort(),
          }))
          .sort((a, b) => a.id.localeCompare(b.id));
      t.deepEqual(norm(kept.entries()), norm(kernel.table));
      t.deepEqual(reconcile(desired, kept.entries(), ownAll ? { owned: 'all' } : {}), []);
    }),
  );
});
