// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): `lvsd ipvs` against ipvsadm 1.31 on the same
// kernel, for every rule set of the differential corpus (all sets in one table, see corpusUnion):
//  - programmed by ipvsadm, `lvsd ipvs list -n` (and --stats/--rate/--exact/--persistent-conn/views, and
//    the name-resolving -L/-S) and `save -n` print exactly what ipvsadm prints;
//  - programmed by `lvsd ipvs restore`, ipvsadm's own -Sn/-Ln listings are identical to the ipvsadm-made table;
//  - `ipvsadm-save -n` output restored by lvsd round-trips; `lvsd ipvs apply` of the same rules is 0 ops.
// The lvsd command runs in this process; its kernel is the real driver in a worker inside the netns.
import test from 'ava';
import { captureIo } from '../../../src/cli/io.js';
import { runIpvs } from '../../../src/cli/commands/ipvs.js';
import type { IpvsCliDeps } from '../../../src/cli/commands/ipvs.js';
import { loadNameResolver } from '../../../src/ipvs/names.io.js';
import type { IpvsKernel } from '../../../src/ipvs/ops.js';
import type { IpvsTable, ServiceKey } from '../../../src/ipvs/model.js';
import { serviceId } from '../../../src/ipvs/model.js';
import { openDriverIn } from '../helpers/driver-host.js';
import type { RemoteKernel } from '../helpers/driver-host.js';
import { createNetns } from '../helpers/netns.js';
import type { Netns } from '../helpers/netns.js';
import { corpus, toIpvsadmRestore } from './corpus.js';

let ns: Netns;
let kernel: RemoteKernel;

test.before(async () => {
  ns = createNetns('cli');
  kernel = await openDriverIn(ns);
});

test.after.always(async () => {
  await kernel?.shutdown();
  ns?.close();
});

const resolver = loadNameResolver();

function deps(): IpvsCliDeps {
  // The CLI closes its kernel after each command; the shared worker stays open.
  const k: IpvsKernel = { ...kernel, close: () => undefined };
  return {
    openKernel: () => Promise.resolve(k),
    readConnections: async () => (await ns.run('cat', ['/proc/net/ip_vs_conn'])).stdout,
    readFile: () => Promise.reject(new Error('not used')),
    resolver: () => resolver,
  };
}

async function lvsd(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(stdin);
  const code = await runIpvs(argv, io, deps());
  return { code, out: io.out, err: io.err };
}

/** Run several ipvsadm command lines in one shell in the netns; returns each one's stdout. */
async function ipvsadmViews(
  views: string[],
  prelude = '',
  input?: string,
): Promise<{ get(v: string): string }> {
  const script =
    prelude + views.map((v) => `echo "=== ${v}"; ipvsadm ${v} || echo "ipvsadm failed: $?"\n`).join('');
  const r = await ns.run('sh', ['-c', script], input);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`ipvsadm views failed (${r.code}): ${r.stderr}`);
  const out = new Map<string, string>();
  for (const block of r.stdout.split(/^=== /m).slice(1)) {
    const nl = block.indexOf('\n');
    out.set(block.slice(0, nl), block.slice(nl + 1));
  }
  return { get: (v) => out.get(v) ?? `<no output for ipvsadm ${v}>` };
}

const views = [
  '-Ln',
  '-Sn',
  '-L',
  '-Ln --stats',
  '-Ln --rate',
  '-Ln --stats --exact',
  '-Ln --persistent-conn',
  '-Ln --thresholds',
  '-Ln --tun-info',
];

/**
 * Every corpus set in one table (an ipvsadm call costs ~0.3 s in the VM, so the sets are checked
 * together rather than one by one): a set whose services collide with an earlier set's moves to
 * port/fwmark + 1000*k (its reals on the service port move with it).
 */
function corpusUnion(): IpvsTable {
  const used = new Set<string>();
  const out: IpvsTable = [];
  for (const set of corpus) {
    for (let k = 0; ; k++) {
      const shift = (key: ServiceKey): ServiceKey =>
        key.kind === 'fwmark'
          ? { ...key, fwmark: key.fwmark + 1000 * k }
          : { ...key, port: key.port + 1000 * k };
      const moved = set.table.map((e) => ({
        service: { ...e.service, key: shift(e.service.key) },
        destinations: e.destinations.map((d) =>
          e.service.key.kind === 'addr' && d.port === e.service.key.port
            ? { ...d, port: d.port + 1000 * k }
            : d,
        ),
      }));
      const ids = moved.map((e) => serviceId(e.service.key));
      if (ids.some((id) => used.has(id))) continue;
      ids.forEach((id) => used.add(id));
      out.push(...moved);
      break;
    }
  }
  return out;
}

