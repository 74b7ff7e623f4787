// SPDX-License-Identifier: Apache-2.0
// VM end-to-end test (root, inside scripts/ipvs-vm.sh, real ip_vs): the migration an operator makes
// from keepalived to lvsd, one director at a time, with the same file and HTTP traffic flowing.
// A keepalived pair (VRRP + checker) serves the NAT lab (test/vm/e2e/ha-lab.ts,
// etc/lab/e2e-nat.conf); the backup's keepalived is stopped and `lvsd run` started there on the
// same file; then the master's. Every request of a client looping over the VIP is counted: none
// may fail while the backup is replaced, and while the master is replaced only inside the two
// failover windows (keepalived's stop → lvs2 holds the VIPs; lvsd's start on lvs1 → it holds them
// back), which are reported with their failures. lvs1 ends master under lvsd, lvs2 backup, both
// tables programmed.
import test from 'ava';
import type { ClientRequest, Daemon, HaLab } from './ha-lab.js';
import {
  createHaLab,
  masterOf,
  REALS,
  sleep,
  startClientLoop,
  table,
  VIP,
  vrrpView,
  waitUntil,
} from './ha-lab.js';

const full = [`-A -t ${VIP}:80 -s rr`, ...REALS.map((r) => `-a -t ${VIP}:80 -r ${r}:80 -m -w 1`)].sort();

let lab: HaLab;
const running: Partial<Record<'lvs1' | 'lvs2', Daemon>> = {};

test.before(async () => {
  lab = await createHaLab();
  await lab.startHttp('rs1');
  await lab.startHttp('rs2');
});

test.after.always(async () => {
  if (lab) await lab.close();
});

const same = (a: string[], b: string[]): boolean => JSON.stringify(a) === JSON.stringify(b);
const waitTable = (d: 'lvs1' | 'lvs2'): Promise<number> =>
  waitUntil(
    `IPVS table of ${d}`,
    () => table(lab.ns[d]),
    (t) => same(t, full),
    60_000,
  );
const failed = (rs: ClientRequest[]): ClientRequest[] => rs.filter((r) => !r.body.startsWith('RS'));

/** Requests sent in [from, to). */
const between = (rs: ClientRequest[], from: number, to: number): ClientRequest[] =>
  rs.filter((r) => r.at >= from && r.at < to);

test.serial(
  'keepalived pair → lvsd pair, backup first, with HTTP traffic: failures only in the failover windows',
  async (t) => {
    try {
      running.lvs1 = lab.startKeepalived('lvs1');
      running.lvs2 = lab.startKeepalived('lvs2');
      await waitUntil(
        'keepalived lvs1 master',
        () => masterOf(lab),
        (m) => m === 'lvs1',
        120_000,
      );
      await Promise.all([waitTable('lvs1'), waitTable('lvs2')]);
      const client = startClientLoop(lab, { maxMs: 240_000, maxRequests: 6000 });
      try {
        await waitUntil(
          'client traffic',
          () => Promise.resolve(client.requests().length),
          (n) => n >= 10,
          30_000,
        );

        // 1. the backup: keepalived stopped, lvsd started on the same file; it must stay backup
        const p1 = Date.now();
        await running.lvs2.stop();
        running.lvs2 = lab.startDaemon('lvs2');
        await waitUntil(
          'lvsd on lvs2 backup',
          // '' until the worker has started and answers (vrrpView throws before its pid file exists)
          () =>
            vrrpView(lab.runDir('lvs2'), 1000).then(
              (v) => v.instances.map((i) => i.state).join(),
              () => '',
            ),
          (s) => s === 'backup,backup',
          120_000,
        );
        await waitTable('lvs2');
        await sleep(3000);
        const p1End = Date.now();
        t.is(await masterOf(lab), 'lvs1', 'keepalived on lvs1 kept the VIPs');
        const phase1 = between(client.requests(), p1, p1End);
        t.log(`backup replaced: ${phase1.length} requests, ${failed(phase1).length} failed`);
        t.deepEqual(failed(phase1), [], 'no request fails while the backup is replaced');

        // 2. the master: keepalived stopped (its priority-0 advert hands over), lvsd started; it preempts
        const stopAt = Date.now();
        await running.lvs1.stop();
        const heldBy2 = await waitUntil(
          'lvs2 holds the VIPs',
          () => masterOf(lab),
          (m) => m === 'lvs2',
          30_000,
          50,
        );
        const takeoverEnd = Date.now();
        await sleep(2000);
        const startAt = Date.now();
        running.lvs1 = lab.startDaemon('lvs1');
        const back = await waitUntil(
          'lvsd lvs1 master',
          () => masterOf(lab),
          (m) => m === 'lvs1',
          120_000,
          50,
        );
        const backEnd = Date.now();
        await waitTable('lvs1');
        await sleep(5000);
        const end = Date.now();

        const rs = client.requests();
        // a request sent up to its 1 s timeout before a window may fail inside it
        const window1 = between(rs, stopAt - 1000, takeoverEnd + 1000);
        const window2 = between(rs, startAt - 1000, backEnd + 1000);
        const outside = failed(between(rs, stopAt, end)).filter(
          (r) => !window1.includes(r) && !window2.includes(r),
        );
        t.log(
          `master replaced: keepalived stopped → lvs2 (lvsd) held the VIPs ${heldBy2} ms later, ` +
            `${failed(window1).length} of ${window1.length} requests failed in that window; ` +
            `lvsd started on lvs1 → master again ${back} ms later, ${failed(window2).length} of ` +
            `${window2.length} failed in that window; ${failed(between(rs, stopAt, end)).length} failed in all`,
        );
        t.deepEqual(outside, [], 'no failure outside the failover windows');
        t.true(
          rs.slice(-5).every((r) => r.body.startsWith('RS')),
          rs
            .slice(-5)
            .map((r) => r.body)
            .join('|'),
        );
        t.deepEqual(
          (await vrrpView(lab.runDir('lvs1'))).instances.map((i) => i.state),
          ['master', 'master'],
        );
        t.deepEqual(
          (await vrrpView(lab.runDir('lvs2'))).instances.map((i) => i.state),
          ['backup', 'backup'],
        );
        t.true(same(await table(lab.ns.lvs2), full), 'the backup keeps its table warm');
      } finally {
        await client.stop();
      }
    } catch (e) {
      for (const [id, d] of Object.entries(running))
        t.log(`--- ${id} output ---\n${d?.output().slice(-5000) ?? ''}`);
      throw e;
    }
  },
);
