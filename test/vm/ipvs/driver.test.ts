// SPDX-License-Identifier: Apache-2.0
// Differential test of the IPVS driver on the real kernel (root, inside scripts/ipvs-vm.sh).
// For every corpus rule set: program it with `ipvsadm -R`, capture ipvsadm's views, then program
// it with the driver (flush + adds in one apply), capture again: identical; and driver.dump()
// equals the rule set both times. One netns for the whole file; the driver runs in a worker
// process inside it.
import test from 'ava';
import type {
  IpvsDestination,
  IpvsDestinationState,
  IpvsServiceState,
  IpvsTable,
  ServiceKey,
} from '../../../src/ipvs/model.js';
import { openDriverIn } from '../helpers/driver-host.js';
import type { RemoteKernel } from '../helpers/driver-host.js';
import { createNetns } from '../helpers/netns.js';
import type { Netns } from '../helpers/netns.js';
import { corpus, toIpvsadmRestore, toOps } from './corpus.js';
import type { CorpusSet } from './corpus.js';

let ns: Netns;
let kernel: RemoteKernel;

test.before(async () => {
  ns = createNetns('drv');
  kernel = await openDriverIn(ns);
});

test.after.always(async () => {
  await kernel?.shutdown();
  ns?.close();
});

/** Every ipvsadm view of the set, in one process spawn; `prelude` runs first. */
async function capture(set: CorpusSet, prelude = '', input?: string): Promise<string> {
  const views = ['ipvsadm -Sn', 'ipvsadm -Ln', ...set.views.map((v) => `ipvsadm -Ln --${v}`)];
  const script = `${prelude}${views.map((v) => `echo "=== ${v}" && ${v}`).join(' && ')}`;
  const r = await ns.run('sh', ['-c', script], input);
  if (r.code !== 0) throw new Error(`${set.name}: ipvsadm failed: ${r.stderr}`);
  return r.stdout;
}

/** A destination as configured (a dump's may carry counters). */
function configOnly(d: IpvsDestination): IpvsDestination {
  const {
    activeConns: _a,
    inactiveConns: _i,
    persistConns: _p,
    stats: _s,
    ...rest
  } = d as IpvsDestinationState;
  return rest;
}

/** A dump as a rule set: configuration only (no counters). */
function asTable(dump: IpvsServiceState[]): IpvsTable {
  return dump.map((s) => ({ service: s.service, destinations: s.destinations.map(configOnly) }));
}

test.serial('the corpus has at least 50 rule sets with unique names', (t) => {
  t.true(corpus.length >= 50, `${corpus.length} sets`);
  t.is(new Set(corpus.map((c) => c.name)).size, corpus.length);
});

for (const set of corpus) {
  test.serial(`corpus ${set.name}: driver and ipvsadm program identical tables`, async (t) => {
    const byIpvsadm = await capture(set, 'ipvsadm -R && ', `-C\n${toIpvsadmRestore(set.table)}`);
    t.deepEqual(asTable(await kernel.dump()), set.table, "driver.dump() of ipvsadm's table");

    const report = await kernel.apply([{ op: 'flush' }, ...toOps(set.table)]);
    t.is(report.failed?.error.message, undefined);
    t.is(report.applied.length, 1 + toOps(set.table).length);
    t.is(await capture(set), byIpvsadm, 'ipvsadm views after programming with the driver');
    t.deepEqual(asTable(await kernel.dump()), set.table, 'driver.dump() of its own table');
    // the drift check's reads: the services alone, then the destinations of chosen services
    const services = await kernel.dumpServices();
    t.deepEqual(
      services,
      set.table.map((e) => e.service),
      'dumpServices()',
    );
    const absent: ServiceKey = { kind: 'fwmark', family: 'inet', fwmark: 0x7ffffff0 };
    const dests = await kernel.dumpDestinations([absent, ...services.map((s) => s.key)]);
    // the kernel answers GET_DEST for a service it does not have with an empty dump, not ESRCH
    t.deepEqual(dests[0] ?? [], [], 'dumpDestinations() of a service the kernel does not have: none');
    t.deepEqual(
      dests.slice(1).map((ds) => ds?.map(configOnly)),
      set.table.map((e) => e.destinations),
      'dumpDestinations()',
    );
  });
}
