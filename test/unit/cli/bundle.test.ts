// SPDX-License-Identifier: Apache-2.0
// The bundle bin/lvsd loads (scripts/bundle.ts) keeps the lazy imports lazy: what a process loads
// at start is the static-import closure of its entry's chunk, read from esbuild's metafile. A list
// of modules, not a time: it fails when an eager import comes back or the splitting is lost. The
// same rule on the unbundled modules: test/unit/daemon/lazy-imports.test.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';

interface Metafile {
  outputs: Record<
    string,
    {
      entryPoint?: string;
      inputs: Record<string, unknown>;
      imports: { path: string; kind: string; external?: boolean }[];
    }
  >;
}

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const meta = JSON.parse(readFileSync(`${root}dist/bundle/meta.json`, 'utf8')) as Metafile;

/** The chunks a process loads when it imports `entry` (before any dynamic import). */
function chunksAtStart(entry: string): Set<string> {
  const first = Object.keys(meta.outputs).find((o) => meta.outputs[o]?.entryPoint === entry);
  if (first === undefined) throw new Error(`no chunk for ${entry}`);
  const seen = new Set<string>();
  const walk = (out: string): void => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const i of meta.outputs[out]?.imports ?? []) if (i.kind === 'import-statement') walk(i.path);
  };
  walk(first);
  return seen;
}

/** Every source module a process loads when it imports `entry` (before any dynamic import). */
function loadedAtStart(entry: string): string[] {
  return [...chunksAtStart(entry)].flatMap((o) => Object.keys(meta.outputs[o]?.inputs ?? {}));
}

/** The packages left out of the bundle (`netlink`) that those chunks import. */
function externalsAtStart(entry: string): string[] {
  return [...chunksAtStart(entry)].flatMap((o) =>
    (meta.outputs[o]?.imports ?? [])
      .filter((i) => i.external === true && i.kind === 'import-statement')
      .map((i) => i.path),
  );
}

const onlySome = /node_modules\/(nodemailer|prom-client)\//;

for (const name of ['supervisor-main', 'supervisor-daemon', 'vrrp-main', 'check-main']) {
  test(`bundle: daemon/${name} loads neither prom-client nor nodemailer at start`, (t) => {
    const inputs = loadedAtStart(`dist/src/daemon/${name}.js`);
    t.true(inputs.includes(`dist/src/daemon/${name}.js`));
    t.deepEqual(
      inputs.filter((i) => onlySome.test(i)),
      [],
    );
  });
}

test("bundle: the supervisor's first moments load neither the parser nor the VRRP engine", (t) => {
  const inputs = loadedAtStart('dist/src/daemon/supervisor-main.js');
  t.deepEqual(
    inputs.filter((i) => /dist\/src\/(config\/parser|vrrp\/engine|check\/manager)\.js$/.test(i)),
    [],
  );
});

test('bundle: `lvsd` itself loads no command until it knows which (not commander, not ipvs)', (t) => {
  const inputs = loadedAtStart('dist/src/cli/main.js');
  t.true(inputs.length <= 3, inputs.join(', '));
  t.deepEqual(
    inputs.filter((i) => /commander|dist\/src\/(ipvs|vrrp|daemon)\//.test(i)),
    [],
  );
});

test('bundle: the metrics renderer still carries prom-client (the walk sees bundled packages)', (t) => {
  t.true(loadedAtStart('dist/src/metrics/render.js').some((i) => /node_modules\/prom-client\//.test(i)));
});

test("bundle: the VRRP worker loads nothing of netlink@0.3.0 at start (its sockets are the addon's, its rtnetlink structs load at a route's first use)", (t) => {
  const ext = externalsAtStart('dist/src/daemon/vrrp-main.js');
  t.deepEqual(
    ext.filter((e) => e === 'netlink' || e.startsWith('netlink/')),
    [],
  );
});