test.serial(
  'corpus: lvsd ipvs listings = ipvsadm; lvsd-programmed table = ipvsadm-programmed; idempotent',
  async (t) => {
    const table = corpusUnion();
    t.true(table.length >= 100, `${table.length} services from ${corpus.length} rule sets`);
    const rules = toIpvsadmRestore(table);
    // 1. program with ipvsadm, capture every view, compare with lvsd's
    const byIpvsadm = await ipvsadmViews(views, 'ipvsadm -C && ipvsadm -R && ', rules);
    for (const v of views) {
      const mine = await lvsd(v.split(' '));
      t.is(mine.code, 0, `lvsd ipvs ${v}: ${mine.err}`);
      t.is(mine.out, byIpvsadm.get(v), `lvsd ipvs ${v} differs from ipvsadm ${v}`);
    }
    t.is((await lvsd(['save', '-n'])).out, byIpvsadm.get('-Sn'));
    t.is((await lvsd(['list', '-n', '--stats'])).out, byIpvsadm.get('-Ln --stats'));
    // 2. idempotence: applying the same rules to the ipvsadm-made table is a zero-op plan
    t.is((await lvsd(['apply', '-'], rules)).out, '# 0 operations\n');
    // 3. program with lvsd (flush + the same rules), compare ipvsadm's own listings
    const restored = await lvsd(['restore'], rules);
    t.is(restored.code, 0, restored.err);
    const check = ['-Sn', '-Ln', '-Ln --thresholds', '-Ln --tun-info'];
    const byLvsd = await ipvsadmViews(check);
    for (const v of check) t.is(byLvsd.get(v), byIpvsadm.get(v), `ipvsadm ${v} after lvsd restore`);
    // 4. restore round trip of ipvsadm-save -n output
    const saved = byIpvsadm.get('-Sn');
    t.is((await lvsd(['restore'], saved)).code, 0);
    t.is((await ipvsadmViews(['-Sn'])).get('-Sn'), saved);
    t.is((await lvsd(['apply', '-'], saved)).out, '# 0 operations\n');
  },
);

test.serial('a diff with one changed real touches exactly one kernel entry', async (t) => {
  const set = corpus.find((s) => s.name === 'many-services-batches')!;
  const rules = toIpvsadmRestore(set.table);
  const before = await ipvsadmViews(['-Sn', '-Ln --thresholds'], 'ipvsadm -C && ipvsadm -R && ', rules);
  const changed = rules.replace('-r 10.1.3.7:80 -g -w 2', '-r 10.1.3.7:80 -g -w 9');
  t.not(changed, rules);
  const r = await lvsd(['apply', '-'], changed);
  t.is(r.code, 0, r.err);
  t.is(r.out, 'ipvsadm -e -t 10.0.2.7:80 -r 10.1.3.7:80 -g -w 9\n# 1 operation (1 editDest)\n');
  const after = await ipvsadmViews(['-Sn', '-Ln --thresholds']);
  const diff = (a: string, b: string): string[] => {
    const x = a.split('\n');
    const y = b.split('\n');
    t.is(x.length, y.length);
    return x.flatMap((l, i) => (l === y[i] ? [] : [`${l} => ${y[i]}`]));
  };
  t.deepEqual(diff(before.get('-Sn'), after.get('-Sn')), [
    '-a -t 10.0.2.7:80 -r 10.1.3.7:80 -g -w 2 => -a -t 10.0.2.7:80 -r 10.1.3.7:80 -g -w 9',
  ]);
  t.deepEqual(diff(before.get('-Ln --thresholds'), after.get('-Ln --thresholds')), []);
});

test.serial('ipvsadm verbs through lvsd; timeouts and sync daemons read back by ipvsadm', async (t) => {
  t.is((await lvsd(['-C'])).code, 0);
  t.is((await lvsd(['-A', '-t', '10.0.9.1:80', '-s', 'rr', '-p', '-M', '255.255.255.0'])).code, 0);
  t.is(
    (await lvsd(['-a', '-t', '10.0.9.1:80', '-r', '10.0.9.2', '-m', '-w', '2', '-x', '50', '-y', '5'])).code,
    0,
  );
  t.is((await lvsd(['-E', '-t', '10.0.9.1:80', '-s', 'wrr', '-p', '60'])).code, 0);
  t.is((await lvsd(['-e', '-t', '10.0.9.1:80', '-r', '10.0.9.2', '-m', '-w', '3'])).code, 0);
  const dup = await lvsd(['-A', '-t', '10.0.9.1:80']);
  t.is(dup.code, 1);
  t.regex(dup.err, /^Service already exists\n/);
  t.is((await lvsd(['-Z', '-t', '10.0.9.1:80'])).code, 0);
  t.is((await lvsd(['--set', '1000', '100', '200'])).code, 0);
  t.is((await lvsd(['--start-daemon', 'master', '--mcast-interface', 'lo', '--syncid', '5'])).code, 0);
  const v = await ipvsadmViews(['-Sn', '-L --timeout', '-L --daemon']);
  t.is(v.get('-Sn'), '-A -t 10.0.9.1:80 -s wrr -p 60\n-a -t 10.0.9.1:80 -r 10.0.9.2:80 -m -w 3\n');
  t.is(v.get('-L --timeout'), 'Timeout (tcp tcpfin udp): 1000 100 200\n');
  t.is((await lvsd(['-L', '--timeout'])).out, v.get('-L --timeout'));
  t.regex(v.get('-L --daemon'), /^master sync daemon \(mcast=lo, syncid=5/);
  t.is((await lvsd(['list', '--daemon'])).out, v.get('-L --daemon'));
  t.is((await lvsd(['--stop-daemon', 'master'])).code, 0);
  t.is((await ipvsadmViews(['-L --daemon'])).get('-L --daemon'), '');
  t.is((await lvsd(['-d', '-t', '10.0.9.1:80', '-r', '10.0.9.2'])).code, 0);
  t.is((await lvsd(['-D', '-t', '10.0.9.1:80'])).code, 0);
  t.is((await ipvsadmViews(['-Sn'])).get('-Sn'), '');
  const c = await ipvsadmViews(['-Lnc']);
  t.is((await lvsd(['-Lnc'])).out, c.get('-Lnc'));
  await lvsd(['--set', '900', '120', '300']);
});
