// SPDX-License-Identifier: Apache-2.0
/**
 * Hitless restart (keepalived has none), in network namespaces under HTTP traffic through the VIP
 * and against a keepalived peer: `systemctl restart` sends the unit's RestartKillSignal (SIGQUIT):
 * the MASTER's lvsd hands over in place (no priority-0 advert, VIP kept) and the new `lvsd run` on
 * the same run directory adopts it and advertises before keepalived's Master_Down_Interval ends, so
 * keepalived never becomes MASTER and no request fails. A plain stop (SIGTERM) still hands over to
 * keepalived. Needs root (namespaces, raw sockets); CI runs as root.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import {
  createLab,
  repoRoot,
  sleep,
  sniff,
  startKeepalived,
  waitFor,
  type Lab,
  type LabNode,
} from '../harness.js';
import { startLvsdRun } from '../supervised.js';
import { vrrpConf } from '../vrrp/conf.js';

let lab: Lab | undefined;
test.after.always(async () => {
  await lab?.destroy();
});

interface Traffic {
  stop(): Promise<{ sent: number; failed: number; failures: Array<{ at: number; error: string }> }>;
}

function traffic(l: Lab, node: LabNode, url: string): Traffic {
  const p = spawn(
    'ip',
    [
      'netns',
      'exec',
      node.ns,
      process.execPath,
      join(repoRoot, 'dist', 'test', 'netns', 'http-client.js'),
      url,
      '20',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (c: string) => (out += c));
  const done = new Promise<void>((r) => p.on('exit', () => r()));
  return {
    async stop() {
      p.kill('SIGTERM');
      await done;
      return JSON.parse(out) as Awaited<ReturnType<Traffic['stop']>>;
    },
  };
}

test('systemctl restart on the MASTER (SIGQUIT, then a new lvsd run): the keepalived peer never becomes MASTER, no request fails; a plain stop still hands over', async (t) => {
  lab = await createLab(3);
  const l = lab;
  const [n1, n2, client] = l.nodes as [LabNode, LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  const conf = (n: LabNode, p: number) =>
    vrrpConf(n, [{ priority: p, version: 2, advertInt: 1, vips: [`${vip}/32`] }]);
  for (const n of [n1, n2])
    l.spawn(
      n.ns,
      ['python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0'],
      undefined,
      join(l.dir, `${n.name}-http.log`),
    );
  const first = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const ka = startKeepalived(l, n2, conf(n2, 100));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  await sleep(4000); // past keepalived's Master_Down_Interval: it has settled as backup
  const kaBefore = ka.output().length;
  const sn = await sniff(l);
  t.teardown(() => sn.stop());
  const load = traffic(l, client, `http://${vip}:8080/`);
  await sleep(1000);

  // what systemd does on `restart` with RestartKillSignal=SIGQUIT: signal, wait, start again
  const quitAt = Date.now();
  first.proc.kill('SIGQUIT');
  t.is(await first.exited(), 0);
  t.true(await l.hasAddress(n1, vip), 'the VIP stays in place');
  const second = startLvsdRun(l, n1, conf(n1, 150), {}, first.runDir);
  const resumed = await waitFor(
    'the new process advertises',
    () =>
      sn.frames.find(
        (f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.ts > quitAt + 10 && f.priority === 150,
      ),
    10_000,
  );
  await sleep(4000); // longer than keepalived's Master_Down_Interval
  const r = await load.stop();
  t.log(`advert gap over the restart: ${resumed.ts - quitAt} ms; ${r.sent} requests, ${r.failed} failed`);
  t.false(
    sn.frames.some((f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.priority === 0 && f.ts >= quitAt),
    'no priority-0 advert',
  );
  t.false(
    /Entering MASTER STATE/.test(ka.output().slice(kaBefore)),
    `keepalived stayed backup:\n${ka.output()}`,
  );
  t.is(r.failed, 0, JSON.stringify(r.failures));
  t.true(r.sent > 100);
  t.regex(second.output(), /adopting the MASTER state and VIPs of the previous process/);

  // a plain stop (SIGTERM) still hands over gracefully
  const termAt = Date.now();
  second.proc.kill('SIGTERM');
  t.is(await second.exited(), 0);
  // Sent before the exit; the capture may show it a moment later.
  await waitFor(
    'priority-0 advert',
    () =>
      sn.frames.find((f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.priority === 0 && f.ts >= termAt),
    2000,
  );
  await waitFor('keepalived takes over', () => l.hasAddress(n2, vip), 3000);
});
