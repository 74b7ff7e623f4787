// SPDX-License-Identifier: Apache-2.0
// Every config under the shared keepalived vectors and etc/ passes `bin/lvsd check-config`
// (the real CLI, as an operator runs it), as each director named by its @conditionals.
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));
// Copies of the shared keepalived lab vectors (../shared/vectors/keepalived-conf/), kept in the repo so a
// fresh clone in CI checks them too.
const vectors = `${root}test/fixtures/conf/vectors/`;

function confs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.conf'))
      .map((f) => dir + f);
  } catch {
    return [];
  }
}

const files = [...confs(`${root}etc/`), ...confs(vectors), `${root}test/fixtures/conf/ok/full.conf`];

test('there are samples to check (etc/ has the five lab pairs, plus the keepalived vectors)', (t) => {
  t.true(confs(`${root}etc/`).length >= 5);
  t.true(confs(vectors).length >= 14);
});

for (const file of files) {
  const ids = [
    ...new Set(
      [...readFileSync(file, 'utf8').matchAll(/^\s*@\^?([A-Za-z0-9_.-]+)/gm)].map((m) => m[1] ?? ''),
    ),
  ];
  for (const id of ids.length ? ids : ['lvs1']) {
    test(`check-config ${file.replace(root, '')} --config-id ${id}`, async (t) => {
      const r = await run(`${root}bin/lvsd`, ['check-config', '-f', file, '--config-id', id], { cwd: root });
      t.is(r.stderr, '');
      t.regex(r.stdout, /: OK \(/);
    });
  }
}
