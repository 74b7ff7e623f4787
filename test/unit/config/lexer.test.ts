// SPDX-License-Identifier: Apache-2.0
// The keepalived source language: conditionals, parameters, comments, quotes, continuation,
// includes (on the real file system, in a temporary directory) and source locations.
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { type Token, lexSource } from '../../../src/config/lexer.js';
import { fsHost, parseConfigText } from '../../../src/config/load.io.js';
import { globSync } from '../../../src/config/source-files.io.js';
import { parseTokens } from '../../../src/config/parser.js';

function lex(text: string, configId = 'lvs1', env: Record<string, string> = {}) {
  const diags = new Diagnostics();
  const r = lexSource('t.conf', text, '/nonexistent/t.conf', fsHost, { configId, env }, diags);
  return { tokens: r.tokens, diags: diags.list };
}

/** Tokens as lines of words, e.g. [['a', 'b'], ['{'], ...]. */
function lines(tokens: Token[]): string[][] {
  const out: string[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'eol') out.push([]);
    else out[out.length - 1]?.push(t.text);
  }
  return out.filter((l) => l.length > 0);
}

const table: Array<{
  name: string;
  text: string;
  id?: string;
  env?: Record<string, string>;
  want: string[][];
}> = [
  { name: 'words and braces split', text: 'a b{c}d', want: [['a', 'b', '{', 'c', '}', 'd']] },
  {
    name: '# and ! comments',
    text: 'a # x\n! all\nb ! y\nc#notcomment',
    want: [['a'], ['b'], ['c#notcomment']],
  },
  {
    name: 'quoted string is one word',
    text: 'notify "/bin/x a b" root',
    want: [['notify', '/bin/x a b', 'root']],
  },
  { name: 'comment chars inside quotes', text: 'x "a # b ! c"', want: [['x', 'a # b ! c']] },
  { name: 'line continuation', text: 'a b \\\n  c\nd', want: [['a', 'b', 'c'], ['d']] },
  { name: '@id keeps the line for that id', text: '@lvs1 a 1\n@lvs2 a 2\nb', want: [['a', '1'], ['b']] },
  { name: '@^id drops the line for that id', text: '@^lvs1 a 1\n@^lvs2 a 2', want: [['a', '2']] },
  { name: '@id for the other director', text: '@lvs1 a 1\n@lvs2 a 2', id: 'lvs2', want: [['a', '2']] },
  {
    name: '$NAME and ${NAME}',
    text: '$IF=eth0\ninterface $IF\ndev ${IF}x',
    want: [
      ['interface', 'eth0'],
      ['dev', 'eth0x'],
    ],
  },
  { name: 'unknown $NAME is left as written', text: 'script "echo $HOME"', want: [['script', 'echo $HOME']] },
  { name: 'parameters expand recursively', text: '$A=1\n$B=$A ${A}\nx $B', want: [['x', '1', '1']] },
  {
    name: 'expansion happens at use, not at definition (man page example)',
    text: '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32',
    want: [['10.2.0.100/32'], ['10.2.10.100/32']],
  },
  { name: '$NAME only when followed by whitespace', text: '$IP=1\nx $IP.2 $IP', want: [['x', '$IP.2', '1']] },
  { name: 'a space before = is not a definition', text: '$X =1', want: [['$X', '=1']] },
  {
    name: 'conditional definitions',
    text: '@lvs1 $P=240\n@lvs2 $P=200\npriority $P',
    want: [['priority', '240']],
  },
  {
    name: 'a parameter can expand to a conditional',
    text: '$IF_MAIN=@lvs2\n$IF_MAIN priority 240\n$IF_ME=@lvs1\n$IF_ME priority 100',
    want: [['priority', '100']],
  },
  {
    name: 'multi-line values can define parameters for the lines after them (nested)',
    text:
      '$RS= \\\nreal_server 10.0.0.${N} 80 { \\\n}\n' +
      '$VS= \\\nvirtual_server 10.0.9.1 80 { \\\n$N=1 \\\n$RS \\\n$N=2 \\\n$RS \\\n}\n$VS',
    want: [
      ['virtual_server', '10.0.9.1', '80', '{'],
      ['real_server', '10.0.0.1', '80', '{'],
      ['}'],
      ['real_server', '10.0.0.2', '80', '{'],
      ['}'],
      ['}'],
    ],
  },
  {
    name: 'multi-line definition expands to several lines',
    text: '$VIPS=10.0.0.1 \\\n10.0.0.2\nvirtual_ipaddress {\n$VIPS\n}',
    want: [['virtual_ipaddress', '{'], ['10.0.0.1'], ['10.0.0.2'], ['}']],
  },
  { name: '${_ENV NAME}', text: 'router_id ${_ENV RID}', env: { RID: 'r1' }, want: [['router_id', 'r1']] },
  {
    name: '${_HASH} and ${_BANG} are not comments',
    text: 'x ${_HASH}1 ${_BANG}2',
    want: [['x', '#1', '!2']],
  },
];

