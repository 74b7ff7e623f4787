// SPDX-License-Identifier: Apache-2.0
// Bounded loading, in process with small limits: each limit gives one located error and stops the
// expansion (no parser or schema noise after it); the limits an operator may raise come from the
// environment; findings are capped (the first in file order, then "N more").
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { Diagnostics, formatDiagnostic } from '../../../src/config/diagnostics.js';
import {
  type LoadLimits,
  defaultLimits,
  loadTimeoutMs,
  parseSize,
  resolveLimits,
} from '../../../src/config/limits.js';
import { type LoadOptions, loadConfig, parseConfigText } from '../../../src/config/load.io.js';

function withTmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-limits-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Write `files` (name -> text) into dir and load dir/main.conf; findings as printed, dir removed. */
async function load(
  dir: string,
  files: Record<string, string>,
  limits: Partial<LoadLimits>,
  opts: LoadOptions = {},
) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const r = await loadConfig(join(dir, 'main.conf'), { configId: 'x', env: {}, limits, ...opts });
  return { ...r, lines: r.diagnostics.map((d) => formatDiagnostic(d).replaceAll(`${dir}/`, '')) };
}

test('file count: the include that would read one file too many, and nothing after it', async (t) => {
  const dir = withTmp(t);
  const r = await load(
    dir,
    { 'main.conf': 'include a.conf\nbogus_keyword\n', 'a.conf': 'include b.conf\n', 'b.conf': '# b\n' },
    { maxFiles: 2 },
  );
  t.deepEqual(r.lines, [
    'a.conf:1:9: error: more than 2 configuration files to read (the limit; LVSD_CONFIG_MAX_FILES raises it)',
  ]);
  t.is(r.diagnostics[0]?.code, 'LVSD_E_CONFIG_LIMIT');
});

test('total bytes: the include that crosses it, or the main file itself at 1:1', async (t) => {
  const dir = withTmp(t);
  const big = `# ${'x'.repeat(200)}\n`;
  const inc = await load(
    dir,
    { 'main.conf': '# main\ninclude big.conf\n', 'big.conf': big },
    { maxBytes: 100 },
  );
  t.deepEqual(inc.lines, [
    `main.conf:2:9: error: big.conf takes the configuration past 100 bytes in all (the limit; LVSD_CONFIG_MAX_BYTES raises it)`,
  ]);
  const self = await load(dir, { 'main.conf': big }, { maxBytes: 100 });
  t.deepEqual(self.lines, [
    'main.conf:1:1: error: the file is 203 bytes, more than the 100 bytes a configuration may total (the limit; LVSD_CONFIG_MAX_BYTES raises it)',
  ]);
});

test('include depth and cycles keep their messages, each given once however many chains meet it', async (t) => {
  const dir = withTmp(t);
  const files: Record<string, string> = { 'main.conf': 'include d1.conf\n' };
  for (let i = 1; i <= 5; i++) files[`d${i}.conf`] = `include d${i + 1}.conf\n`;
  files['d6.conf'] = '# deep\n';
  const deep = await load(dir, files, { maxIncludeDepth: 4 });
  t.deepEqual(deep.lines, ['d3.conf:1:9: error: includes nested more than 4 deep']);
  // Four files that each include all four: one finding per include and file, not one per chain.
  const dir2 = withTmp(t);
  const fan: Record<string, string> = { 'main.conf': 'include f*.conf\n' };
  for (let i = 1; i <= 4; i++) fan[`f${i}.conf`] = 'include f*.conf\n';
  const r = await load(dir2, fan, {});
  t.is(r.lines.length, 4 * 4);
  t.true(
    r.lines.every((l) => /^f\d\.conf:1:9: error: include cycle: f\d\.conf is already being read$/.test(l)),
  );
});

