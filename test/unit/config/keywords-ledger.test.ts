// SPDX-License-Identifier: Apache-2.0
// The keyword ledger (docs/keywords.md): the committed file is the generated one; every keepalived
// 2.2.7 keyword has a row; an implemented keyword names a consumer that exists; and every keyword the
// ledger calls rejected really is: check-config reports a located error at it (nothing the ledger
// rejects is accepted), and `--lenient` turns only keepalived's "not supported" ones into warnings.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keepalivedKeywords } from '../../../src/config/keywords/keepalived-2.2.7.js';
import { buildLedger, renderLedger, type LedgerRow } from '../../../src/config/keywords/ledger.js';
import { lvsdSections } from '../../../src/config/keywords/sections.js';
import { parseConfigText } from '../../../src/config/load.io.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const rows = buildLedger();

test('docs/keywords.md is the generated ledger (run `npm run keywords` after changing a keyword table)', (t) => {
  t.is(readFileSync(`${root}docs/keywords.md`, 'utf8'), renderLedger(rows));
});

test('no section lists a keyword both in its table and as "not supported" (a stale entry once a keyword is implemented)', (t) => {
  const both = lvsdSections().flatMap((s) =>
    s.keywords.filter((k) => s.unsupported.has(k)).map((k) => `${s.section} ${k}`),
  );
  t.deepEqual(both, []);
});

test('every keepalived 2.2.7 keyword has a row in its section', (t) => {
  const missing = Object.entries(keepalivedKeywords).flatMap(([section, kws]) =>
    kws
      .filter((k) => !rows.some((r) => r.section === section && r.keyword === k))
      .map((k) => `${section} ${k}`),
  );
  t.deepEqual(missing, []);
  t.true(rows.filter((r) => r.inKeepalived).length > 450);
});

test('an implemented keyword names its consumer, a module that exists outside src/config/ (or include.ts)', (t) => {
  const bad = rows
    .filter((r) => r.status === 'implemented')
    .filter((r) => {
      const file = /^src\/\S+\.ts/.exec(r.detail)?.[0];
      return !file || !existsSync(root + file);
    })
    .map((r) => `${r.section} ${r.keyword}: ${r.detail || '(none)'}`);
  t.deepEqual(bad, [], 'name the consumer in src/config/keywords/ledger-notes.ts');
});

test('BFD stays rejected, and the ledger says why and what to use instead', (t) => {
  for (const [section, kw] of [
    ['(top level)', 'bfd_instance'],
    ['vrrp_instance', 'track_bfd'],
    ['vrrp_sync_group', 'track_bfd'],
    ['virtual_server/real_server', 'BFD_CHECK'],
  ] as const) {
    const r = rows.find((x) => x.section === section && x.keyword === kw);
    t.is(r?.status, 'rejected', `${section} ${kw}`);
    t.regex(r?.detail ?? '', /RFC 5880.*FRR bfdd/s);
  }
});

const instance = [
  'vrrp_instance VI {',
  ' interface eth0',
  ' virtual_router_id 1',
  ' virtual_ipaddress {',
  '  10.0.0.1',
  ' }',
];
const vs = ['virtual_server 10.0.0.1 80 {'];
const rs = [...vs, ' real_server 10.0.1.1 80 {'];

/** A file with `KW 1` in the row's section: the lines before it and after it. */
function around(section: string): [string[], string[]] | undefined {
  const checker = /^virtual_server\/real_server\/(\w+)(\/url|\/host)?$/.exec(section);
  if (checker) {
    // a checker's `url { }` (needs a path) or SMTP_CHECK's deprecated `host { }`
    const sub = { '/url': ['   url {', '    path /'], '/host': ['   host {'] }[checker[2] ?? ''] ?? [];
    const open = [...rs, `  ${checker[1]} {`, ...sub];
    return [open, [...(sub.length ? ['   }'] : []), '  }', ' }', '}']];
  }
  const table: Record<string, [string[], string[]]> = {
    '(top level)': [[], []],
    global_defs: [['global_defs {'], ['}']],
    vrrp_script: [['vrrp_script s {', ' script /bin/true'], ['}']],
    vrrp_track_file: [['vrrp_track_file f {', ' file /tmp/f'], ['}']],
    track_file: [['track_file f {', ' file /tmp/f'], ['}']],
    vrrp_track_process: [['vrrp_track_process p {', ' process sshd'], ['}']],
    vrrp_instance: [instance, ['}']],
    'vrrp_instance/authentication': [
      [...instance, ' authentication {', '  auth_type PASS', '  auth_pass x'],
      [' }', '}'],
    ],
    vrrp_sync_group: [[...instance, '}', 'vrrp_sync_group G {', ' group {', '  VI', ' }'], ['}']],
    virtual_server: [vs, [' real_server 10.0.1.1 80 {', ' }', '}']],
    'virtual_server/real_server': [rs, [' }', '}']],
  };
  return table[section];
}

function checkRejected(row: LedgerRow, lenient: boolean) {
  const [before, after] = around(row.section) ?? [[], []];
  const text = [...before, `${row.keyword} 1`, ...after].join('\n') + '\n';
  const line = before.length + 1;
  const r = parseConfigText(text, 'ledger.conf', { configId: 'lvs1', env: {}, lenient });
  return r.diagnostics.filter(
    (d) => d.line === line && (d.keyword === row.keyword || d.message.includes(row.keyword)),
  );
}

const rejected = rows.filter((r) => r.status === 'rejected' && r.rejectedAs !== 'parent');

test('every keyword the ledger rejects is a located check-config error (a template for every section)', (t) => {
  t.true(rejected.length > 100);
  const sections = new Set(rejected.map((r) => r.section));
  t.deepEqual(
    [...sections].filter((s) => !around(s)),
    [],
  );
  const accepted = rejected
    .filter((r) => !checkRejected(r, false).some((d) => d.severity === 'error'))
    .map((r) => `${r.section} ${r.keyword}`);
  t.deepEqual(accepted, []);
});

test('with --lenient, keepalived keywords lvsd does not support are warnings; unknown ones stay errors', (t) => {
  const wrong = rejected
    .filter((r) => {
      const d = checkRejected(r, true);
      return r.rejectedAs === 'unsupported'
        ? !d.some((x) => x.severity === 'warning') || d.some((x) => x.severity === 'error')
        : !d.some((x) => x.severity === 'error');
    })
    .map((r) => `${r.section} ${r.keyword} (${r.rejectedAs})`);
  t.deepEqual(wrong, []);
});

test('a block lvsd rejects takes its keywords with it, and is itself a rejected row', (t) => {
  for (const r of rows.filter((x) => x.rejectedAs === 'parent')) {
    const parent = /`([^`]+)`/.exec(r.detail)?.[1] ?? '';
    const slash = parent.lastIndexOf('/');
    const [section, keyword] =
      slash < 0 ? ['(top level)', parent] : [parent.slice(0, slash), parent.slice(slash + 1)];
    t.is(rows.find((x) => x.section === section && x.keyword === keyword)?.status, 'rejected', r.detail);
  }
});
