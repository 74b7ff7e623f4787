// SPDX-License-Identifier: Apache-2.0
// keepalived's include variants (`include`, `includer`, `includem`, `includew`, `includeb`,
// `includea`) and `include_check`, on the real file system in a temporary directory, with lvsd's
// own rules on top: read and a named file's existence always checked, a pattern that matches
// nothing always at least a warning, only regular non-executable files read.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { applyIncludeCheck, expandBraces } from '../../../src/config/include.js';
import { lexSource } from '../../../src/config/lexer.js';
import { fsHost, loadConfig, parseConfigText } from '../../../src/config/load.io.js';

function withTmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-inc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Expand `text` as `dir/main.conf`: the files read (relative to dir) and the findings. */
function expand(dir: string, text: string) {
  const main = join(dir, 'main.conf');
  writeFileSync(main, text);
  const diags = new Diagnostics();
  const r = lexSource(main, text, 'main', fsHost, { configId: 'x', env: {} }, diags);
  const rel = (s: string): string => s.replaceAll(`${dir}/`, '');
  return {
    files: r.files.slice(1).map(rel),
    diags: diags.list.map((d) => `${rel(d.file)}:${d.line}:${d.col}: ${d.severity}: ${rel(d.message)}`),
  };
}

/** dir/conf.d/ empty, dir/empty.d/ empty, dir/a.conf present, no b.conf, no none/. */
function layout(dir: string): void {
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', 'x.conf'), '# x\n');
  mkdirSync(join(dir, 'empty.d'));
  writeFileSync(join(dir, 'a.conf'), '# a\n');
}

const variants = ['include', 'includer', 'includem', 'includew', 'includeb', 'includea'] as const;
type Variant = (typeof variants)[number];

/** What each variant does in each situation: [severity and message, files read]. */
const situations: Array<{
  name: string;
  pattern: string;
  want: (v: Variant) => { diag?: string; files: string[] };
}> = [
  {
    name: 'a wildcard matching files',
    pattern: 'conf.d/*.conf',
    want: () => ({ files: ['conf.d/x.conf'] }),
  },
  {
    name: 'a wildcard in an empty directory',
    pattern: 'empty.d/*.conf',
    want: (v) =>
      v === 'includew' || v === 'includea'
        ? {
            diag: `error: no file matches empty.d/*.conf; nothing is included (\`${v}\` requires a match)`,
            files: [],
          }
        : { diag: 'warning: no file matches empty.d/*.conf; nothing is included', files: [] },
  },
  {
    name: 'a wildcard in a missing directory',
    pattern: 'none/*.conf',
    want: (v) => {
      const base = 'no file matches none/*.conf: none does not exist; nothing is included';
      if (v === 'includew' || v === 'includea')
        return { diag: `error: ${base} (\`${v}\` requires a match)`, files: [] };
      if (v === 'includem') return { diag: `error: ${base} (\`includem\` requires it)`, files: [] };
      return { diag: `warning: ${base}`, files: [] };
    },
  },
  {
    name: 'braces with one alternative missing',
    pattern: '{a,b}.conf',
    want: (v) =>
      v === 'includeb' || v === 'includea'
        ? {
            diag: `error: {a,b}.conf: b.conf does not exist; nothing is included (\`${v}\` requires every file)`,
            files: [],
          }
        : { diag: 'warning: {a,b}.conf: b.conf does not exist', files: ['a.conf'] },
  },
  {
    name: 'a named file that is missing',
    pattern: 'missing.conf',
    want: () => ({ diag: 'error: cannot read included file missing.conf: no such file', files: [] }),
  },
];

for (const s of situations) {
  for (const v of variants) {
    test(`${v} ${s.pattern} (${s.name})`, (t) => {
      const dir = withTmp(t);
      layout(dir);
      const r = expand(dir, `${v} ${s.pattern}\n`);
      const w = s.want(v);
      t.deepEqual(r.diags, w.diag ? [`main.conf:1:${v.length + 2}: ${w.diag}`] : []);
      t.deepEqual(r.files, w.files);
    });
  }
}

test('brace expansion: glibc order, nesting, a `{` without `}` is literal, bounded', (t) => {
  t.deepEqual(expandBraces('a{b,c}d', 10), ['abd', 'acd']);
  t.deepEqual(expandBraces('x{a,b}y{c,d}', 10), ['xayc', 'xayd', 'xbyc', 'xbyd']);
  t.deepEqual(expandBraces('{foo/{,cat,dog},bar}', 10), ['foo/', 'foo/cat', 'foo/dog', 'bar']);
  t.deepEqual(expandBraces('{a}', 10), ['a']);
  t.deepEqual(expandBraces('a{b', 10), ['a{b']);
  t.deepEqual(expandBraces('a\\{b,c}', 10), ['a\\{b,c}']);
  t.is(expandBraces('{a,b}{c,d}{e,f}', 7), undefined);
  t.is(expandBraces(`${'{a,b}'.repeat(40)}`, 1000), undefined, '2^40 patterns are refused, not built');
});

test('brace alternatives are read in their order, each sorted', (t) => {
  const dir = withTmp(t);
  for (const f of ['z1.conf', 'z2.conf', 'a1.conf', 'a2.conf']) writeFileSync(join(dir, f), '');
  const r = expand(dir, 'include {z,a}*.conf\n');
  t.deepEqual(r.diags, []);
  t.deepEqual(r.files, ['z1.conf', 'z2.conf', 'a1.conf', 'a2.conf']);
});

