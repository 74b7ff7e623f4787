// SPDX-License-Identifier: Apache-2.0
/**
 * A VRRP worker that dies without handing over (SIGKILL: by hand, the OOM killer, RLIMIT_RTTIME),
 * next to a real keepalived peer, and keepalived's own VRRP child killed the same way beside it.
 * lvsd: the supervisor writes the dead worker's last handoff record (vrrp/handoff.ts
 * crashHandoffRecord), its successor adopts the VIP that stayed on the interface and advertises
 * before the peer's Master_Down_Interval: the VIP never leaves, the peer never becomes master.
 * A worker stopped (SIGSTOP) past that interval before its death is not adopted: its successor
 * starts as backup, and the VIP is never held by both once it runs.
 * Needs root (namespaces, raw sockets); CI runs as root. Namespaces use a unique prefix and are
 * deleted in teardown even on failure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { sniff, startKeepalived, waitFor, type Lab, type LabNode } from '../harness.js';
import { startLvsdRun } from '../supervised.js';
import { type VipPair, vipPair } from '../vrrp/conf.js';

const labs: Lab[] = [];
test.after.always(async () => {
  for (const l of labs) await l.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// 1 s adverts: Master_Down_Interval 3.4-3.6 s, room for the supervisor's 1 s restart delay
const pair = (): Promise<VipPair> => vipPair(labs, 1);

interface Watch {
  /** ms after the start with the VIP on neither node / on both, sampled every ~25 ms. */
  none: number[];
  both: number[];
  samples: number;
}

/** Sample where the VIP is for `ms`. */
async function watchVip(l: Lab, a: LabNode, b: LabNode, vip: string, ms: number): Promise<Watch> {
  const w: Watch = { none: [], both: [], samples: 0 };
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const [onA, onB] = await Promise.all([l.hasAddress(a, vip), l.hasAddress(b, vip)]);
    const at = Date.now() - t0;
    w.samples++;
    if (!onA && !onB) w.none.push(at);
    if (onA && onB) w.both.push(at);
    await sleep(25);
  }
  return w;
}

const mastersIn = (out: string): number => (out.match(/Entering MASTER STATE/g) ?? []).length;

test('SIGKILL of the VRRP worker of a master: its successor adopts the VIP, the keepalived peer never takes over; keepalived measured the same way', async (t) => {
  const { l, n1, n2, vip, conf } = await pair();
  const d = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const ka = startKeepalived(l, n2, conf(n2, 100));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  const sn = await sniff(l);
  t.teardown(() => sn.stop());
  // two adverts at least: the worker has reported its record to the supervisor (every 250 ms)
  await sleep(2500);
  const worker = await d.workerPid('vrrp');
  const kaMasters = mastersIn(ka.output());
  const killedAt = Date.now();
  process.kill(worker, 'SIGKILL');
  const w = await watchVip(l, n1, n2, vip, 6000);
  const successor = await d.workerPid('vrrp');
  t.not(successor, worker, 'the worker was restarted');
  const resumed = sn.frames.find(
    (f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.priority === 150 && f.ts > killedAt + 900,
  );
  const lastBefore = sn.frames
    .filter((f) => f.kind === 'vrrp4' && f.srcMac === n1.mac && f.ts <= killedAt)
    .at(-1);
  t.log(
    `lvsd: ${w.samples} samples over 6 s after the SIGKILL: VIP on neither ${w.none.length}, on both ${w.both.length}; ` +
      `adverts resumed ${resumed ? Math.round(resumed.ts - killedAt) : '-'} ms after the SIGKILL ` +
      `(${resumed && lastBefore ? Math.round(resumed.ts - lastBefore.ts) : '-'} ms after the last one)`,
  );
  t.deepEqual(w.none, [], 'the VIP never left');
  t.deepEqual(w.both, [], 'never on both');
  t.is(mastersIn(ka.output()), kaMasters, 'keepalived never became master');
  t.truthy(resumed, 'the successor advertises as master');
  t.regex(d.output(), /its successor adopts its MASTER instances if it starts in time/);
  t.regex(d.output(), /VRRP engine started .*adopted=1/);

  // keepalived in lvsd's place: its VRRP child SIGKILLed, lvsd the backup
  d.proc.kill('SIGTERM');
  ka.kill('SIGTERM');
  await Promise.all([d.exited(), ka.exited()]);
  const ka2 = startKeepalived(l, n1, conf(n1, 150));
  await waitFor('keepalived holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const d2 = startLvsdRun(l, n2, conf(n2, 100));
  await waitFor('lvsd is backup', () => /BACKUP/.test(d2.output()), 15_000);
  await sleep(2500);
  const child = Number(readFileSync(join(ka2.runDir, 'v.pid'), 'utf8').trim());
  process.kill(child, 'SIGKILL');
  const k = await watchVip(l, n1, n2, vip, 6000);
  const span = (xs: number[]): string => (xs.length === 0 ? 'never' : `${xs[0]}-${xs.at(-1)} ms`);
  t.log(
    `keepalived: ${k.samples} samples over 6 s after its VRRP child's SIGKILL: VIP on neither ${k.none.length} (${span(k.none)}), ` +
      `on both ${k.both.length} (${span(k.both)})`,
  );
  d2.proc.kill('SIGTERM');
  ka2.kill('SIGTERM');
  await Promise.all([d2.exited(), ka2.exited()]);
});

test('a VRRP worker stopped past Master_Down_Interval before its SIGKILL is not adopted: its successor starts as backup', async (t) => {
  const { l, n1, n2, vip, conf } = await pair();
  const d = startLvsdRun(l, n1, conf(n1, 150));
  await waitFor('lvsd holds the VIP', () => l.hasAddress(n1, vip), 15_000);
  const ka = startKeepalived(l, n2, conf(n2, 100));
  await waitFor('keepalived is backup', () => /Entering BACKUP STATE/.test(ka.output()), 10_000);
  await sleep(2500);
  const worker = await d.workerPid('vrrp');
  process.kill(worker, 'SIGSTOP');
  // silent past the peer's Master_Down_Interval (3.6 s): keepalived takes over meanwhile
  await waitFor('keepalived master', () => /Entering MASTER STATE/.test(ka.output()), 8000);
  await waitFor('keepalived holds the VIP', () => l.hasAddress(n2, vip), 3000);
  process.kill(worker, 'SIGKILL');
  await waitFor('a successor', async () => (await d.workerPid('vrrp')) !== worker, 10_000);
  // the successor removes the stale VIP and stays backup: keepalived keeps it (priority 150
  // preempts only after the successor has heard keepalived as backup would, so watch a while)
  await waitFor('the stale VIP removed', async () => !(await l.hasAddress(n1, vip)), 5000);
  await waitFor(
    'the successor started',
    () => /VRRP engine started .*adopted=0[^]*VRRP engine started .*adopted=0/.test(d.output()),
    5000,
  );
  t.regex(d.output(), /not adopting: changed, or the handoff came too late/);
  t.notRegex(d.output(), /adopted=1/);
  d.proc.kill('SIGTERM');
  ka.kill('SIGTERM');
  await Promise.all([d.exited(), ka.exited()]);
});
