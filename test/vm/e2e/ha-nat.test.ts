// SPDX-License-Identifier: Apache-2.0
// VM end-to-end test (root, inside scripts/ipvs-vm.sh, real ip_vs): two directors run the whole
// daemon (`bin/lvsd run`: supervisor + VRRP worker + LVS worker) on the LVS guide's NAT lab
// (test/vm/e2e/ha-lab.ts, etc/lab/e2e-nat.conf). One lab for the whole file, the tests run in
// order: election + warm IPVS on both, a health-check failure, reloads (valid and invalid), an LVS
// worker crash, then failover with HTTP traffic flowing and preemption back. Timings are logged
// (t.log) and only bounded generously, never asserted as targets.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { ClientRequest, Daemon, HaLab } from './ha-lab.js';
import {
  createHaLab,
  GW,
  lvsdBin,
  holds,
  masterOf,
  REALS,
  sleep,
  startClientLoop,
  table,
  VIP,
  vrrpView,
  waitUntil,
  workerPid,
} from './ha-lab.js';

const execFileP = promisify(execFile);
const svc = `-A -t ${VIP}:80 -s rr`;
const real = (addr: string, w: number): string => `-a -t ${VIP}:80 -r ${addr}:80 -m -w ${w}`;
const full = [svc, real(REALS[0], 1), real(REALS[1], 1)].sort();
const withoutRs2 = [svc, real(REALS[0], 1)].sort();
const heavierRs2 = [svc, real(REALS[0], 1), real(REALS[1], 3)].sort();

let lab: HaLab;
const daemons: Partial<Record<'lvs1' | 'lvs2', Daemon>> = {};
const same = (a: string[], b: string[]): boolean => JSON.stringify(a) === JSON.stringify(b);

async function bothTables(want: string[], timeoutMs: number): Promise<number[]> {
  return Promise.all(
    (['lvs1', 'lvs2'] as const).map((d) =>
      waitUntil(
        `IPVS table of ${d}`,
        () => table(lab.ns[d]),
        (t) => same(t, want),
        timeoutMs,
      ),
    ),
  );
}

/** `n` HTTP GETs from the client to the VIP, one connection each; the bodies (FAIL on error). */
async function gets(n: number): Promise<string[]> {
  const out = await lab.sh(
    'client',
    `for i in $(seq ${n}); do curl -s --max-time 2 http://${VIP}/cgi-bin/who || echo FAIL; done`,
  );
  return out.split('\n').filter((l) => l.trim() !== '');
}

const master = (): Promise<'lvs1' | 'lvs2' | 'none' | 'both'> => masterOf(lab);

const oldOutputs: string[] = [];

async function dumpLogs(t: { log: (...a: unknown[]) => void }): Promise<void> {
  for (const o of oldOutputs) t.log(`--- earlier daemon output ---\n${o.slice(-4000)}`);
  for (const [id, d] of Object.entries(daemons))
    t.log(`--- ${id} output ---\n${d?.output().slice(-6000) ?? ''}`);
  for (const id of ['lvs1', 'lvs2'] as const) {
    const r = await lab.ns[id].run('sh', ['-c', 'ip -br link; ip -br addr; ip route; ipvsadm -Sn']);
    t.log(`--- ${id} network ---\n${r.stdout}${r.stderr}`);
  }
}

test.before(async () => {
  lab = await createHaLab();
  await lab.startHttp('rs1');
  await lab.startHttp('rs2');
  daemons.lvs1 = lab.startDaemon('lvs1');
  daemons.lvs2 = lab.startDaemon('lvs2');
});

test.after.always(async () => {
  if (lab) await lab.close();
});