for (const row of table) {
  test(`lexer: ${row.name}`, (t) => {
    const r = lex(row.text, row.id, row.env);
    t.deepEqual(r.diags, []);
    t.deepEqual(lines(r.tokens), row.want);
  });
}

test('lexer: CRLF line ends, tabs and a byte order mark', (t) => {
  const r = lex('\ufeffa\tb\r\n\tc {\r\n}\r\n');
  t.deepEqual(r.diags, []);
  t.deepEqual(lines(r.tokens), [['a', 'b'], ['c', '{'], ['}']]);
  t.deepEqual(r.tokens[0]?.loc, { file: 't.conf', line: 1, col: 1 });
});

test('lexer: tokens carry file, line and column; substituted text is located at its $', (t) => {
  const r = lex('$IF=eth0\n  interface   $IF\n@lvs1   prio 1');
  const words = r.tokens.filter((x) => x.kind === 'word');
  t.deepEqual(
    words.map((w) => [w.text, w.loc.line, w.loc.col]),
    [
      ['interface', 2, 3],
      ['eth0', 2, 15],
      ['prio', 3, 9],
      ['1', 3, 14],
    ],
  );
  t.is(words[0]?.loc.file, 't.conf');
});

test('lexer: continuation keeps columns of the next physical line', (t) => {
  const r = lex('a \\\n   b');
  const b = r.tokens.find((x) => x.text === 'b');
  t.deepEqual(b?.loc, { file: 't.conf', line: 2, col: 4 });
});

test('lexer: undefined ${NAME} is a warning and stays; unsupported built-ins are errors', (t) => {
  const r = lex('$D=1\nx ${NOPE} $D\ny ${_RANDOM}');
  t.deepEqual(
    r.diags.map((d) => [d.severity, d.line, d.col, d.message]),
    [
      ['warning', 2, 3, 'undefined parameter ${NOPE} is left as written'],
      ['error', 3, 3, 'built-in parameter ${_RANDOM} is not supported by lvsd'],
    ],
  );
  t.deepEqual(lines(r.tokens)[0], ['x', '${NOPE}', '1']);
});

test('lexer: self-referencing and exponential parameters stop with one error', (t) => {
  for (const def of ['$A=$A', '$A=${A}${A}${A}${A}${A}${A}${A}${A}', '$A=${A} \\\n${A}']) {
    const r = lex(`${def}\nx $A\ny 1`);
    t.is(r.diags.length, 1, def);
    t.regex(r.diags[0]?.message ?? '', /expands recursively or too much/);
    t.deepEqual(lines(r.tokens).at(-1), ['y', '1']);
  }
});

test('parser: brace on the next line opens the block of the previous statement', (t) => {
  const diags = new Diagnostics();
  const { tokens } = lex('vrrp_instance VI_1\n{\n  state MASTER\n}');
  const ast = parseTokens(tokens, diags);
  t.deepEqual(diags.list, []);
  t.is(ast.length, 1);
  t.is(ast[0]?.keyword, 'vrrp_instance');
  t.deepEqual(
    ast[0]?.block?.map((n) => [n.keyword, ...n.args.map((a) => a.text)]),
    [['state', 'MASTER']],
  );
});

test('parser: one-line blocks and nested blocks', (t) => {
  const diags = new Diagnostics();
  const { tokens } = lex('a { b { c 1 } d }');
  const ast = parseTokens(tokens, diags);
  t.deepEqual(diags.list, []);
  t.is(ast[0]?.block?.[0]?.block?.[0]?.keyword, 'c');
  t.is(ast[0]?.block?.[1]?.keyword, 'd');
});

