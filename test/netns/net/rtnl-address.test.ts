// SPDX-License-Identifier: Apache-2.0
/**
 * VIP adds and deletes (src/netlink/rtnl-socket.io.ts: the hand-written requests of rtnl-addr.ts
 * acked on a socket of their own) on the real kernel, in a throwaway network namespace:
 * what `ip addr` then shows (label, scope, broadcast; IPv6 without DAD, and preferred_lft 0 for a
 * deprecated one), EEXIST as 'exists', a second delete as 'absent', a missing interface as a
 * NetlinkError naming ENODEV, and 200 adds made in one turn all acked and present; 5,000 in one turn
 * too (more acks than the receive queue holds: the requests are paced, and nothing is lost or aborts).
 * Needs root; CI runs as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const adapter = fileURLToPath(new URL('../../../src/netlink/rtnl-socket.io.js', import.meta.url));
const ns = `lvra${process.pid}`;
let ifindex = 0;

test.before(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']); // no dummy module here
  execFileSync('ip', ['-n', ns, 'link', 'set', 'd1', 'up']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'd0', 'up']);
  execFileSync('ip', ['-n', ns, 'addr', 'add', '10.9.0.2/24', 'dev', 'd0']);
  const links = JSON.parse(
    execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'd0'], { encoding: 'utf8' }),
  ) as {
    ifindex: number;
  }[];
  ifindex = links[0]!.ifindex;
});
test.after.always(() => {
  spawnSync('ip', ['netns', 'del', ns]);
});

/** Run `body` (with `r`, the rtnetlink port, and `ifindex`) in the namespace; its JSON output. */
function inNs(body: string): unknown {
  const script = `import { openRtnl } from ${JSON.stringify(adapter)};
const r = openRtnl();
const ifindex = ${ifindex};
const out = await (async () => { ${body} })();
r.close();
process.stdout.write(JSON.stringify(out));`;
  const p = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (p.status !== 0) throw new Error(p.stderr);
  return JSON.parse(p.stdout) as unknown;
}

interface IpAddr {
  local: string;
  prefixlen: number;
  label?: string;
  scope: string;
  broadcast?: string;
  preferred_life_time?: number;
  tentative?: boolean;
}
const addrs = (): IpAddr[] =>
  (
    JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', 'd0'], { encoding: 'utf8' })) as {
      addr_info: IpAddr[];
    }[]
  )[0]!.addr_info;

test.serial('add: the address as ip addr shows it; again: exists; delete, again: absent', (t) => {
  const out = inNs(`
    const v = { family: 'inet', address: '10.9.0.100', prefixLen: 32, ifindex, label: 'd0:vip', scope: 0 };
    const b = { family: 'inet', address: '10.9.1.1', prefixLen: 24, ifindex, broadcast: '10.9.1.255', scope: 253 };
    const s = { family: 'inet6', address: '2001:db8::100', prefixLen: 128, ifindex };
    const d = { family: 'inet6', address: 'fe80::1:100', prefixLen: 64, ifindex, deprecated: true, scope: 253 };
    return [await r.addAddress(v), await r.addAddress(b), await r.addAddress(s), await r.addAddress(d), await r.addAddress(v)];`);
  t.deepEqual(out, ['added', 'added', 'added', 'added', 'exists']);
  const a = addrs();
  const by = (x: string) => a.find((e) => e.local === x);
  t.like(by('10.9.0.100'), { prefixlen: 32, label: 'd0:vip', scope: 'global' });
  t.like(by('10.9.1.1'), { prefixlen: 24, broadcast: '10.9.1.255', scope: 'link' });
  t.like(by('2001:db8::100'), { prefixlen: 128, scope: 'global' });
  t.falsy(by('2001:db8::100')?.tentative, 'added without duplicate address detection');
  t.like(by('fe80::1:100'), { prefixlen: 64, preferred_life_time: 0 });
  const gone = inNs(`
    const v = { family: 'inet', address: '10.9.0.100', prefixLen: 32, ifindex };
    const s = { family: 'inet6', address: '2001:db8::100', prefixLen: 128, ifindex };
    return [await r.delAddress(v), await r.delAddress(s), await r.delAddress(v)];`);
  t.deepEqual(gone, ['deleted', 'deleted', 'absent']);
  t.falsy(addrs().find((e) => e.local === '10.9.0.100'));
});

