// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd drill failover` on a live pair in network namespaces, with an lvsd peer and with a
 * keepalived peer: the MASTER hands over (the peer advertises as master within its skew time), its
 * VIP leaves, the VIP answers through the peer (resolves to the peer's MAC, the virtual server port
 * connects), then it is taken back. Refused with the reason on a BACKUP, and when the peer cannot
 * take over (keepalived with nopreempt): the instance then stays MASTER and never drops its VIP.
 * Needs root (namespaces, raw sockets); CI runs as root.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import {
  createLab,
  repoRoot,
  startKeepalived,
  startLvsd,
  waitFor,
  type Lab,
  type LabNode,
} from '../harness.js';
import { vrrpConf, type InstanceConf } from '../vrrp/conf.js';
import type { DrillReport } from '../../../src/vrrp/drill.js';

const run = promisify(execFile);
const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

async function drill(
  runDir: string,
  ...args: string[]
): Promise<{ code: number; reports: DrillReport[]; stderr: string }> {
  return run(process.execPath, [
    join(repoRoot, 'bin', 'lvsd'),
    'drill',
    'failover',
    '--json',
    '--run-dir',
    runDir,
    ...args,
  ]).then(
    (r) => ({ code: 0, reports: JSON.parse(r.stdout) as DrillReport[], stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      reports: e.stdout ? (JSON.parse(e.stdout) as DrillReport[]) : [],
      stderr: e.stderr,
    }),
  );
}

async function pairLab(): Promise<{
  l: Lab;
  n1: LabNode;
  n2: LabNode;
  vip: string;
  conf: (n: LabNode, i: Partial<InstanceConf>) => string;
}> {
  const l = await createLab(2);
  labs.push(l);
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const vip = `10.${l.net}.0.100`;
  for (const n of [n1, n2])
    l.spawn(
      n.ns,
      ['python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0'],
      undefined,
      join(l.dir, `${n.name}-http.log`),
    );
  const conf = (n: LabNode, i: Partial<InstanceConf>) =>
    vrrpConf(n, [{ priority: 100, version: 3, advertInt: 0.1, vips: [`${vip}/32`], ...i }]) +
    `virtual_server ${vip} 8080 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n}\n`;
  return { l, n1, n2, vip, conf };
}

for (const peer of ['lvsd', 'keepalived'] as const) {
  test(`drill failover with a ${peer} peer: hands over, the VIP answers through the peer, taken back`, async (t) => {
    const { l, n1, n2, vip, conf } = await pairLab();
    const d1 = startLvsd(l, n1, conf(n1, { priority: 150 }));
    await waitFor('n1 holds the VIP', () => l.hasAddress(n1, vip), 10_000);
    const p = peer === 'lvsd' ? startLvsd(l, n2, conf(n2, {})) : startKeepalived(l, n2, conf(n2, {}));
    await waitFor(
      'the peer is backup',
      async () =>
        peer === 'lvsd'
          ? (await p.stats()).instances[0]?.state === 'backup'
          : /Entering BACKUP STATE/.test(p.output()),
      10_000,
    );
    const r = await drill(d1.runDir, 'VI_1');
    t.is(r.code, 0, `${r.stderr}${JSON.stringify(r.reports)}`);
    const rep = r.reports[0];
    t.log(
      `peer master ${Math.round(rep?.peerMasterMs ?? -1)} ms, VIP gone ${Math.round(rep?.vipsGoneMs ?? -1)} ms, answers ${Math.round(rep?.vipsAnswerMs ?? -1)} ms, back ${Math.round(rep?.back?.masterMs ?? -1)} ms`,
    );
    t.is(rep?.peer, n2.ipv4);
    t.is(rep?.answers?.[vip]?.mac, n2.mac, 'the VIP resolves to the peer');
    t.deepEqual(rep?.answers?.[vip]?.tcp, [{ port: 8080, ok: true }]);
    t.true((rep?.peerMasterMs ?? Infinity) < 400, 'the peer took over within about its skew time');
    t.true(rep?.back?.ok);
    t.true(await l.hasAddress(n1, vip), 'taken back: the VIP is here again');
    t.false(await l.hasAddress(n2, vip));
    const status = await run(process.execPath, [
      join(repoRoot, 'bin', 'lvsd'),
      'status',
      '--json',
      '--run-dir',
      d1.runDir,
    ]);
    t.is(
      (JSON.parse(status.stdout) as { vrrp: { lastDrill?: DrillReport[] } }).vrrp.lastDrill?.[0]?.ok,
      true,
      'kept for lvsd status',
    );
  });
}

test('drill refused on a BACKUP, and when the peer cannot take over (nopreempt): the MASTER keeps its VIP throughout', async (t) => {
  const { l, n1, n2, vip, conf } = await pairLab();
  const d1 = startLvsd(l, n1, conf(n1, { priority: 150 }));
  await waitFor('n1 holds the VIP', () => l.hasAddress(n1, vip), 10_000);
  const d2 = startLvsd(l, n2, conf(n2, {}));
  await waitFor('n2 is backup', async () => (await d2.stats()).instances[0]?.state === 'backup', 10_000);
  const onBackup = await drill(d2.runDir);
  t.is(onBackup.code, 1);
  t.regex(onBackup.reports[0]?.error ?? '', /no MASTER instance here/);
  d2.kill('SIGTERM');
  await d2.exited();
  const ka = startKeepalived(l, n2, conf(n2, { nopreempt: true }));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  let lost = false;
  const watch = setInterval(() => void l.hasAddress(n1, vip).then((h) => (lost ||= !h)), 20);
  const r = await drill(d1.runDir, '--timeout', '1.5');
  clearInterval(watch);
  t.is(r.code, 1);
  t.regex(r.reports[0]?.error ?? '', /no peer took over within 1.5 s/);
  t.false(lost, 'the VIP never left the MASTER');
  t.is((await d1.stats()).instances[0]?.state, 'master');
  t.false(/Entering MASTER STATE/.test(ka.output().split('Entering BACKUP STATE').at(-1) ?? ''));
});