test('words and braces: the one past the limit is located; parameter definitions count', (t) => {
  const limits = { maxTokens: 5 };
  const words = parseConfigText('a b c\nd e f\n', 'mem.conf', { configId: 'x', env: {}, limits });
  t.deepEqual(words.diagnostics.map(formatDiagnostic), [
    'mem.conf:2:5: error: more than 5 words, braces and parameter definitions in the configuration (the limit; LVSD_CONFIG_MAX_TOKENS raises it)',
  ]);
  const defs = parseConfigText('$A=1\n$B=2\n$C=3\n$D=4\n$E=5\n$F=6\n', 'mem.conf', {
    configId: 'x',
    env: {},
    limits,
  });
  t.deepEqual(
    defs.diagnostics.map((d) => [d.line, d.code]),
    [[6, 'LVSD_E_CONFIG_LIMIT']],
  );
});

test('a line continued over too many lines is one error; the lines after it are read', (t) => {
  const text = `a \\\n${'b \\\n'.repeat(20)}c\nbogus 1\n`;
  const r = parseConfigText(text, 'mem.conf', { configId: 'x', env: {}, limits: { maxContinuedLines: 10 } });
  t.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'mem.conf:1:1: error: a line continued with \\ over more than 10 lines',
    'mem.conf:23:1: error: unknown keyword `bogus` in the top level',
  ]);
});

test('directory entries listed for include patterns are bounded', async (t) => {
  const dir = withTmp(t);
  mkdirSync(join(dir, 'many'));
  for (let i = 0; i < 30; i++) writeFileSync(join(dir, 'many', `f${i}.txt`), '');
  const r = await load(dir, { 'main.conf': 'include many/*.conf\n' }, { maxDirEntries: 10 });
  t.deepEqual(r.lines, [
    'main.conf:1:9: error: include patterns listed more than 10 directory entries in all',
  ]);
});

test('expanded text counts against the byte limit: a few definitions cannot expand without bound', (t) => {
  const text = `$A=${'x'.repeat(40)}\n${'y $A\n'.repeat(5)}`;
  const r = parseConfigText(text, 'mem.conf', { configId: 'x', env: {}, limits: { maxBytes: 100 } });
  t.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'mem.conf:4:3: error: parameter expansion produced more than 100 bytes of text in all (the limit; LVSD_CONFIG_MAX_BYTES raises it)',
  ]);
});

test('virtual_server_group ranges expand to a bounded number of addresses', (t) => {
  const ranges = Array.from({ length: 300 }, (_, i) => `  10.${i >> 8}.${i & 255}.0/24\n`).join('');
  const r = parseConfigText(`virtual_server_group G {\n${ranges}}\n`, 'mem.conf', { configId: 'x', env: {} });
  t.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'mem.conf:258:3: error: `virtual_server_group`: ranges expand to more than 65536 addresses in all',
  ]);
});

test('findings are capped: the first in file order, then one line with how many more', async (t) => {
  const dir = withTmp(t);
  const text = Array.from({ length: 60 }, (_, i) => `bogus_${i}\n`).join('');
  const r = await load(dir, { 'main.conf': text }, {});
  t.is(r.diagnostics.length, defaultLimits.maxDiagnostics + 1);
  t.is(r.lines[0], 'main.conf:1:1: error: unknown keyword `bogus_0` in the top level');
  t.is(r.lines[49], 'main.conf:50:1: error: unknown keyword `bogus_49` in the top level');
  t.is(r.lines[50], 'main.conf: error: 10 more not shown (10 errors)');
  t.is(r.errorCount, 60);
  const io = captureIo();
  t.is(await main(['check-config', '-f', join(dir, 'main.conf')], io), 1);
  t.regex(io.err, /main\.conf: error: 10 more not shown \(10 errors\)\n.*main\.conf: 60 errors\n$/);
});

test('Diagnostics keeps the first in file order whatever the order found, builds only kept messages', (t) => {
  const d = new Diagnostics(2);
  let built = 0;
  const msg = (m: string) => () => {
    built++;
    return m;
  };
  for (const line of [9, 8, 7, 1, 5])
    d.add('error', 'LVSD_E_CONFIG_INVALID', { file: 'f', line, col: 1 }, `e${line}`);
  d.add('warning', 'LVSD_E_CONFIG_INVALID', { file: 'f', line: 99, col: 1 }, msg('late'));
  d.limit({ file: 'f', line: 50, col: 1 }, 'a limit');
  t.deepEqual(
    d.list.map((x) => x.message),
    ['e1', 'e5', 'a limit'],
  );
  t.is(built, 0, 'the message of a finding that is not kept is never built');
  t.deepEqual(d.omitted, { errors: 3, warnings: 1 });
  t.is(d.errorCount, 6);
  const long = new Diagnostics();
  long.error({ file: 'f', line: 1, col: 1 }, `unknown keyword \`${'a'.repeat(10_000)}\``);
  t.true((long.list[0]?.message.length ?? 0) < 2100);
});