test.serial('a missing interface: a NetlinkError naming the errno, the operation and the address', (t) => {
  const out = inNs(`
    try { await r.addAddress({ family: 'inet', address: '10.9.0.50', prefixLen: 32, ifindex: 99999 }); return 'added'; }
    catch (e) { return { name: e.name, errno: e.errno, message: e.message }; }`);
  t.like(out, { errno: 'ENODEV' });
  t.regex((out as { message: string }).message, /addAddress 10\.9\.0\.50\/32 dev#99999: ENODEV/);
});

test.serial('200 adds made in one turn are all acked and all on the interface', (t) => {
  const out = inNs(`
    const vips = Array.from({ length: 200 }, (_, k) => ({ family: 'inet', address: '10.9.2.' + (k + 1), prefixLen: 32, ifindex }));
    return await Promise.all(vips.map((v) => r.addAddress(v)));`) as string[];
  t.is(out.length, 200);
  t.true(out.every((x) => x === 'added'));
  t.is(addrs().filter((e) => e.local.startsWith('10.9.2.')).length, 200);
});

test.serial(
  '5,000 adds made in one turn (more answers than a receive queue holds) are all acked and present',
  (t) => {
    // unpaced, the 5,000 acks overran the request socket's queue and netlink@0.3.0 aborted the process
    const out = inNs(`
    const vips = Array.from({ length: 5000 }, (_, k) => ({ family: 'inet', address: '10.20.' + (k >> 8) + '.' + (k & 255), prefixLen: 32, ifindex }));
    const res = await Promise.all(vips.map((v) => r.addAddress(v).catch((e) => String(e))));
    const tally = {};
    for (const x of res) tally[x] = (tally[x] ?? 0) + 1;
    const gone = await Promise.all(vips.map((v) => r.delAddress(v).catch((e) => String(e))));
    for (const x of gone) tally[x] = (tally[x] ?? 0) + 1;
    return tally;`);
    t.deepEqual(out, { added: 5000, deleted: 5000 });
    t.is(addrs().filter((e) => e.local.startsWith('10.20.')).length, 0);
  },
);

test.serial('links and addresses as ip shows them; address and link events as ip monitor sees them', (t) => {
  const out = inNs(`
    const link = await r.getLink('d0');
    const none = await r.getLink('nosuch0');
    const listed = (await r.listAddresses(ifindex)).map((a) => a.address + '/' + a.prefixLen + ' ' + a.family + ' ' + a.scope + ' ' + (a.label ?? '-'));
    const events = [];
    r.onAddressEvent((e) => events.push(e.type + ' ' + e.addr.address + ' ' + (e.addr.ifindex === ifindex)));
    r.onLinkEvent((e) => { if (e.name === 'd0') events.push('link ' + e.name + ' up=' + e.up + ' deleted=' + e.deleted); });
    await new Promise((res) => setTimeout(res, 50));
    const { execFileSync } = await import('node:child_process');
    execFileSync('ip', ['addr', 'add', '10.9.3.3/32', 'dev', 'd0']);
    execFileSync('ip', ['addr', 'del', '10.9.3.3/32', 'dev', 'd0']);
    execFileSync('ip', ['link', 'set', 'd0', 'down']);
    await new Promise((res) => setTimeout(res, 200));
    execFileSync('ip', ['link', 'set', 'd0', 'up']);
    return { link, none: none ?? null, listed, events };`) as {
    link: { ifindex: number; name: string; mac: string; up: boolean };
    none: null;
    listed: string[];
    events: string[];
  };
  t.like(out.link, { ifindex, name: 'd0', up: true });
  t.regex(out.link.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  t.is(out.none, null);
  t.true(out.listed.includes('10.9.0.2/24 inet 0 d0'), out.listed.join(', '));
  t.deepEqual(
    out.events.filter((e) => e.includes(' 10.9.3.3 ')), // (the link going down also deletes its IPv6 addresses)
    ['new 10.9.3.3 true', 'del 10.9.3.3 true'],
  );
  t.true(out.events.includes('link d0 up=false deleted=false'), out.events.join(', '));
});
