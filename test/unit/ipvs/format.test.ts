// SPDX-License-Identifier: Apache-2.0
// Golden output of the real ipvsadm 1.31 on the real kernel (test/fixtures/ipvs/ipvsadm-golden.sh run
// in scripts/ipvs-vm.sh), against lvsd's formatter fed the same table as data.
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { IpvsServiceState, IpvsTable } from '../../../src/ipvs/model.js';
import { noSchedulerFlags } from '../../../src/ipvs/model.js';
import {
  formatConnections,
  formatDaemons,
  formatList,
  formatListChunks,
  formatListService,
  formatSave,
  formatSaveChunks,
  formatTimeouts,
  glibcMergeSort,
  largeNum,
} from '../../../src/ipvs/format.js';
import { parseIpvsadmArgs } from '../../../src/ipvs/ipvsadm-args.js';
import { applyOpToTable } from '../../../src/ipvs/table-model.js';
import { idleState, syntheticTable } from '../../fakes/ipvs-table.js';
import {
  emptyNameTables,
  parseHosts,
  parseServices,
  resolverFromTables,
} from '../../../src/ipvs/names.io.js';

const fixtures = new URL('../../../../test/fixtures/ipvs/', import.meta.url);
const golden = readFileSync(new URL('ipvsadm-1.31-golden.txt', fixtures), 'utf8');
const script = readFileSync(new URL('ipvsadm-golden.sh', fixtures), 'utf8');

/** Sections of the golden file: `=== NAME` then text. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('=== ')) {
      name = line.slice(4).trim();
      out.set(name, '');
    } else if (name) out.set(name, out.get(name)! + line);
  }
  return out;
}
const sections0 = sections(golden);
const gold = { get: (k: string): string => sections0.get(k) ?? `<missing section ${k}>` };

/** The table the script built, through lvsd's own ipvsadm grammar and kernel model. */
function scriptTable(): IpvsServiceState[] {
  const table: IpvsTable = [];
  for (const line of script.split('\n')) {
    const m = line.match(/^ipvsadm (-[AaE] .*)$/);
    if (!m) continue;
    const r = parseIpvsadmArgs(m[1]!.split(' '));
    if (!r.ok || r.value.cmd !== 'op') throw new Error(`cannot parse ${line}: ${JSON.stringify(r)}`);
    const errno = applyOpToTable(table, r.value.op);
    if (errno) throw new Error(`${line}: ${errno}`);
  }
  return idleState(table);
}

// What glibc's files backend answers on the machine that produced the golden file.
const names = emptyNameTables();
parseHosts('127.0.0.1 localhost\n127.0.0.1 runsc\n', names);
parseServices(
  'ssh 22/tcp\ndomain 53/tcp\ndomain 53/udp\nhttp 80/tcp www # WWW\nhttps 443/tcp\nhttps 443/udp\n',
  names,
);
const resolver = resolverFromTables(names);
const info = { version: 0x010201, connTableSize: 4096 };

const views: [string, Parameters<typeof formatList>[2]][] = [
  ['', {}],
  ['--stats', { stats: true }],
  ['--rate', { rate: true }],
  ['--thresholds', { thresholds: true }],
  ['--persistent-conn', { persistentConn: true }],
  ['--tun-info', { tunInfo: true }],
];

for (const [flag, view] of views) {
  test(`ipvsadm -Ln ${flag} byte for byte`, (t) => {
    t.is(formatList(info, scriptTable(), { ...view, numeric: true }), gold.get(`-Ln ${flag}`.trim()));
  });
  test(`ipvsadm -L ${flag} (names from hosts/services) byte for byte`, (t) => {
    t.is(formatList(info, scriptTable(), { ...view, resolver }), gold.get(`-L ${flag}`.trim()));
  });
}

test('ipvsadm -Ln --stats --exact byte for byte', (t) => {
  t.is(
    formatList(info, scriptTable(), { stats: true, exact: true, numeric: true }),
    gold.get('-Ln --stats --exact'),
  );
});

test('ipvsadm -Sn and -S byte for byte', (t) => {
  t.is(formatSave(scriptTable(), { numeric: true }), gold.get('-Sn'));
  t.is(formatSave(scriptTable(), { resolver }), gold.get('-S'));
});

test('ipvsadm -Ln -t SERVICE byte for byte', (t) => {
  const s = scriptTable().find((e) => e.service.key.kind === 'addr' && e.service.key.address === '200.0.0.1');
  t.is(formatListService(s!, { numeric: true }), gold.get('-Ln -t'));
});