test('parser: absurdly deep nesting is one located error, not a stack overflow', (t) => {
  const diags = new Diagnostics();
  const { tokens } = lex(`${'a {\n'.repeat(50_000)}${'}\n'.repeat(50_000)}b 1\n`);
  const ast = parseTokens(tokens, diags);
  t.deepEqual(
    diags.list.map((d) => [d.line, d.message]),
    [[65, 'blocks nested more than 64 deep']],
  );
  t.is(ast.at(-1)?.keyword, 'b', 'parsing goes on after the skipped block');
});

function withTmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-conf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const inst = (name: string, vrid: number): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    10.0.0.${vrid}\n  }\n}\n`;

test('include: globs relative to the including file, in sorted order, nested', (t) => {
  const dir = withTmp(t);
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'conf.d', 'sub'));
  writeFileSync(join(dir, 'conf.d', 'b.conf'), inst('VI_B', 2));
  writeFileSync(join(dir, 'conf.d', 'a.conf'), `${inst('VI_A', 1)}include sub/*.conf\n`);
  writeFileSync(join(dir, 'conf.d', 'sub', 'c.conf'), inst('VI_C', 3));
  writeFileSync(join(dir, 'conf.d', 'skip.txt'), 'garbage {');
  const main = join(dir, 'main.conf');
  const text = 'include conf.d/*.conf\n';
  writeFileSync(main, text);
  const r = parseConfigText(text, main, { configId: 'x', env: {} });
  t.deepEqual(r.diagnostics, []);
  t.deepEqual(
    r.model?.vrrpInstances.map((i) => i.name),
    ['VI_A', 'VI_C', 'VI_B'],
  );
  t.deepEqual(r.model?.files, [
    main,
    join(dir, 'conf.d/a.conf'),
    join(dir, 'conf.d/sub/c.conf'),
    join(dir, 'conf.d/b.conf'),
  ]);
  t.is(r.model?.vrrpInstances[1]?.loc.file, join(dir, 'conf.d/sub/c.conf'));
});

test('include: a glob matching nothing is a warning (lvsd is stricter than keepalived); a missing plain file is an error', (t) => {
  const dir = withTmp(t);
  const main = join(dir, 'main.conf');
  const text = 'include none/*.conf\ninclude missing.conf\n';
  writeFileSync(main, text);
  const r = parseConfigText(text, main, { env: {} });
  t.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.code, d.line, d.col, d.message]),
    [
      [
        'warning',
        'LVSD_E_CONFIG_IO',
        1,
        9,
        `no file matches ${join(dir, 'none/*.conf')}: ${join(dir, 'none')} does not exist; nothing is included`,
      ],
      [
        'error',
        'LVSD_E_CONFIG_IO',
        2,
        9,
        `cannot read included file ${join(dir, 'missing.conf')}: no such file`,
      ],
    ],
  );
});

test('include: a cycle through a symlink is detected by real path', (t) => {
  const dir = withTmp(t);
  writeFileSync(join(dir, 'a.conf'), 'include link.conf\n');
  symlinkSync(join(dir, 'a.conf'), join(dir, 'link.conf'));
  const main = join(dir, 'a.conf');
  const r = parseConfigText('include link.conf\n', main, { env: {} });
  t.is(r.diagnostics.length, 1);
  t.regex(r.diagnostics[0]?.message ?? '', /include cycle/);
});

test('globSync: *, ? and [..] per segment; hidden files only when asked', (t) => {
  const dir = withTmp(t);
  for (const f of ['a1.conf', 'a2.conf', 'b1.conf', '.h.conf']) writeFileSync(join(dir, f), '');
  t.deepEqual(globSync(`${dir}/a?.conf`).paths, [`${dir}/a1.conf`, `${dir}/a2.conf`]);
  t.deepEqual(globSync(`${dir}/[ab]1.conf`).paths, [`${dir}/a1.conf`, `${dir}/b1.conf`]);
  t.deepEqual(globSync(`${dir}/*.conf`).paths, [`${dir}/a1.conf`, `${dir}/a2.conf`, `${dir}/b1.conf`]);
  t.deepEqual(globSync(`${dir}/.*.conf`).paths, [`${dir}/.h.conf`]);
});