test.serial(
  'election: lvs1 holds both VIPs, IPVS is programmed on BOTH directors, rr over both reals',
  async (t) => {
    try {
      const start = Date.now();
      await waitUntil('lvs1 master', master, (m) => m === 'lvs1', 150_000);
      t.log(`lvs1 master with both VIPs ${Date.now() - start} ms after start`);
      await bothTables(full, 60_000);
      t.log(`both IPVS tables programmed ${Date.now() - start} ms after start`);
      const v1 = await vrrpView(lab.runDir('lvs1'));
      const v2 = await vrrpView(lab.runDir('lvs2'));
      t.deepEqual(
        v1.instances.map((i) => i.state),
        ['master', 'master'],
      );
      t.deepEqual(
        v2.instances.map((i) => i.state),
        ['backup', 'backup'],
      );
      // both workers were forked before the config was validated (src/daemon/early-worker.ts)
      for (const id of ['lvs1', 'lvs2'] as const)
        for (const w of ['vrrp', 'lvs'])
          t.regex(
            daemons[id]!.output(),
            new RegExp(`worker started worker=${w} proc=supervisor pid=\\d+ forked=early`),
          );
      // rr through the master: both reals answer, alternating
      const r = await gets(6);
      t.deepEqual([...r].sort(), ['RS1', 'RS1', 'RS1', 'RS2', 'RS2', 'RS2'], r.join('|'));
    } catch (e) {
      await dumpLogs(t);
      throw e;
    }
  },
);

test.serial(
  'health check under the supervisor: a stopped real leaves both tables and comes back',
  async (t) => {
    try {
      await bothTables(full, 30_000);
      await lab.stopHttp('rs2');
      const down = await bothTables(withoutRs2, 30_000);
      t.log(`rs2 stopped: gone from lvs1/lvs2 tables after ${down.join('/')} ms`);
      t.deepEqual(await gets(3), ['RS1', 'RS1', 'RS1']);
      await lab.startHttp('rs2');
      const up = await bothTables(full, 30_000);
      t.log(`rs2 started: back in lvs1/lvs2 tables after ${up.join('/')} ms`);
    } catch (e) {
      await dumpLogs(t);
      throw e;
    }
  },
);

let vrrpUndisturbedByReload: boolean | undefined;

test.serial('reload: a valid change is applied on both directors', async (t) => {
  try {
    await bothTables(full, 30_000);
    const before1 = await vrrpView(lab.runDir('lvs1'));
    const before2 = await vrrpView(lab.runDir('lvs2'));
    const text = readFileSync(lab.conf, 'utf8');
    const changed = text.replace(/(real_server 192\.168\.0\.102 80 \{\n\s*)weight 1/, '$1weight 3');
    t.not(changed, text);
    writeFileSync(lab.conf, changed);
    daemons.lvs1!.proc.kill('SIGHUP');
    daemons.lvs2!.proc.kill('SIGHUP');
    // 90 s: each reload validates the file in a new lvsd process, which starts slowly in the
    // emulated VM (10 s quiet; past 30 s with another VM beside it)
    const took = await bothTables(heavierRs2, 90_000);
    t.log(`valid reload applied on lvs1/lvs2 after ${took.join('/')} ms`);
    await sleep(3000); // a VIP flap or a restarted VRRP worker shows by now
    const after1 = await vrrpView(lab.runDir('lvs1')).catch(() => undefined);
    const after2 = await vrrpView(lab.runDir('lvs2')).catch(() => undefined);
    vrrpUndisturbedByReload =
      (await master()) === 'lvs1' &&
      JSON.stringify(after1) === JSON.stringify(before1) &&
      JSON.stringify(after2) === JSON.stringify(before2);
    if (!vrrpUndisturbedByReload)
      t.log(
        `VRRP disturbed by SIGHUP: before ${JSON.stringify([before1, before2])} after ${JSON.stringify([after1, after2])}`,
      );
    // whatever happened to VRRP, the pair settles with lvs1 master and the new table on both
    const settle = await waitUntil('lvs1 master after reload', master, (m) => m === 'lvs1', 60_000);
    t.log(`lvs1 master ${settle} ms after the check`);
    await waitUntil(
      'lvs2 backup after reload',
      () => vrrpView(lab.runDir('lvs2')),
      (v) => v.instances.every((i) => i.state === 'backup'),
      30_000,
    );
    t.deepEqual(await table(lab.ns.lvs1), heavierRs2);
    t.deepEqual(await table(lab.ns.lvs2), heavierRs2);
  } catch (e) {
    await dumpLogs(t);
    throw e;
  }
});

// e2e-1 (.coord/e2e-bugs.md, fixed 22:58): SIGHUP used to kill and restart the VRRP worker (VIP flap).
test.serial(
  'reload: the VRRP workers stay undisturbed by a valid SIGHUP (same pid, states, transitions)',
  (t) => {
    t.true(vrrpUndisturbedByReload);
  },
);

test.serial('reload: an invalid config changes nothing and is reported with file:line:col', async (t) => {
  try {
    await bothTables(heavierRs2, 30_000);
    const before1 = await vrrpView(lab.runDir('lvs1'));
    const before2 = await vrrpView(lab.runDir('lvs2'));
    const good = readFileSync(lab.conf, 'utf8');
    // a typo in the scheduler name (line found below) and a weight change that must NOT be applied
    const bad = good.replace('lb_algo rr', 'lb_algo rrr').replace(/weight 3/, 'weight 5');
    const line = bad.split('\n').findIndex((l) => l.includes('lb_algo rrr')) + 1;
    writeFileSync(lab.conf, bad);
    t.teardown(() => writeFileSync(lab.conf, good));
    const mark = daemons.lvs1!.output().length;
    daemons.lvs1!.proc.kill('SIGHUP');
    daemons.lvs2!.proc.kill('SIGHUP');
    await waitUntil(
      'reload error logged',
      () => Promise.resolve(daemons.lvs1!.output().slice(mark)),
      (o) => o.includes(`${lab.conf}:${line}:`),
      20_000,
    );
    t.regex(daemons.lvs1!.output().slice(mark), new RegExp(`${lab.conf.replace(/\./g, '\\.')}:${line}:\\d+`));
    await sleep(3000);
    t.deepEqual(await table(lab.ns.lvs1), heavierRs2);
    t.deepEqual(await table(lab.ns.lvs2), heavierRs2);
    t.is(await master(), 'lvs1');
    t.deepEqual(await vrrpView(lab.runDir('lvs1')), before1);
    t.deepEqual(await vrrpView(lab.runDir('lvs2')), before2);
  } catch (e) {
    await dumpLogs(t);
    throw e;
  }
});

/** `text` without its `virtual_server` blocks (the VIPs stay): what an include matching nothing leaves. */
function withoutVirtualServers(text: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const at = text.indexOf('virtual_server ', i);
    if (at < 0) return out + text.slice(i);
    out += text.slice(i, at);
    let depth = 0;
    let j = text.indexOf('{', at);
    for (; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) break;
    }
    i = j + 1;
  }
}