test('timeouts and daemons', (t) => {
  t.is(formatTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }), gold.get('timeout'));
  t.is(
    formatDaemons([
      { state: 'backup', interface: 'lo', syncId: 6, maxLen: 1024, group: '224.0.0.81', port: 9000, ttl: 3 },
      { state: 'master', interface: 'lo', syncId: 5, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
    ]),
    gold.get('daemon'),
  );
});

test('save output parses back to the same table (round trip through the grammar)', (t) => {
  const saved = formatSave(scriptTable(), { numeric: true });
  const table: IpvsTable = [];
  for (const line of saved.trim().split('\n')) {
    const r = parseIpvsadmArgs(line.split(' '));
    t.true(r.ok, line);
    if (r.ok && r.value.cmd === 'op') t.is(applyOpToTable(table, r.value.op), undefined);
  }
  const again = idleState(table);
  t.is(formatSave(again, { numeric: true }), saved);
});

test('print_largenum scaling and --exact widths', (t) => {
  t.is(largeNum(0n), '        0');
  t.is(largeNum(99999999n), ' 99999999');
  t.is(largeNum(100000000n), '  100000K');
  t.is(largeNum(1234567890n), '    1234M');
  t.is(largeNum(123456789012n), '     123G');
  t.is(largeNum(123456789012345n), '     123T');
  t.is(largeNum(123456789012n, true), ' 123456789012');
  t.is(largeNum(5n, true), '        5');
});

test("service sort is ipvsadm's wrapping compare run through glibc merge sort", (t) => {
  const order = scriptTable();
  const listed = formatSave(order, { numeric: true })
    .split('\n')
    .filter((l) => l.startsWith('-A'));
  t.deepEqual(listed.slice(0, 3), [
    '-A -t 200.0.0.1:443 -s rr',
    '-A -t 10.0.0.10:80 -s wlc -p 360 -M 255.255.255.0',
    '-A -t 127.0.0.1:22 -s fo',
  ]);
});

test('glibcMergeSort is a stable sort for consistent comparators', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer())), (xs) => {
      const sorted = glibcMergeSort(xs, (a, b) => a[0] - b[0]);
      const expected = [...xs].sort((a, b) => a[0] - b[0]);
      t.deepEqual(sorted, expected);
    }),
  );
});

test('-c listing from /proc/net/ip_vs_conn text', (t) => {
  const proc =
    'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n' +
    'TCP 0A010002 D431 0A000001 0050 0A020102 1F90 TIME_WAIT         61\n' +
    'TCP 2001:0db8:0000:0000:0000:0000:0000:0010 A000 2001:0db8:0000:0000:0000:0000:0000:0001 0050 2001:0db8:0000:0000:0000:0000:0000:0064 0050 ESTABLISHED     899\n';
  t.is(
    formatConnections(proc, { numeric: true }),
    'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination\n' +
      'TCP 01:01  TIME_WAIT   10.1.0.2:54321     10.0.0.1:80        10.2.1.2:8080\n' +
      'TCP 14:59  ESTABLISHED [2001:db8::10]:40960 [2001:db8::1]:80   [2001:db8::64]:80\n',
  );
  t.is(
    formatConnections(proc.split('\n').slice(0, 2).join('\n') + '\n', { resolver }),
    'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination\n' +
      'TCP 01:01  TIME_WAIT   10.1.0.2:54321     10.0.0.1:http      10.2.1.2:8080\n',
  );
});

test('names longer than the columns are cut where ipvsadm cuts them', (t) => {
  const long = emptyNameTables();
  parseHosts(
    '10.0.0.1 a-very-long-host-name-for-the-virtual-service.example.org\n10.0.0.2 real-server-with-a-long-name.example\n',
    long,
  );
  const s: IpvsServiceState = {
    service: {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
      scheduler: 'rr',
      flags: noSchedulerFlags,
    },
    destinations: [
      {
        family: 'inet',
        address: '10.0.0.2',
        port: 80,
        method: 'masq',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactiveConns: 0,
        persistConns: 0,
      },
    ],
  };
  const out = formatListService(s, { resolver: resolverFromTables(long) }).split('\n');
  t.is(out[2], 'TCP  a-very-long-host-name-for-th rr');
  t.is(out[3], '  -> real-server-with-a-long-name Masq    1      0          0         ');
});

// ---- properties over random tables -------------------------------------------------------------

