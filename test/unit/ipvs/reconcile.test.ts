// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import fc from 'fast-check';
import type {
  IpvsDestination,
  IpvsService,
  IpvsServiceEntry,
  IpvsTable,
  ServiceKey,
} from '../../../src/ipvs/model.js';
import ipaddr from 'ipaddr.js';
import {
  addressSortKey,
  compareDestinations,
  compareServices,
  noSchedulerFlags,
  serviceId,
  sortByServiceKey,
  sortDestinations,
} from '../../../src/ipvs/model.js';
import { reconcile } from '../../../src/ipvs/reconcile.js';
import { entry, real, svc, tcp } from './table-fixtures.js';
import { applyOpToTable } from '../../../src/ipvs/table-model.js';

const vs1 = tcp('10.0.0.1', 80);
const vs2 = tcp('10.0.0.2', 443);

interface Row {
  name: string;
  desired: IpvsTable;
  actual: IpvsTable;
  opts?: Parameters<typeof reconcile>[2];
  expect: ReturnType<typeof reconcile>;
}

const rows: Row[] = [
  { name: 'empty to empty', desired: [], actual: [], expect: [] },
  {
    name: 'new service: service first, then reals in canonical order',
    desired: [
      entry(svc(vs1), [real('10.1.0.3'), real('10.1.0.10'), real('10.1.0.2', 8080), real('10.1.0.2', 81)]),
    ],
    actual: [],
    expect: [
      { op: 'addService', service: svc(vs1) },
      { op: 'addDest', key: vs1, dest: real('10.1.0.2', 81) },
      { op: 'addDest', key: vs1, dest: real('10.1.0.2', 8080) },
      { op: 'addDest', key: vs1, dest: real('10.1.0.3') },
      { op: 'addDest', key: vs1, dest: real('10.1.0.10') },
    ],
  },
  {
    name: 'scheduler change is one SET, reals untouched',
    desired: [entry(svc(vs1, 'wrr'), [real('10.1.0.1')])],
    actual: [entry(svc(vs1, 'rr'), [real('10.1.0.1')])],
    expect: [{ op: 'editService', service: svc(vs1, 'wrr') }],
  },
  {
    name: 'persistence added is a SET',
    desired: [entry(svc(vs1, 'rr', { persistence: { timeout: 300, netmask: '255.255.255.0' } }), [])],
    actual: [entry(svc(vs1), [])],
    expect: [
      {
        op: 'editService',
        service: svc(vs1, 'rr', { persistence: { timeout: 300, netmask: '255.255.255.0' } }),
      },
    ],
  },
  {
    name: 'weight change is one editDest',
    desired: [entry(svc(vs1), [real('10.1.0.1', 80, { weight: 5 }), real('10.1.0.2')])],
    actual: [entry(svc(vs1), [real('10.1.0.1'), real('10.1.0.2')])],
    expect: [{ op: 'editDest', key: vs1, dest: real('10.1.0.1', 80, { weight: 5 }) }],
  },
  {
    name: 'forwarding method change is an editDest (the kernel updates conn_flags)',
    desired: [entry(svc(vs1), [real('10.1.0.1', 80, { method: 'droute' })])],
    actual: [entry(svc(vs1), [real('10.1.0.1')])],
    expect: [{ op: 'editDest', key: vs1, dest: real('10.1.0.1', 80, { method: 'droute' }) }],
  },
  {
    name: 'real port change is an identity change: delete, then add',
    desired: [entry(svc(vs1), [real('10.1.0.1', 8080)])],
    actual: [entry(svc(vs1), [real('10.1.0.1', 80)])],
    expect: [
      { op: 'delDest', key: vs1, dest: { family: 'inet', address: '10.1.0.1', port: 80 } },
      { op: 'addDest', key: vs1, dest: real('10.1.0.1', 8080) },
    ],
  },
  {
    name: 'removed real is quiesced with removeReal=quiesce',
    desired: [entry(svc(vs1), [real('10.1.0.1')])],
    actual: [entry(svc(vs1), [real('10.1.0.1'), real('10.1.0.2', 80, { weight: 3 })])],
    opts: { removeReal: 'quiesce' },
    expect: [{ op: 'editDest', key: vs1, dest: real('10.1.0.2', 80, { weight: 0 }) }],
  },
  {
    name: 'already quiesced real needs nothing',
    desired: [entry(svc(vs1), [])],
    actual: [entry(svc(vs1), [real('10.1.0.2', 80, { weight: 0 })])],
    opts: { removeReal: 'quiesce' },
    expect: [],
  },
  {
    name: 'service not in desired is left alone by default',
    desired: [entry(svc(vs1), [])],
    actual: [entry(svc(vs1), []), entry(svc(vs2), [real('10.1.0.9', 443)])],
    expect: [],
  },
  {
    name: "owned: 'all' deletes foreign services with one delService",
    desired: [entry(svc(vs1), [])],
    actual: [entry(svc(vs1), []), entry(svc(vs2), [real('10.1.0.9', 443)])],
    opts: { owned: 'all' },
    expect: [{ op: 'delService', key: vs2 }],
  },
  {
    name: 'owned set of ids deletes only those',
    desired: [],
    actual: [entry(svc(vs1), []), entry(svc(vs2), [])],
    opts: { owned: new Set([serviceId(vs2)]) },
    expect: [{ op: 'delService', key: vs2 }],
  },
  {
    name: 'within a service: deletions, then edits, then additions',
    desired: [entry(svc(vs1), [real('10.1.0.3'), real('10.1.0.1', 80, { weight: 2 })])],
    actual: [entry(svc(vs1), [real('10.1.0.1'), real('10.1.0.2')])],
    expect: [
      { op: 'delDest', key: vs1, dest: { family: 'inet', address: '10.1.0.2', port: 80 } },
      { op: 'editDest', key: vs1, dest: real('10.1.0.1', 80, { weight: 2 }) },
      { op: 'addDest', key: vs1, dest: real('10.1.0.3') },
    ],
  },
  {
    name: 'tunnel defaults compare equal (kernel reports ipip with nocsum)',
    desired: [entry(svc(vs1), [real('10.1.0.1', 80, { method: 'tunnel' })])],
    actual: [
      entry(svc(vs1), [
        real('10.1.0.1', 80, { method: 'tunnel', tunnel: { type: 'ipip', checksum: 'nocsum', port: 0 } }),
      ]),
    ],
    expect: [],
  },
  {
    name: 'GUE port change is an editDest',
    desired: [
      entry(svc(vs1), [
        real('10.1.0.1', 80, { method: 'tunnel', tunnel: { type: 'gue', port: 6081, checksum: 'csum' } }),
      ]),
    ],
    actual: [
      entry(svc(vs1), [
        real('10.1.0.1', 80, { method: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
      ]),
    ],
    expect: [
      {
        op: 'editDest',
        key: vs1,
        dest: real('10.1.0.1', 80, {
          method: 'tunnel',
          tunnel: { type: 'gue', port: 6081, checksum: 'csum' },
        }),
      },
    ],
  },
];

for (const r of rows) {
  test(`reconcile: ${r.name}`, (t) => {
    t.deepEqual(reconcile(r.desired, r.actual, r.opts), r.expect);
  });
}

test('reconcile ignores kernel counters on actual destinations', (t) => {
  const actual = [
    {
      service: svc(vs1),
      destinations: [{ ...real('10.1.0.1'), activeConns: 7, inactiveConns: 3, persistConns: 1 }],
    },
  ];
  t.deepEqual(reconcile([entry(svc(vs1), [real('10.1.0.1')])], actual), []);
});

// ---- properties ------------------------------------------------------------------------------

const addrArb = fc.constantFrom('10.0.0.1', '10.0.0.2', '192.168.1.1', '2001:db8::1', '2001:db8::2');
const keyArb: fc.Arbitrary<ServiceKey> = fc.oneof(
  fc.record({
    kind: fc.constant('addr' as const),
    family: fc.constant('inet' as const),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const),
    address: fc.constantFrom('10.9.0.1', '10.9.0.2'),
    port: fc.constantFrom(80, 443),
  }),
  fc.record({
    kind: fc.constant('fwmark' as const),
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    fwmark: fc.constantFrom(1, 2),
  }),
);
const destArb: fc.Arbitrary<IpvsDestination> = fc
  .record({
    address: addrArb,
    port: fc.constantFrom(80, 8080),
    method: fc.constantFrom('masq' as const, 'droute' as const, 'tunnel' as const),
    weight: fc.integer({ min: 0, max: 5 }),
    upperThreshold: fc.constantFrom(0, 100),
    lowerThreshold: fc.constantFrom(0, 10),
  })
  .map((d) => ({ ...d, family: d.address.includes(':') ? ('inet6' as const) : ('inet' as const) }));
const serviceArb: fc.Arbitrary<IpvsServiceEntry> = fc
  .record({
    key: keyArb,
    scheduler: fc.constantFrom('rr', 'wrr', 'mh'),
    persistent: fc.boolean(),
    flag1: fc.boolean(),
    dests: fc.uniqueArray(destArb, { selector: (d) => `${d.address}|${d.port}`, maxLength: 5 }),
  })
  .map((r) => {
    const service: IpvsService = {
      key: r.key,
      scheduler: r.scheduler,
      flags: { ...noSchedulerFlags, flag1: r.flag1 },
    };
    if (r.persistent)
      service.persistence = { timeout: 300, netmask: r.key.family === 'inet' ? '255.255.255.255' : 128 };
    return { service, destinations: r.dests };
  });
const tableArb = fc.uniqueArray(serviceArb, { selector: (e) => serviceId(e.service.key), maxLength: 4 });

/** Order-insensitive view of a table: what "equal tables" means. */
function canon(t: IpvsTable): IpvsTable {
  return [...t]
    .map((e) => ({ service: e.service, destinations: [...e.destinations].sort(compareDestinations) }))
    .sort((a, b) => (serviceId(a.service.key) < serviceId(b.service.key) ? -1 : 1));
}

test('property: applying the plan to actual yields desired (owned: all), without kernel errors', (t) => {
  fc.assert(
    fc.property(tableArb, tableArb, (desired, actual) => {
      const model = structuredClone(actual);
      for (const op of reconcile(desired, actual, { owned: 'all' })) {
        if (applyOpToTable(model, op) !== undefined) return false;
      }
      t.deepEqual(canon(model), canon(desired));
      return true;
    }),
  );
});

test('property: a second reconcile is empty; new reals go in canonical order', (t) => {
  fc.assert(
    fc.property(tableArb, tableArb, (desired, actual) => {
      const model = structuredClone(actual);
      const plan = reconcile(desired, actual, { owned: 'all' });
      for (const op of plan) applyOpToTable(model, op);
      t.deepEqual(reconcile(desired, model, { owned: 'all' }), []);
      // addDest ops of one service appear in canonical order
      const byService = new Map<string, IpvsDestination[]>();
      for (const op of plan) {
        if (op.op !== 'addDest') continue;
        const id = serviceId(op.key);
        byService.set(id, [...(byService.get(id) ?? []), op.dest]);
      }
      for (const ds of byService.values()) t.deepEqual(ds, [...ds].sort(compareDestinations));
    }),
  );
});

test('property: default ownership never touches services absent from desired', (t) => {
  fc.assert(
    fc.property(tableArb, tableArb, (desired, actual) => {
      const want = new Set(desired.map((e) => serviceId(e.service.key)));
      for (const op of reconcile(desired, actual)) {
        const key = 'key' in op && op.key ? op.key : 'service' in op ? op.service.key : undefined;
        t.truthy(key);
        t.true(want.has(serviceId(key!)));
      }
    }),
  );
});

test('property: quiesce mode never deletes a real', (t) => {
  fc.assert(
    fc.property(tableArb, tableArb, (desired, actual) => {
      t.false(reconcile(desired, actual, { removeReal: 'quiesce' }).some((o) => o.op === 'delDest'));
    }),
  );
});

test('property: sortDestinations and sortByServiceKey (numbers for dotted quads) sort exactly as compareDestinations / compareServices', (t) => {
  // dotted quads written any way (leading zeros, parts > 255: compared by their text key), IPv6
  const quad = fc
    .tuple(
      ...[0, 1, 2, 3].map(() =>
        fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('010', '00', '256')),
      ),
    )
    .map((p) => p.join('.'));
  const address = fc.oneof(
    quad,
    fc.ipV4(),
    fc.ipV6().map((a) => ipaddr.parse(a).toString()),
  );
  const port = fc.integer({ min: 0, max: 65535 });
  const dest = fc.tuple(address, port).map(([a, p]) => real(a, p));
  const key: fc.Arbitrary<ServiceKey> = fc.oneof(
    fc.record({
      kind: fc.constant('addr' as const),
      family: fc.constantFrom('inet' as const, 'inet6' as const),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
      address,
      port,
    }),
    fc.record({
      kind: fc.constant('fwmark' as const),
      family: fc.constantFrom('inet' as const, 'inet6' as const),
      fwmark: fc.integer({ min: 1, max: 20 }),
    }),
  );
  fc.assert(
    fc.property(fc.array(dest, { maxLength: 40 }), (list) => {
      t.deepEqual(sortDestinations(list), [...list].sort(compareDestinations));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.array(key, { maxLength: 40 }), (list) => {
      const wrapped = list.map((k, i) => ({ k, i }));
      t.deepEqual(
        sortByServiceKey(wrapped, (w) => w.k),
        [...wrapped].sort((a, b) => compareServices(a.k, b.k)),
      );
    }),
    { numRuns: 500 },
  );
});

test('addressSortKey of any dotted quad (leading zeros, parts > 255) is the byte-wise hex key', (t) => {
  // The definition the fast path must keep: each part's Number as 2+ hex digits.
  const reference = (a: string): string =>
    `4${a
      .split('.')
      .map((p) => Number(p).toString(16).padStart(2, '0'))
      .join('')}`;
  const part = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')),
    fc.integer({ min: 256, max: 99999 }).map(String),
  );
  fc.assert(
    fc.property(fc.tuple(part, part, part, part), (parts) => {
      const address = parts.join('.');
      t.is(addressSortKey('inet', address), reference(address), address);
    }),
    { numRuns: 3000 },
  );
});
