// SPDX-License-Identifier: Apache-2.0
// Lint rules: type-aware typescript-eslint (no-floating-promises matters in a daemon) plus the
// import-boundary rules of the design (pure modules import no I/O; nothing imports daemon/ or cli/).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

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
  'netlink',
];
const noIo = {
  patterns: [
    { group: ['**/daemon/**', '**/cli/**'], message: 'pure modules must not import daemon/ or cli/' },
  ],
  paths: ioModules.map((name) => ({ name, message: 'pure module: no I/O imports (see design/style.md)' })),
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**', 'native/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/daemon/**', 'src/cli/**', 'src/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/daemon/**', '**/cli/**'], message: 'nothing imports daemon/ or cli/' }] },
      ],
    },
  },
  {
    files: ['src/vrrp/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/ipvs/**', '**/daemon/**', '**/cli/**'],
              message: 'VRRP never imports ipvs/ (keep IPVS warm on both nodes)',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/core/**/*.ts',
      'src/config/**/*.ts',
      'src/vrrp/{packet,timers,machine,sync-group,tracking,types,stats,ip,config}.ts',
      'src/check/result.ts',
      'src/ipvs/{model,reconcile,attrs,format,rules}.ts',
      'src/netlink/{codec,rtnl}.ts',
      'src/net/{garp,ndisc,wire}.ts',
    ],
    ignores: ['src/config/load.ts', 'src/config/*.io.ts'],
    rules: { 'no-restricted-imports': ['error', noIo] },
  },
  {
    files: ['src/vrrp/{packet,timers,machine,sync-group,tracking,types,stats,ip,config}.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...noIo,
          patterns: [
            ...noIo.patterns,
            { group: ['**/ipvs/**'], message: 'VRRP never imports ipvs/ (keep IPVS warm on both nodes)' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