test('limits from the environment: sizes with binary units; bad values are ignored with a warning', async (t) => {
  t.is(parseSize('64M'), 64 * 1024 * 1024);
  t.is(parseSize('512KiB'), 512 * 1024);
  t.is(parseSize('1000'), 1000);
  t.is(parseSize('1.5M'), undefined);
  const ok = resolveLimits({ LVSD_CONFIG_MAX_BYTES: '128M', LVSD_CONFIG_MAX_FILES: '5000' });
  t.like(ok.limits, { maxBytes: 128 * 1024 * 1024, maxFiles: 5000, maxTokens: defaultLimits.maxTokens });
  t.deepEqual(ok.problems, []);
  const dir = withTmp(t);
  const r = await load(dir, { 'main.conf': '# empty\n' }, {}, { env: { LVSD_CONFIG_MAX_TOKENS: 'lots' } });
  t.deepEqual(r.lines, [
    'LVSD_CONFIG_MAX_TOKENS: warning: ignored: expected a whole number from 1 to 10000000, got `lots`; the limit stays 1000000',
  ]);
  t.not(r.model, undefined);
  const tight = await load(dir, { 'main.conf': 'a b c\n' }, {}, { env: { LVSD_CONFIG_MAX_TOKENS: '2' } });
  t.regex(tight.lines[0] ?? '', /^main\.conf:1:5: error: more than 2 words/);
});

test('@ conditionals that name only other ids warn, with the ids and the id in use', async (t) => {
  const dir = withTmp(t);
  const inst =
    'vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1\n  }\n';
  const files = {
    'main.conf': `${inst}@lvs1 priority 200\n@lvs2 priority 100\n}\ninclude other.conf\n`,
    'other.conf': '$P=@lvs2\n$P global_defs {\n$P }\n',
  };
  const as = async (id: string) => (await load(dir, files, {}, { configId: id })).lines;
  t.deepEqual(await as('lvs1'), [
    'other.conf:2:1: warning: the `@` conditionals of this file name `lvs2`, none of which is the config id in use, ' +
      '`lvs1`: its @ID lines are skipped and its @^ID lines apply (--config-id sets the id; the default is the short hostname)',
  ]);
  t.deepEqual(await as('lvs2'), []);
  t.deepEqual(await as('debian'), [
    'main.conf:7:1: warning: the `@` conditionals of this file name `lvs1`, `lvs2`, none of which is the config id in use, ' +
      '`debian`: its @ID lines are skipped and its @^ID lines apply (--config-id sets the id; the default is the short hostname)',
    'other.conf:2:1: warning: the `@` conditionals of this file name `lvs2`, none of which is the config id in use, ' +
      '`debian`: its @ID lines are skipped and its @^ID lines apply (--config-id sets the id; the default is the short hostname)',
  ]);
});

test('the validator timeout: 120 s with the default limits, in proportion to the larger raised one', (t) => {
  t.is(loadTimeoutMs(defaultLimits), 120_000);
  // lowered limits do not shorten it: the timeout is a last resort, not a budget
  t.is(loadTimeoutMs({ maxTokens: 1_000, maxBytes: 1_024 }), 120_000);
  t.is(loadTimeoutMs({ ...defaultLimits, maxTokens: 10_000_000 }), 1_200_000);
  t.is(loadTimeoutMs({ maxTokens: 2_000_000, maxBytes: 256 * 1024 * 1024 }), 480_000);
  // what an operator's environment gives (the daemon's child and `lvsd reload` read the same)
  const { limits } = resolveLimits({ LVSD_CONFIG_MAX_TOKENS: '3500000' });
  t.is(loadTimeoutMs(limits), 420_000);
});
