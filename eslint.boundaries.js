// SPDX-License-Identifier: Apache-2.0
// The design's import boundaries as lint rules, derived from file names and folders (a new file
// cannot escape them; there is no list of files to keep):
// - a module is pure unless its name ends in `.io.ts` or it lives in src/daemon/ or src/cli/;
//   a pure module imports no I/O (node's I/O modules, netlink) and no `.io` module;
// - nothing imports src/daemon/ or src/cli/, except the CLI, which calls into the daemon;
// - VRRP never imports ipvs/ (IPVS stays warm on both nodes);
// - no import cycles anywhere in src/;
// - no function over 120 lines; files in src/daemon/ (which only composes) at most 350 lines.
// eslint.config.js uses these; test/unit/lint/boundaries.test.ts proves each rule can fail.
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const ioModules = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:dgram',
  'node:child_process',
  'node:tls',
  'node:http',
  'node:https',
  'node:os',
  'node:timers',
  'node:timers/promises',
  'node:dns',
  'node:worker_threads',
  'node:process',
  'node:cluster',
  'node:module',
  'node:readline',
  'netlink',
];

const rules = {
  io: {
    paths: ioModules.map((name) => ({
      name,
      message: 'a pure module does no I/O: move this into an .io.ts module',
    })),
  },
  shell: {
    group: ['**/*.io.js', '*.io.js'],
    message: 'a pure module must not import an .io module (inject a port)',
  },
  daemon: { group: ['**/daemon/**', '**/cli/**'], message: 'nothing imports daemon/ or cli/' },
  cli: { group: ['**/cli/**'], message: 'the daemon never imports the CLI (the CLI calls in)' },
  ipvs: { group: ['**/ipvs/**'], message: 'VRRP never imports ipvs/ (keep IPVS warm on both nodes)' },
};

/** One `no-restricted-imports` setting from the named restrictions (a later config replaces an earlier one). */
function restrict(...names) {
  const patterns = names.filter((n) => n !== 'io').map((n) => rules[n]);
  return {
    'no-restricted-imports': ['error', { paths: names.includes('io') ? rules.io.paths : [], patterns }],
  };
}

const io = 'src/**/*.io.ts';

/** Import cycles (import-x resolves the `.js` specifiers to the `.ts` sources). */
export const noCycle = {
  plugins: { 'import-x': importX },
  settings: {
    'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })],
    // without these, import-x skips .ts dependencies and finds no cycle at all
    'import-x/extensions': ['.ts', '.js'],
    'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
  },
  rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
};

export const boundaries = [
  {
    files: ['src/**/*.ts'],
    ignores: ['src/daemon/**', 'src/cli/**', io],
    rules: restrict('io', 'shell', 'daemon'),
  },
  { files: [io], ignores: ['src/daemon/**', 'src/cli/**'], rules: restrict('daemon') },
  { files: ['src/vrrp/**/*.ts'], ignores: [io], rules: restrict('io', 'shell', 'daemon', 'ipvs') },
  { files: ['src/vrrp/**/*.io.ts'], rules: restrict('daemon', 'ipvs') },
  { files: ['src/daemon/**/*.ts'], rules: restrict('cli') },
  { files: ['src/**/*.ts'], ...noCycle },
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/daemon/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 350, skipBlankLines: false, skipComments: false }] },
  },
];
