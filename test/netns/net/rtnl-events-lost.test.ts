// SPDX-License-Identifier: Apache-2.0
/**
 * The rtnetlink event socket's receive queue overrun, on the real kernel (src/netlink/rtnl-socket.io.ts):
 * in a throwaway network namespace, a port whose event socket has the smallest queue the kernel
 * allows is kept from reading (its event loop blocked by a synchronous `ip -batch` of 300 address
 * adds), so the kernel drops events and the next read fails with ENOBUFS. The port must say so
 * (onEventsLost: the VRRP engine then reads links and addresses again, unit-tested on a fake host
 * in test/unit/vrrp) and must go on listening: an address added afterwards still arrives as an
 * event (a socket left deaf after an overrun would hide every later link change). Needs root; CI
 * runs as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const adapter = fileURLToPath(new URL('../../../src/netlink/rtnl-socket.io.js', import.meta.url));
const ns = `lvrl${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'lvsd-rtnl-lost-'));

test.before(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'd0', 'up']);
});
test.after.always(() => {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
});

test('an overrun event queue is reported, and the socket goes on delivering events', (t) => {
  const batch = join(dir, 'adds');
  writeFileSync(
    batch,
    Array.from({ length: 300 }, (_, i) => `addr add 10.77.${i >> 7}.${(i & 127) + 1}/32 dev d0\n`).join(''),
  );
  const script = `import { execFileSync } from 'node:child_process';
import { openRtnl } from ${JSON.stringify(adapter)};
const r = openRtnl({ eventQueueBytes: 4096 });
let events = 0;
let lost = 0;
r.onAddressEvent(() => events++);
r.onEventsLost(() => lost++);
const until = async (ok) => {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((res) => setTimeout(res, 10));
};
// blocked: the kernel queues the 300 adds' events and drops what does not fit
execFileSync('ip', ['-batch', ${JSON.stringify(batch)}]);
await until(() => lost > 0);
await new Promise((res) => setTimeout(res, 100));
const during = events;
execFileSync('ip', ['addr', 'add', '10.78.0.1/32', 'dev', 'd0']);
await until(() => events > during);
r.close();
process.stdout.write(JSON.stringify({ lost, during, after: events - during }));`;
  const p = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(p.status, 0, p.stderr);
  const out = JSON.parse(p.stdout) as { lost: number; during: number; after: number };
  t.log(out);
  t.true(out.lost >= 1, 'the overrun was reported (onEventsLost)');
  t.true(out.during < 300, `events were dropped (${out.during} of 300 arrived)`);
  t.true(out.after >= 1, 'an event after the overrun still arrived');
});
