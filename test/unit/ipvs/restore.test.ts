// SPDX-License-Identifier: Apache-2.0
// `ipvsadm -S` text -> ops / table, and the `lvsd ipvs` command against an in-memory kernel.
// (The same command runs against the real kernel in test/vm/ipvs/cli.test.ts.)
import test from 'ava';
import fc from 'fast-check';
import { captureIo } from '../../../src/cli/io.js';
import { runIpvs } from '../../../src/cli/commands/ipvs.js';
import type { IpvsCliDeps } from '../../../src/cli/commands/ipvs.js';
import { parseRestore, restoreLines, restoreToTable } from '../../../src/ipvs/restore.js';
import { emptyNameTables, resolverFromTables } from '../../../src/ipvs/names.io.js';
import { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';

const save = [
  '-A -t 10.0.0.1:80 -s rr',
  '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 1',
  '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2',
  '-A -f 5 -s wlc -p 60',
  '',
].join('\n');

test('restoreLines: blanks, # lines and the word ipvsadm are dropped', (t) => {
  t.deepEqual(
    [...restoreLines('# saved\n\nipvsadm -A -t 1.2.3.4:80\n  -C \r\n')],
    [
      { line: 3, args: ['-A', '-t', '1.2.3.4:80'] },
      { line: 4, args: ['-C'] },
    ],
  );
});

test('restoreLines: line by line, as splitting the whole text at once would (property)', (t) => {
  const whole = (text: string): { line: number; args: string[] }[] =>
    text
      .split('\n')
      .map((raw, i) => ({ raw, line: i + 1 }))
      .filter(({ raw }) => !raw.startsWith('#'))
      .map(({ raw, line }) => ({
        line,
        args: raw.split(/[ \t\r]+/).filter((a) => a !== '' && a !== 'ipvsadm'),
      }))
      .filter(({ args }) => args.length > 0);
  const piece = fc.constantFrom('\n', '\r\n', ' ', '\t', '#', '-a', 'ipvsadm', '-t', '1.2.3.4:80', 'x');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
      const text = parts.join('');
      t.deepEqual([...restoreLines(text)], whole(text));
    }),
  );
});

test('parseRestore: every line an op; a bad line is reported with its number and nothing else', (t) => {
  const r = parseRestore(save);
  t.true(r.ok);
  if (r.ok)
    t.deepEqual(
      r.value.map((o) => o.op),
      ['addService', 'addDest', 'addDest', 'addService'],
    );
  t.deepEqual(parseRestore('-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w x\n'), {
    ok: false,
    error: { line: 2, message: 'illegal weight specified' },
  });
  t.deepEqual(parseRestore('-Ln\n'), {
    ok: false,
    error: { line: 1, message: "'-Ln' cannot be used in restore input" },
  });
});

test('restoreToTable: kernel rules apply (duplicate service, real without service)', (t) => {
  const r = restoreToTable(save);
  t.true(r.ok);
  if (r.ok) {
    t.is(r.value.length, 2);
    t.deepEqual(
      r.value[0]!.destinations.map((d) => d.address),
      ['10.0.1.2', '10.0.1.1'],
      'insertion order kept, as the kernel keeps it',
    );
  }
  t.deepEqual(restoreToTable('-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80\n'), {
    ok: false,
    error: { line: 2, message: 'Service already exists' },
  });
  t.deepEqual(restoreToTable('-a -t 10.0.0.1:80 -r 10.0.0.2\n'), {
    ok: false,
    error: { line: 1, message: 'Service not defined' },
  });
});

function deps(kernel: FakeIpvsKernel, files: Record<string, string> = {}, conns = ''): IpvsCliDeps {
  return {
    openKernel: () => Promise.resolve(kernel),
    readConnections: () => Promise.resolve(conns),
    readFile: (p) => (p in files ? Promise.resolve(files[p]!) : Promise.reject(new Error('ENOENT'))),
    resolver: () => resolverFromTables(emptyNameTables()),
  };
}

async function lvsd(kernel: FakeIpvsKernel, argv: string, stdin = '', files: Record<string, string> = {}) {
  const io = captureIo(stdin);
  const code = await runIpvs(argv.split(' ').filter(Boolean), io, deps(kernel, files));
  return { code, out: io.out, err: io.err };
}

test('lvsd ipvs: ipvsadm verbs then list -n and save -n', async (t) => {
  const k = new FakeIpvsKernel();
  t.is((await lvsd(k, '-A -t 10.0.0.1:80 -s rr')).code, 0);
  t.is((await lvsd(k, '-a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 3')).code, 0);
  t.is((await lvsd(k, '-e -t 10.0.0.1:80 -r 10.0.1.1 -m -w 4')).code, 0);
  const l = await lvsd(k, 'list -n');
  t.is(
    l.out,
    'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  10.0.0.1:80 rr\n' +
      '  -> 10.0.1.1:80                  Masq    4      0          0         \n',
  );
  t.is((await lvsd(k, 'save -n')).out, '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 4\n');
  t.is((await lvsd(k, '-Sn')).out, '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 4\n');
  t.true(k.closed, 'the kernel handle is closed after each command');
});

