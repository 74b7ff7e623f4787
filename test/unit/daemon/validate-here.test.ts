// SPDX-License-Identifier: Apache-2.0
// The supervisor validates a small file in its own process (no Node start per reload) and hands any
// other to the child; either way the answer must be the child's, finding for finding and byte for byte.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';
import {
  largeConfig,
  smallConfigLimits,
  validateForSupervisor,
  validateSmallConfigHere,
} from '../../../src/daemon/validate-here.js';

const etc = (name: string): string => fileURLToPath(new URL(`../../../../etc/${name}`, import.meta.url));

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-here-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A config of `services` virtual servers with 10 reals each (~1 KiB per virtual server). */
function lvsConfig(services: number): string {
  const out: string[] = [];
  for (let i = 0; i < services; i++) {
    out.push(
      `virtual_server 10.1.${(i >> 8) & 255}.${i & 255} 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`,
    );
    for (let j = 1; j <= 10; j++)
      out.push(`  real_server 192.168.${i & 255}.${j} 8080 {\n    weight ${j}\n  }`);
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/** What each case's answer holds: a model or not, and which severities its findings have. */
type Expect = { model: boolean; severities: Array<'error' | 'warning'> } | undefined;
/** A case's file: written into the test's directory with `text` (which may name that directory). */
const written =
  (name: string, text: (dir: string) => string) =>
  (dir: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text(dir));
    return f;
  };
const cases: Array<[string, Expect, (dir: string) => string]> = [
  // its host warnings depend on the machine's interfaces: the same on both sides is the point
  ['a sample config (VRRP and NAT)', undefined, () => etc('lvs-nat.conf')],
  ['a sample config (DR)', undefined, () => etc('lvs-dr.conf')],
  ['a valid file', { model: true, severities: [] }, written('ok.conf', () => lvsConfig(20))],
  [
    // `nopreempt` on a BACKUP is fine, on a MASTER it is a warning; an unused @id line is one too
    'a file with warnings',
    { model: true, severities: ['warning'] },
    written(
      'warn.conf',
      () =>
        'vrrp_instance VI {\n  state MASTER\n  nopreempt\n  interface lo\n  virtual_router_id 9\n  priority 100\n' +
        '  virtual_ipaddress {\n    192.0.2.9/32\n  }\n}\nglobal_defs {\n@nosuchhost router_id x\n}\n',
    ),
  ],
  [
    'a file with errors',
    { model: false, severities: ['error'] },
    written(
      'bad.conf',
      () => 'virtual_server 10.0.0.1 80 {\n  lb_algo nosuch\n  real_server 10.0.0.2 {\n}\n',
    ),
  ],
  [
    'a file the host checks refuse (a missing MISC_CHECK script)',
    { model: false, severities: ['error'] },
    written(
      'host.conf',
      (dir) =>
        'virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    MISC_CHECK {\n' +
        `      misc_path "${join(dir, 'no-such-script')}"\n    }\n  }\n}\n`,
    ),
  ],
  ['a file that cannot be read', { model: false, severities: ['error'] }, (dir) => join(dir, 'missing.conf')],
  [
    // 20,000 physical lines joined by \ (the child's limit is 100,000; not lowered here)
    'a line continued over 20,000 lines',
    { model: true, severities: [] },
    written('continued.conf', () => `global_defs {\n  router_id lvs1 \\\n${' \\\n'.repeat(20_000)}\n}\n`),
  ],
];

for (const [name, expect, make] of cases) {
  test(`in this process, the child's answer: ${name}`, async (t) => {
    const file = make(tempDir(t));
    const o = { configFile: file, configId: 'lvs1', lenient: false };
    const [here, child] = await Promise.all([
      validateSmallConfigHere(o),
      validateConfigInChild({ ...o, view: 'files' }),
    ]);
    if (!here) return t.fail('a small file was not validated here');
    if (expect) {
      t.is(here.model !== undefined, expect.model);
      t.deepEqual([...new Set(here.diagnostics.map((d) => d.severity))], expect.severities);
    }
    t.deepEqual(here.diagnostics, child.diagnostics);
    t.deepEqual(here.model, child.model);
    t.is(here.files?.whole.toString('utf8'), child.files?.whole.toString('utf8'));
    t.is(here.files?.vrrp.toString('utf8'), child.files?.vrrp.toString('utf8'));
    return undefined;
  });
}

test('a file past the small limits, or limits set in the environment, go to the child', async (t) => {
  const dir = tempDir(t);
  const big = join(dir, 'big.conf');
  writeFileSync(big, lvsConfig(600));
  const small = join(dir, 'small.conf');
  writeFileSync(small, lvsConfig(20));
  const o = (configFile: string) => ({ configFile, configId: 'lvs1', lenient: false });
  t.is(await validateSmallConfigHere(o(big)), undefined, `over ${smallConfigLimits.maxBytes} bytes`);
  // many small includes: the file count limit
  const inc = join(dir, 'many.conf');
  for (let i = 0; i < 70; i++)
    writeFileSync(join(dir, `part-${i}.inc`), `virtual_server 10.2.0.${i} 80 {\n}\n`);
  writeFileSync(inc, `include ${join(dir, 'part-*.inc')}\n`);
  t.is(await validateSmallConfigHere(o(inc)), undefined, `more than ${smallConfigLimits.maxFiles} files`);
  t.truthy(await validateSmallConfigHere(o(small)));
  // the environment's limits: raised, the small ones still hold here; lowered, they hold here too
  // (the child then answers, with its finding); malformed, the child answers (its warning)
  t.is(await validateSmallConfigHere(o(big), { LVSD_CONFIG_MAX_BYTES: '64M' }), undefined, 'raised');
  t.truthy(await validateSmallConfigHere(o(small), { LVSD_CONFIG_MAX_TOKENS: '2000000' }), 'raised');
  t.is(await validateSmallConfigHere(o(small), { LVSD_CONFIG_MAX_BYTES: '1K' }), undefined, 'lowered');
  t.is(await validateSmallConfigHere(o(small), { LVSD_CONFIG_MAX_FILES: 'many' }), undefined, 'malformed');
  // the supervisor's validation answers the big file all the same, as the child does
  const [sup, child] = await Promise.all([
    validateForSupervisor(o(big)),
    validateConfigInChild({ ...o(big), view: 'files' }),
  ]);
  t.is(sup.model?.virtualServers.length, 600);
  t.true(sup.model?.virtualServers.every((vs) => vs.realServers.length === 0));
  t.is(sup.files?.whole.toString('utf8'), child.files?.whole.toString('utf8'));
  t.deepEqual(sup.diagnostics, child.diagnostics);
});

test.serial(
  'a raised limit in the environment: still validated here, and ${_ENV} reads it as the child does',
  async (t) => {
    const dir = tempDir(t);
    const f = join(dir, 'env.conf');
    writeFileSync(f, 'global_defs {\n  router_id r${_ENV LVSD_CONFIG_MAX_TOKENS}\n}\n');
    const before = process.env['LVSD_CONFIG_MAX_TOKENS'];
    process.env['LVSD_CONFIG_MAX_TOKENS'] = '2000000';
    t.teardown(() => {
      if (before === undefined) delete process.env['LVSD_CONFIG_MAX_TOKENS'];
      else process.env['LVSD_CONFIG_MAX_TOKENS'] = before;
    });
    const o = { configFile: f, configId: 'lvs1', lenient: false };
    const [here, child] = await Promise.all([
      validateSmallConfigHere(o),
      validateConfigInChild({ ...o, view: 'files' }),
    ]);
    if (!here) return t.fail('not validated here');
    t.is(here.model?.global.routerId, 'r2000000');
    t.deepEqual(here.diagnostics, child.diagnostics);
    t.is(here.files?.whole.toString('utf8'), child.files?.whole.toString('utf8'));
    return undefined;
  },
);

test('a configuration is large, for starting a child ahead, past the small bytes or files in all', (t) => {
  const dir = tempDir(t);
  const part = (name: string, bytes: number): string => {
    const f = join(dir, name);
    writeFileSync(f, '#'.repeat(bytes));
    return f;
  };
  const small = part('main.conf', 1000);
  t.false(largeConfig([small]));
  // many includes, each small: their sum
  const parts = Array.from({ length: 5 }, (_, i) => part(`p${i}.conf`, 60 * 1024));
  t.true(largeConfig([small, ...parts]), '301 KiB in all');
  t.false(largeConfig([small, ...parts.slice(0, 3)]), '181 KiB in all');
  t.false(largeConfig([small, parts[0]!, parts[0]!, parts[0]!, parts[0]!, parts[0]!]), 'a file counted once');
  t.true(largeConfig(Array.from({ length: 65 }, () => small)), 'more files than the small limit');
  t.false(largeConfig([join(dir, 'gone.conf')]), 'a file gone since');
});
