// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel-table announcer (src/bgp/route-table.io.ts) on the real kernel, in a throwaway network
 * namespace: announce puts a blackhole host route in lvsd's table (a number past 255 too), state()
 * reads the table's host routes back, withdraw removes one and is idempotent, and `ip route` sees
 * what BIRD's kernel protocol will learn. Needs root; CI runs as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const adapter = fileURLToPath(new URL('../../../src/bgp/route-table.io.js', import.meta.url));
const ns = `lvrt${process.pid}`;

test.before(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
});
test.after.always(() => {
  spawnSync('ip', ['netns', 'del', ns]);
});

/** Run `body` (with `a`, the announcer for `table`) in the namespace; its JSON output. */
function inNs(table: number, body: string): unknown {
  const script = `import { openRouteTable } from ${JSON.stringify(adapter)};
const a = openRouteTable(${table});
const out = await (async () => { ${body} })();
a.close();
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

const routes = (table: number, family: '-4' | '-6'): string =>
  execFileSync('ip', ['-n', ns, family, 'route', 'show', 'table', String(table)], {
    encoding: 'utf8',
  }).trim();

for (const table of [100, 4000000]) {
  test.serial(`table ${table}: announce, state, withdraw (twice), as ip route shows it`, (t) => {
    const announced = inNs(
      table,
      `await a.announce({ family: 'inet', address: '192.0.2.1' });
       await a.announce({ family: 'inet', address: '192.0.2.1' });
       await a.announce({ family: 'inet6', address: '2001:db8::1' });
       return a.state();`,
    );
    t.deepEqual(announced, [
      { family: 'inet', address: '192.0.2.1' },
      { family: 'inet6', address: '2001:db8::1' },
    ]);
    t.regex(routes(table, '-4'), /^blackhole 192\.0\.2\.1 proto static/);
    t.regex(routes(table, '-6'), /^blackhole 2001:db8::1 (dev lo )?proto static/); // IPv6 names lo
    t.is(
      execFileSync('ip', ['-n', ns, 'route', 'show'], { encoding: 'utf8' }).trim(),
      '',
      'main table untouched',
    );
    const after = inNs(
      table,
      `await a.withdraw({ family: 'inet', address: '192.0.2.1' });
       await a.withdraw({ family: 'inet', address: '192.0.2.1' });
       await a.withdraw({ family: 'inet6', address: '2001:db8::1' });
       return a.state();`,
    );
    t.deepEqual(after, []);
    t.is(routes(table, '-4'), '');
  });
}