test('lvsd ipvs: usage errors exit 2 with ipvsadm wording; kernel errors exit 1', async (t) => {
  const k = new FakeIpvsKernel();
  t.deepEqual(await lvsd(k, '-A -t 10.0.0.1:80 -w 3'), {
    code: 2,
    out: '',
    err: "Illegal 'weight' option with the 'add-service' command\n",
  });
  t.deepEqual(await lvsd(k, '--bogus'), {
    code: 2,
    out: '',
    err: "Try `lvsd ipvs -h' or 'lvsd ipvs --help' for more information.\n",
  });
  const e = await lvsd(k, '-a -t 10.0.0.1:80 -r 10.0.1.1');
  t.is(e.code, 1);
  t.regex(e.err, /^Service not defined\n/);
  t.is(k.log.length, 0);
});

test('lvsd ipvs list --timeout / --daemon / -c / -L -t', async (t) => {
  const k = new FakeIpvsKernel();
  await lvsd(k, '--set 100 20 30');
  t.is((await lvsd(k, 'list --timeout')).out, 'Timeout (tcp tcpfin udp): 100 20 30\n');
  await lvsd(k, '--start-daemon master --mcast-interface eth1 --syncid 3');
  t.is((await lvsd(k, '-L --daemon')).out, 'master sync daemon (mcast=eth1, syncid=3)\n');
  t.is((await lvsd(k, '-Ln -t 10.0.0.9:80')).err, 'No such service\n');
  const io = captureIo();
  const conns = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';
  t.is(await runIpvs(['-Lnc'], io, deps(k, {}, conns)), 0);
  t.is(
    io.out,
    'IPVS connection entries\npro expire state       source             virtual            destination\n',
  );
});

test('lvsd ipvs restore: flush + lines as one batch; a bad line applies nothing', async (t) => {
  const k = new FakeIpvsKernel();
  await lvsd(k, '-A -t 10.9.9.9:80');
  const r = await lvsd(k, 'restore', save);
  t.is(r.code, 0);
  t.is(k.batches, 2);
  t.is((await lvsd(k, 'save -n')).out.split('\n')[0], '-A -t 10.0.0.1:80 -s rr');
  t.false((await lvsd(k, 'save -n')).out.includes('10.9.9.9'), 'flushed first');
  const before = k.log.length;
  const bad = await lvsd(k, 'restore', '-A -t 10.0.0.2:80\n-A -t nope\n');
  t.is(bad.code, 2);
  t.is(bad.err, 'lvsd ipvs restore: line 2: illegal virtual server address[:port] specified\n');
  t.is(k.log.length, before);
  t.is((await lvsd(k, '-R', '-A -t 10.0.0.3:80\n')).code, 0, '-R = restore without flush');
  t.true((await lvsd(k, 'save -n')).out.includes('-A -t 10.0.0.3:80 -s wlc'));
  t.true((await lvsd(k, 'save -n')).out.includes('-A -t 10.0.0.1:80 -s rr'));
});

test('lvsd ipvs apply: plan, --dry-run, idempotence, one changed real = one op', async (t) => {
  const k = new FakeIpvsKernel();
  await lvsd(k, '-A -t 10.5.5.5:80 -s rr');
  const dry = await lvsd(k, 'apply rules --dry-run', '', { rules: save });
  t.is(dry.code, 0);
  t.is(
    dry.out,
    'ipvsadm -A -t 10.0.0.1:80 -s rr\n' +
      'ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2\n' +
      'ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 1\n' +
      'ipvsadm -A -f 5 -s wlc -p 60 -M 255.255.255.255\n' +
      '# 4 operations (2 addService, 2 addDest), not applied (--dry-run)\n',
  );
  t.is(k.log.length, 1);
  t.is((await lvsd(k, 'apply rules', '', { rules: save })).code, 0);
  t.is(k.log.length, 5);
  t.is((await lvsd(k, 'apply rules', '', { rules: save })).out, '# 0 operations\n');
  const changed = save.replace('10.0.1.2:80 -m -w 1', '10.0.1.2:80 -m -w 7');
  const one = await lvsd(k, 'apply rules', '', { rules: changed });
  t.is(one.out, 'ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 7\n# 1 operation (1 editDest)\n');
  t.is(k.log.length, 6);
  t.true((await lvsd(k, 'save -n')).out.includes('10.5.5.5'), 'services not in FILE are left alone');
  const all = await lvsd(k, 'apply rules --own-all', '', { rules: changed });
  t.is(all.out, 'ipvsadm -D -t 10.5.5.5:80\n# 1 operation (1 delService)\n');
  const bad = await lvsd(k, 'apply nofile');
  t.is(bad.code, 2);
  t.regex(bad.err, /cannot read nofile/);
});
