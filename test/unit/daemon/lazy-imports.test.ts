// SPDX-License-Identifier: Apache-2.0
// Cold start: the daemon entry points must not load what only some configs use. Importing each in
// a fresh Node with a module-resolution hook lists every module resolved; prom-client (the metrics
// endpoint), nodemailer (e-mail alerts) and the netlink package's index (its nl80211 and WireGuard
// tables) must not be among them. A count, not a time: it fails when an eager import comes back.
// The hook runs on the loader's own thread: it writes with writeSync, as process.stderr there is
// relayed through the main thread and its last lines were lost when the process exited (CI, Node 24).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

const hook = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  'import { writeSync } from "node:fs";' +
  'export async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, "RESOLVED " + r.url + "\\\\n"); return r; }'
));
`;

function resolvedBy(entry: string): string[] {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      `data:text/javascript,${encodeURIComponent(hook)}`,
      '-e',
      `await import(${JSON.stringify(entry)})`,
      '--input-type=module',
    ],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('RESOLVED '))
    .map((l) => l.slice('RESOLVED '.length));
}

const eager = /node_modules\/(nodemailer|prom-client)\/|node_modules\/netlink\/dist\/index\.js$/;

for (const entry of ['supervisor-main', 'supervisor-daemon', 'vrrp-main', 'check-main']) {
  test(`importing daemon/${entry} loads neither prom-client, nodemailer nor the whole netlink package`, (t) => {
    const urls = resolvedBy(`./dist/src/daemon/${entry}.js`);
    t.true(
      urls.some((u) => u.includes(`/dist/src/daemon/${entry}.js`)),
      'the hook saw the entry point',
    );
    t.deepEqual(
      urls.filter((u) => eager.test(u)),
      [],
    );
  });
}

test('the metrics renderer still loads prom-client when asked (the hook sees CommonJS packages)', (t) => {
  t.true(resolvedBy('./dist/src/metrics/render.js').some((u) => /node_modules\/prom-client\//.test(u)));
});

// The supervisor forks its VRRP worker early (src/daemon/early-worker.ts) from supervisor-main.ts:
// what that entry loads is all the fork waits for. The logger (winston), the config parser, the
// metrics endpoint (node:http) and the supervisor proper load after it.
test('importing daemon/supervisor-main loads neither winston, the config parser nor node:http: the early fork waits for none of them', (t) => {
  const urls = resolvedBy('./dist/src/daemon/supervisor-main.js');
  t.true(urls.some((u) => u.includes('/dist/src/daemon/early-worker.js')));
  t.deepEqual(
    urls.filter((u) =>
      /node_modules\/winston\/|\/dist\/src\/config\/parser\.js$|^node:http$|\/daemon\/supervisor-daemon\.js$/.test(
        u,
      ),
    ),
    [],
  );
  const files = [...new Set(urls.filter((u) => u.startsWith('file:')))];
  t.true(files.length <= 15, `supervisor-main loads ${files.length} modules: ${files.join(' ')}`);
});

// node:tls and node:crypto are an LVS worker's only for SSL_GET, HTTP digests and UDP payloads:
// loaded at their first use (check/http.io.ts, core/node-crypto.ts), a worker without them never
// maps their built-in sources and code (~0.8 MB resident, measured on the host with pagemap).
test('importing daemon/check-main loads neither node:tls nor node:crypto', (t) => {
  const urls = resolvedBy('./dist/src/daemon/check-main.js');
  t.true(urls.some((u) => u.includes('/dist/src/daemon/check-main.js')));
  t.deepEqual(
    urls.filter((u) => /^node:(tls|crypto|https)$/.test(u)),
    [],
  );
});
