// SPDX-License-Identifier: Apache-2.0
// Property: random mutations of valid configs never produce anything but located diagnostics:
// no throw, no hang, every finding has file:line:col and a config code, and the model is present
// exactly when there is no error. Includes go to an in-memory host so a mutated `include /...`
// cannot read the machine's files (the real file system is covered in lexer.test.ts).
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SourceHost } from '../../../src/config/lexer.js';
import { parseConfigText } from '../../../src/config/load.io.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const seeds = [
  ...readdirSync(`${root}etc`)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => readFileSync(`${root}etc/${f}`, 'utf8')),
  readFileSync(`${root}test/fixtures/conf/ok/full.conf`, 'utf8'),
];

const memFiles: Record<string, string> = {
  '/mem/inc.conf': 'vrrp_instance VI_INC {\n  interface eth0\n  virtual_router_id 200\n}\n',
  '/mem/self.conf': 'include self.conf\n',
};
const memHost: SourceHost = {
  readFile: (p, maxBytes) => {
    const text = memFiles[p];
    if (text === undefined) return { ok: false, reason: 'no such file', missing: true };
    if (text.length > maxBytes) return { ok: false, reason: 'too large', tooLarge: text.length };
    return { ok: true, text, id: p, bytes: text.length };
  },
  glob: (pattern) => {
    const names = Object.keys(memFiles);
    const paths = names.filter((p) => p.startsWith(pattern.replace(/\*.*$/, '')));
    return { paths, directories: [], missing: [], entriesRead: names.length, truncated: false };
  },
};

/** The one unlocated line allowed: "N more not shown" about the main file. */
const isSummary = (d: { code: string; line: number; file: string }): boolean =>
  d.code === 'LVSD_E_CONFIG_LIMIT' && d.line === 0 && d.file === '/mem/main.conf';

const fragments = [
  '{',
  '}',
  '"',
  '$',
  '${',
  '${X}',
  '$X=',
  '@lvs1 ',
  '@^lvs2 ',
  '\\',
  '\n',
  '#',
  '!',
  ' ',
  '0',
  '-1',
  '256',
  '0.015',
  '10.0.0.1',
  '::1',
  '/33',
  'include inc.conf\n',
  'include self.conf\n',
  'include *.conf\n',
  'virtual_server ',
  'real_server ',
  'vrrp_instance X {',
  'TCP_CHECK {',
  'weight ',
  'priority ',
  'group ',
  'fwmark ',
  'TUN type gue',
  'lb_kind ',
  '${_ENV HOME}',
  '${_RANDOM}',
  'constructor',
  '__proto__',
  'toString',
];

type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'dupLine'; line: number }
  | { op: 'dropLine'; line: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 6 })),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('dropLine' as const), line: fc.nat() }),
);

function apply(text: string, m: Mutation): string {
  switch (m.op) {
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.len);
    }
    case 'dupLine':
    case 'dropLine': {
      const lines = text.split('\n');
      const i = m.line % lines.length;
      if (m.op === 'dupLine') lines.splice(i, 0, lines[i] ?? '');
      else lines.splice(i, 1);
      return lines.join('\n');
    }
  }
}

test('mutated configs give only located diagnostics', (t) => {
  fc.assert(
    fc.property(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 8 }),
      (seed, ms) => {
        const text = ms.reduce(apply, seeds[seed] ?? '');
        // A hang would hit ava's timeout; no wall-clock assertion (the machine is shared).
        const r = parseConfigText(
          text,
          '/mem/main.conf',
          { configId: 'lvs1', env: { HOME: '/root' } },
          memHost,
        );
        const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
        if ((errors === 0) !== (r.model !== undefined)) throw new Error('model present iff no error');
        if ((r.errorCount === 0) !== (errors === 0)) throw new Error('errorCount agrees with the list');
        for (const d of r.diagnostics) {
          if (isSummary(d)) continue;
          if (!(d.line >= 1 && d.col >= 1 && d.file.startsWith('/mem/') && d.message.length > 0)) {
            throw new Error(`unlocated diagnostic ${JSON.stringify(d)}`);
          }
          if (!d.code.startsWith('LVSD_E_CONFIG_')) throw new Error(`bad code ${d.code}`);
        }
        JSON.stringify(r.model);
      },
    ),
    { numRuns: 400, seed: 20261125 },
  );
  t.pass();
});

test('random text (not derived from a config) never throws either', (t) => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...fragments, 'a', 'b', ' ', '\n'), maxLength: 60 }),
      (text) => {
        const r = parseConfigText(text, '/mem/main.conf', { configId: 'lvs1', env: {} }, memHost);
        for (const d of r.diagnostics) {
          if (!isSummary(d) && (d.line < 1 || d.col < 1)) throw new Error(JSON.stringify(d));
        }
      },
    ),
    { numRuns: 400, seed: 7 },
  );
  t.pass();
});