test.serial('reload --dry-run: removing every virtual server while VIPs remain is a warning', async (t) => {
  const file = join(lab.runDir('lvs1'), 'no-vs.conf');
  const text = withoutVirtualServers(readFileSync(lab.conf, 'utf8'));
  t.false(text.includes('real_server'));
  writeFileSync(file, text);
  const r = await execFileP(process.execPath, [
    lvsdBin,
    'reload',
    '--dry-run',
    '-f',
    file,
    '--run-dir',
    lab.runDir('lvs1'),
  ]).catch((e: { stdout: string; stderr: string }) => e);
  t.regex(
    r.stderr,
    /warning: this reload removes every virtual server \(1 running\) while \d+ VIPs? of \d+ vrrp_instance remain/,
  );
  t.regex(r.stdout, /dry run: nothing was applied/);
  t.deepEqual(await table(lab.ns.lvs1), heavierRs2, 'the preview applied nothing');
});

test.serial(
  'supervisor: SIGKILL of the LVS worker → restarted, IPVS unchanged, VRRP undisturbed',
  async (t) => {
    try {
      const d = daemons.lvs1!;
      const before = await vrrpView(lab.runDir('lvs1'));
      const want = await table(lab.ns.lvs1);
      const old = workerPid(d.proc.pid!, '--check-only');
      t.truthy(old, 'LVS worker found among the supervisor children');
      process.kill(old!, 'SIGKILL');
      const took = await waitUntil(
        'LVS worker restarted',
        () => Promise.resolve(workerPid(d.proc.pid!, '--check-only')),
        (p) => p !== undefined && p !== old,
        30_000,
      );
      t.log(`LVS worker restarted after ${took} ms`);
      // let the new worker come up and reconcile; the table must be the same the whole time
      for (let i = 0; i < 6; i++) {
        t.deepEqual(await table(lab.ns.lvs1), want);
        await sleep(500);
      }
      t.deepEqual(await vrrpView(lab.runDir('lvs1')), before);
      t.is(await master(), 'lvs1');
      t.deepEqual([...(await gets(2))].sort(), ['RS1', 'RS2']);
    } catch (e) {
      await dumpLogs(t);
      throw e;
    }
  },
);