// Addresses below 128.0.0.0 and fwmarks below 2^31: there ipvsadm's wrapping comparator is a total
// order, so its output does not depend on the order the kernel dumps entries in. (Beyond that the
// order depends on the kernel's hash order; see docs/ipvs.md.)
const v4 = fc.ipV4().filter((a) => Number(a.split('.')[0]) < 128);
const stateArb: fc.Arbitrary<IpvsServiceState[]> = fc
  .uniqueArray(
    fc.record({
      key: fc.oneof(
        fc.record({
          kind: fc.constant('addr' as const),
          family: fc.constant('inet' as const),
          protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
          address: v4,
          port: fc.integer({ min: 1, max: 65535 }),
        }),
        fc.record({
          kind: fc.constant('fwmark' as const),
          family: fc.constantFrom('inet' as const, 'inet6' as const),
          fwmark: fc.integer({ min: 1, max: 0x7fffffff }),
        }),
      ),
      scheduler: fc.constantFrom('rr', 'wlc', 'mh', 'sh'),
      flag1: fc.boolean(),
      persist: fc.option(fc.integer({ min: 1, max: 86400 })),
      reals: fc.uniqueArray(
        fc.tuple(v4, fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })),
        {
          selector: (r) => `${r[0]}|${r[1]}`,
          maxLength: 4,
        },
      ),
    }),
    { selector: (s) => JSON.stringify(s.key), maxLength: 6 },
  )
  .map((rows) =>
    rows.map((r) => ({
      service: {
        key: r.key,
        scheduler: r.scheduler,
        flags: { ...noSchedulerFlags, flag1: r.flag1 },
        ...(r.persist === null
          ? {}
          : {
              persistence: { timeout: r.persist, netmask: r.key.family === 'inet' ? '255.255.255.255' : 128 },
            }),
      },
      destinations: r.reals
        .filter(() => r.key.family === 'inet')
        .map(([address, port, weight]) => ({
          family: 'inet' as const,
          address,
          port: r.key.kind === 'addr' ? r.key.port : port,
          method: 'masq' as const,
          weight,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactiveConns: 0,
          persistConns: 0,
        })),
    })),
  );

test('property: save -n text parses back to the same save text (any table)', (t) => {
  fc.assert(
    fc.property(stateArb, (services) => {
      const saved = formatSave(services, { numeric: true });
      const table: IpvsTable = [];
      for (const line of saved.split('\n').filter(Boolean)) {
        const r = parseIpvsadmArgs(line.split(' '));
        if (!r.ok || r.value.cmd !== 'op') return false;
        if (applyOpToTable(table, r.value.op) !== undefined) return false;
      }
      const back = table.map((e) => ({
        service: e.service,
        destinations: e.destinations.map((d) => ({
          ...d,
          activeConns: 0,
          inactiveConns: 0,
          persistConns: 0,
        })),
      }));
      t.is(formatSave(back, { numeric: true }), saved);
      return true;
    }),
  );
});

test('property: every listing view formats any table without throwing, one line per entry', (t) => {
  fc.assert(
    fc.property(
      stateArb,
      fc.constantFrom('stats', 'rate', 'thresholds', 'persistentConn', 'tunInfo', ''),
      (services, view) => {
        const out = formatList(info, services, view ? { [view]: true, numeric: true } : { numeric: true });
        const entries = services.reduce((n, s) => n + 1 + s.destinations.length, 0);
        // version line + two title lines + one line per service and per real
        t.is(out.split('\n').length - 1, 3 + entries);
      },
    ),
  );
});

test('a large listing comes in pieces of about 64 KiB (never held whole), the same text as in one string', (t) => {
  const services = idleState(syntheticTable(3000, 10));
  const info = { version: 0x010201, connTableSize: 4096 };
  const list = [...formatListChunks(info, services, { numeric: true })];
  const save = [...formatSaveChunks(services, { numeric: true })];
  t.is(list.join(''), formatList(info, services, { numeric: true }));
  t.is(save.join(''), formatSave(services, { numeric: true }));
  // ~2.2 MB and ~1.6 MB of text: dozens of pieces, each one service's entry past 64 KiB at most
  t.true(list.length > 20 && save.length > 20, `${list.length} ${save.length}`);
  for (const piece of [...list, ...save]) t.true(piece.length < (1 << 16) + 1024, String(piece.length));
  t.is(list.join('').split('\n').length - 1, 3 + 3000 * 11);
});