const loc = { file: 'f', line: 1, col: 1 };
const words = (...w: string[]) => w.map((text) => ({ text, loc }));
const [R, M, W, B] = [1, 2, 4, 8];

test('include_check words, as keepalived sets them', (t) => {
  const rows: Array<[string[], number, number, string[]]> = [
    [[], 0, R | M | W | B, []],
    [['match'], W | B, R | M, []],
    [['wildcard_match'], 0, R | W, []],
    [['+match', '-wildcard_match'], R | W, R | M, []],
    [
      ['read', 'match'],
      0,
      R,
      ['`include_check`: `match` after the first check needs + or - (keepalived ignores it)'],
    ],
    [
      ['readable'],
      R,
      0,
      ['`include_check`: unknown check `readable` (expected read, match, wildcard_match or brace_match)'],
    ],
  ];
  for (const [w, from, flags, problems] of rows) {
    const r = applyIncludeCheck(from, words(...w));
    t.is(r.flags, flags, w.join(' '));
    t.deepEqual(
      r.problems.map((p) => p.message),
      problems,
    );
  }
});

test('include_check in global_defs makes later plain includes strict; global_defs accepts it', (t) => {
  const dir = withTmp(t);
  layout(dir);
  const text =
    'include empty.d/*.conf\nglobal_defs {\n  include_check wildcard_match\n}\ninclude empty.d/*.conf\n';
  writeFileSync(join(dir, 'main.conf'), text);
  const r = parseConfigText(text, join(dir, 'main.conf'), { configId: 'x', env: {} });
  const p = join(dir, 'empty.d/*.conf');
  t.deepEqual(
    r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.severity}: ${d.message}`),
    [
      `1:9: warning: no file matches ${p}; nothing is included`,
      `5:9: error: no file matches ${p}; nothing is included (\`include_check\` in global_defs requires a match)`,
    ],
  );
});

test('include_check set in an included file ends with that file, as keepalived restores it', (t) => {
  const dir = withTmp(t);
  layout(dir);
  writeFileSync(join(dir, 'strict.conf'), 'global_defs {\n  include_check\n}\ninclude empty.d/*.conf\n');
  const r = expand(dir, 'include strict.conf\ninclude empty.d/*.conf\n');
  t.deepEqual(r.diags, [
    'main.conf:2:9: warning: no file matches empty.d/*.conf; nothing is included',
    'strict.conf:4:9: error: no file matches empty.d/*.conf; nothing is included (`include_check` in global_defs requires a match)',
  ]);
});

test('a bad include_check word is a located error', (t) => {
  const text = 'global_defs {\n  include_check readable\n}\n';
  const r = parseConfigText(text, 'mem.conf', { configId: 'x', env: {} });
  t.deepEqual(
    r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`),
    ['2:17: `include_check`: unknown check `readable` (expected read, match, wildcard_match or brace_match)'],
  );
});

test('only regular, non-executable files are read: FIFO, device, directory, executable refused at once', (t) => {
  const dir = withTmp(t);
  execFileSync('mkfifo', [join(dir, 'fifo.conf')]);
  writeFileSync(join(dir, 'exec.conf'), '# x\n');
  chmodSync(join(dir, 'exec.conf'), 0o755);
  mkdirSync(join(dir, 'dir.conf'));
  const r = expand(dir, 'include fifo.conf\ninclude /dev/zero\ninclude dir.conf\ninclude exec.conf\n');
  t.deepEqual(r.diags, [
    'main.conf:1:9: error: cannot read included file fifo.conf: not a regular file (a FIFO)',
    'main.conf:2:9: error: cannot read included file /dev/zero: not a regular file (a character device)',
    'main.conf:3:9: error: cannot read included file dir.conf: is a directory',
    'main.conf:4:9: error: cannot read included file exec.conf: is executable (keepalived reads no executable configuration file)',
  ]);
  t.deepEqual(r.files, []);
});

test('a wildcard reports a FIFO it matches, never hangs on or skips it; a directory is skipped with a warning (an error with the read check)', (t) => {
  const dir = withTmp(t);
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'conf.d', 'old.conf'));
  execFileSync('mkfifo', [join(dir, 'conf.d', 'pipe.conf')]);
  writeFileSync(join(dir, 'conf.d', 'ok.conf'), '# ok\n');
  const r = expand(dir, 'include conf.d/*.conf\n');
  t.deepEqual(r.diags, [
    'main.conf:1:9: warning: conf.d/old.conf is a directory: skipped',
    'main.conf:1:9: error: cannot read included file conf.d/pipe.conf: not a regular file (a FIFO)',
  ]);
  t.deepEqual(r.files, ['conf.d/ok.conf']);
  const strict = expand(dir, 'includer conf.d/*.conf\n');
  t.is(strict.diags[0], 'main.conf:1:10: error: conf.d/old.conf is a directory (`includer` requires files)');
});

test('a FIFO or device as the main file is unreadable (check-config exit 2), never read', async (t) => {
  const dir = withTmp(t);
  execFileSync('mkfifo', [join(dir, 'fifo.conf')]);
  for (const [path, kind] of [
    [join(dir, 'fifo.conf'), 'a FIFO'],
    ['/dev/zero', 'a character device'],
  ] as const) {
    const r = await loadConfig(path, { configId: 'x', env: {} });
    t.deepEqual(
      r.diagnostics.map((d) => [d.line, d.message]),
      [[0, `cannot read configuration: not a regular file (${kind})`]],
    );
  }
});