test.serial(
  'failover with traffic flowing: SIGKILL the master daemon, lvs2 serves, preemption hands back',
  async (t) => {
    try {
      t.is(await master(), 'lvs1');
      const client = startClientLoop(lab);
      const lines = (): ClientRequest[] => client.requests();
      try {
        await waitUntil(
          'client traffic',
          () => Promise.resolve(lines().filter((l) => l.body.startsWith('RS')).length),
          (n) => n >= 5,
          30_000,
        );
        const beforeFails = lines().filter((l) => !l.body.startsWith('RS')).length;
        // the director dies: daemon SIGKILLed (whole process group) and its links go down with it.
        // Times count from when both are done (deadAt): requests sent earlier may still pass lvs1.
        await Promise.all([
          daemons.lvs1!.killGroup(),
          lab.sh('lvs1', 'ip link set eth0 down; ip link set eth1 down'),
        ]);
        const deadAt = Date.now();
        const took = await waitUntil(
          'lvs2 holds both VIPs',
          async () => (await holds(lab.ns.lvs2, VIP)) && (await holds(lab.ns.lvs2, GW)),
          (x) => x,
          30_000,
          100,
        );
        t.log(`lvs1 dead (daemon SIGKILLed, links down): lvs2 holds both VIPs ${took} ms later (polled)`);
        const ok = (l: { body: string }): boolean => l.body.startsWith('RS');
        await waitUntil(
          'service resumed through lvs2, then 10 more requests',
          () => {
            const after = lines().filter((l) => l.at > deadAt);
            const i = after.findIndex(ok);
            return Promise.resolve(i < 0 ? 0 : after.length - i - 1);
          },
          (n) => n >= 10,
          60_000,
          100,
        );
        const after = lines().filter((l) => l.at > deadAt);
        const firstOk = after.find(ok)!;
        const fails = after.filter((l) => l.at < firstOk.at).length;
        const outage = firstOk.at - deadAt;
        t.log(
          `failover outage under traffic: first request that succeeded through lvs2 was sent ${outage} ms ` +
            `after lvs1 died; ${fails} requests failed in between (1 s client timeout, 50 ms pause)`,
        );
        t.true(outage < 30_000);
        const post = after.filter((l) => l.at > firstOk.at);
        const postFails = post.filter((l) => !ok(l)).length;
        t.log(
          `after resumption: ${post.length} requests, ${postFails} failed; before the kill: ${beforeFails} failed`,
        );
        t.true(postFails <= post.length / 10, post.map((l) => l.body).join('|'));
        t.true(post.slice(-3).every(ok), post.map((l) => l.body).join('|'));
        writeFileSync(join(lab.dir, 'failover-ms'), String(outage));

        // it reboots: no VIPs, empty IPVS table, links up; then lvsd starts and preempts (150 > 100)
        const want = await table(lab.ns.lvs2);
        await lab.sh(
          'lvs1',
          `ip addr del ${VIP}/24 dev eth0; ip addr del ${GW}/24 dev eth1; ipvsadm -C; ` +
            'ip link set eth0 up; ip link set eth1 up',
        );
        const backAt = Date.now();
        oldOutputs.push(daemons.lvs1!.output());
        daemons.lvs1 = lab.startDaemon('lvs1');
        const back = await waitUntil('lvs1 master again', master, (m) => m === 'lvs1', 150_000, 200);
        t.log(`lvs1 restarted: master again after ${back} ms`);
        await bothTables(want, 60_000);
        await sleep(3000);
        const handBack = lines().filter((l) => l.at > backAt);
        const handFails = handBack.filter((l) => !l.body.startsWith('RS')).length;
        t.log(`during preemption back: ${handBack.length} requests, ${handFails} failed`);
        const tail = lines().slice(-3);
        t.true(
          tail.every((l) => l.body.startsWith('RS')),
          tail.map((l) => l.body).join('|'),
        );
        const v2 = await vrrpView(lab.runDir('lvs2'));
        t.deepEqual(
          v2.instances.map((i) => i.state),
          ['backup', 'backup'],
        );
      } finally {
        await client.stop();
      }
    } catch (e) {
      await dumpLogs(t);
      throw e;
    }
  },
);
