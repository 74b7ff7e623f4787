// SPDX-License-Identifier: Apache-2.0
// The bundle bin/lvsd loads (scripts/bundle.ts) keeps the lazy imports lazy: what a process loads
// at start is the static-import closure of its entry's chunk, read from esbuild's metafile. A list
// of modules, not a time: it fails when an eager import comes back or the splitting is lost. The
// same rule on the unbundled modules: test/unit/daemon/lazy-imports.test.ts.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

test('bundle: the LVS worker loads nothing of netlink@0.3.0 at start (its BGP route table loads with lvsd_bgp_table)', (t) => {
  const ext = externalsAtStart('dist/src/daemon/check-main.js');
  t.deepEqual(
    ext.filter((e) => e === 'netlink' || e.startsWith('netlink/')),
    [],
  );
});

/** The files Node's CommonJS trace (NODE_DEBUG=module, on stderr) says it loaded, in order. */
const modulesLoaded = (trace: string): string[] =>
  [...trace.matchAll(/^MODULE \d+: load "([^"]+)"/gm)].map((m) => m[1] ?? '');

/**
 * The CommonJS files a bundled `lvsd run --vrrp-only` (no instances) loads until its first lines are
 * logged and it is stopped, from Node's own module trace (NODE_DEBUG=module). Needs a writable run
 * directory only; runs as any user.
 */
async function commonJsLoadedByAWorker(): Promise<{ loaded: string[]; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-bundle-'));
  try {
    writeFileSync(join(dir, 'lvsd.conf'), 'global_defs {\n  router_id bundle-test\n}\n');
    const child = spawn(
      process.execPath,
      [`${root}bin/lvsd`, 'run', '--vrrp-only', '-f', join(dir, 'lvsd.conf'), '--run-dir', dir],
      { env: { ...process.env, NODE_DEBUG: 'module' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let trace = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('VRRP engine started')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (b: Buffer) => (trace += b.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
    const loaded = modulesLoaded(trace);
    return { loaded, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('bundle: a worker logs through the one-file winston, loading no package file by CommonJS resolution', async (t) => {
  const { loaded, out } = await commonJsLoadedByAWorker();
  t.regex(out, /^notice: VRRP engine started proc=vrrp instances=0/m, out);
  t.true(
    loaded.some((f) => f.endsWith('/dist/bundle/lvsd/winston.cjs')),
    loaded.join('\n'),
  );
  t.deepEqual(
    loaded.filter((f) => f.includes('/node_modules/')),
    [],
  );
});

/**
 * `lvsd ipvs` from a copy of the program holding only bin/ (the CommonJS bin/lvsd), the one-file
 * ipvs.cjs and the addon: it must need nothing else of the bundle, and find the addon from its own
 * file (import.meta.url made CommonJS's). Node's CommonJS trace lists what it loaded.
 */
async function ipvsFromItsOneFile(
  args: string[],
): Promise<{ code: number | null; out: string; err: string; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-ipvs-cjs-'));
  try {
    for (const f of [
      'bin/lvsd',
      'bin/package.json',
      'dist/bundle/lvsd/ipvs.cjs',
      'build/Release/lvsd_net.node',
    ]) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      copyFileSync(join(root, f), join(dir, f));
    }
    const child = spawn(process.execPath, [join(dir, 'bin', 'lvsd'), 'ipvs', ...args], {
      env: { ...process.env, NODE_DEBUG: 'module' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const loaded = modulesLoaded(err).map((f) => f.slice(dir.length + 1));
    return { code, out, err: err.replace(/^MODULE .*\n/gm, ''), loaded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('bundle: `lvsd ipvs --version` runs from bin/lvsd and the one CommonJS file alone', async (t) => {
  const r = await ipvsFromItsOneFile(['--version']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^lvsd ipvs: ipvsadm v1\.31 compatible/, r.out);
  t.deepEqual(r.loaded, ['bin/lvsd', 'dist/bundle/lvsd/ipvs.cjs']);
});

test('bundle: `lvsd ipvs -Ln` from the one CommonJS file finds the addon beside it and reaches the kernel', async (t) => {
  const r = await ipvsFromItsOneFile(['-Ln']);
  t.deepEqual(r.loaded, ['bin/lvsd', 'dist/bundle/lvsd/ipvs.cjs', 'build/Release/lvsd_net.node']);
  // a kernel with ip_vs lists its table; one without (this host) is told so, as ipvsadm says it
  if (r.code === 0) t.regex(r.out, /^IP Virtual Server version /, r.out);
  else t.regex(r.err, /^Can't initialize ipvs: generic netlink family IPVS not found/, r.err);
});
