// SPDX-License-Identifier: Apache-2.0
/**
 * The design's boundaries are lint rules (eslint.boundaries.js); these fixtures prove each rule
 * can fail: an import cycle, a pure module importing an `.io` module or node's I/O, a daemon module
 * importing the CLI, VRRP importing IPVS, anything importing the daemon, and a function over 120
 * lines. The same rules pass on the same code placed where it is allowed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import test from 'ava';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'eslint.boundaries.js'))) dir = dirname(dir);
  return dir;
})();

interface BoundaryModule {
  boundaries: Linter.Config[];
  noCycle: Linter.Config;
}
const rules = (await import(pathToFileURL(join(root, 'eslint.boundaries.js')).href)) as BoundaryModule;

const parsing: Linter.Config = { languageOptions: { parser: tseslint.parser } };

async function lint(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [parsing, ...rules.boundaries],
  });
  const [r] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (r?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const rows: Array<{ name: string; file: string; code: string; fails?: RegExp }> = [
  {
    name: 'a pure module importing an .io module',
    file: 'src/vrrp/fixture.ts',
    code: "import { x } from '../script/runner.io.js';\nexport const y = x;\n",
    fails: /no-restricted-imports: .*pure module must not import an \.io module/,
  },
  {
    name: 'an .io module importing another',
    file: 'src/vrrp/fixture.io.ts',
    code: "import { x } from '../script/runner.io.js';\nexport const y = x;\n",
  },
  {
    name: "a pure module importing node's I/O",
    file: 'src/check/fixture.ts',
    code: "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n",
    fails: /no-restricted-imports: 'node:fs' .*pure module does no I\/O/,
  },
  {
    name: 'a new folder is pure by default',
    file: 'src/brand-new/fixture.ts',
    code: "import { spawn } from 'node:child_process';\nexport const y = spawn;\n",
    fails: /no-restricted-imports: 'node:child_process'/,
  },
  {
    name: 'the daemon importing the CLI',
    file: 'src/daemon/fixture.ts',
    code: "import { run } from '../cli/commands/run.js';\nexport const y = run;\n",
    fails: /no-restricted-imports: .*the daemon never imports the CLI/,
  },
  {
    name: 'the CLI importing the daemon',
    file: 'src/cli/fixture.ts',
    code: "import { run } from '../daemon/worker.js';\nexport const y = run;\n",
  },
  {
    name: 'an .io module importing the daemon',
    file: 'src/net/fixture.io.ts',
    code: "import { run } from '../daemon/worker.js';\nexport const y = run;\n",
    fails: /no-restricted-imports: .*nothing imports daemon\/ or cli\//,
  },
  {
    name: 'VRRP importing IPVS',
    file: 'src/vrrp/fixture.ts',
    code: "import { reconcile } from '../ipvs/reconcile.js';\nexport const y = reconcile;\n",
    fails: /no-restricted-imports: .*VRRP never imports ipvs/,
  },
  {
    name: 'a function over 120 lines',
    file: 'src/core/fixture.ts',
    code: `export function long(): number {\n  let n = 0;\n${'  n++;\n'.repeat(125)}  return n;\n}\n`,
    fails: /max-lines-per-function/,
  },
];

for (const row of rows) {
  test(`boundaries: ${row.name} ${row.fails ? 'fails' : 'passes'}`, async (t) => {
    const messages = await lint(row.file, row.code);
    if (row.fails)
      t.true(
        messages.some((m) => row.fails!.test(m)),
        messages.join('\n'),
      );
    else t.deepEqual(messages, []);
  });
}

test('boundaries: an import cycle fails (import-x/no-cycle)', async (t) => {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [parsing, { files: ['test/fixtures/lint/cycle/*.ts'], ...rules.noCycle }],
  });
  const results = await eslint.lintFiles([join(root, 'test/fixtures/lint/cycle/ping.ts')]);
  const messages = results.flatMap((r) => r.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`));
  t.true(
    messages.some((m) => /import-x\/no-cycle/.test(m)),
    messages.join('\n'),
  );
});

test('boundaries: the project itself passes them (no cycle anywhere in src/)', async (t) => {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [parsing, ...rules.boundaries],
  });
  const results = await eslint.lintFiles(['src/**/*.ts']);
  const messages = results.flatMap((r) =>
    r.messages.map((m) => `${r.filePath}: ${m.ruleId ?? 'parse'}: ${m.message}`),
  );
  t.deepEqual(messages, []);
});
