// SPDX-License-Identifier: Apache-2.0
// VM end-to-end test (root, inside scripts/ipvs-vm.sh, real ip_vs): `lvs_sync_daemon eth1 VI_GW` on
// the two-director NAT lab (ha-lab.ts). The IPVS sync daemon follows the VRRP instance: the MASTER
// director runs the master daemon, the BACKUP one the backup daemon (`ipvsadm -L --daemon`); after
// the master is SIGKILLed the backup's daemon turns master; when the old master comes back and
// preempts, the roles swap back; a graceful stop leaves no daemon. The same config and the same
// steps run with keepalived on both directors in the same lab, and each step's `ipvsadm -L --daemon`
// and `--timeout` (lvs_timeouts) must be the same for both.
import { readFileSync, writeFileSync } from 'node:fs';
import test from 'ava';
import type { HaLab } from './ha-lab.js';
import { createHaLab, GW, holds, VIP, waitUntil } from './ha-lab.js';

type Dir = 'lvs1' | 'lvs2';
interface Director {
  output(): string;
  /** Graceful stop (SIGTERM, then SIGKILL of the group after 15 s). */
  stop(): Promise<void>;
  /** SIGKILL of the whole process group. */
  kill(): Promise<void>;
}

let lab: HaLab;
test.before(async () => {
  lab = await createHaLab();
  const conf = readFileSync(lab.conf, 'utf8').replace(
    'global_defs {',
    'global_defs {\n  lvs_sync_daemon eth1 VI_GW\n  lvs_timeouts tcp 1000 tcpfin 30 udp 200',
  );
  writeFileSync(lab.conf, conf);
});
test.after.always(async () => {
  if (lab) await lab.close();
});

function keepalived(id: Dir): Director {
  const d = lab.startKeepalived(id);
  return { output: () => d.output(), stop: () => d.stop(), kill: () => d.killGroup() };
}

function lvsd(id: Dir): Director {
  const d = lab.startDaemon(id);
  return { output: () => d.output(), stop: () => d.stop(), kill: () => d.killGroup() };
}

const daemonsOf = async (id: Dir): Promise<string> => (await lab.ns[id].ipvsadm('-L', '--daemon')).trim();
const roles = async (id: Dir): Promise<string> =>
  (await daemonsOf(id))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[0])
    .sort()
    .join('+');
const holdsBoth = async (id: Dir): Promise<boolean> =>
  (await holds(lab.ns[id], VIP)) && (await holds(lab.ns[id], GW));

interface Steps {
  /** `ipvsadm -L --daemon` of lvs1 and lvs2 at each step, and lvs_timeouts. */
  elected: [string, string];
  timeouts: [string, string];
  failedOver: string;
  preempted: [string, string];
  stopped: [string, string];
}

/** Clean both directors (what a SIGKILL leaves: VIPs, a master daemon) between the two daemons. */
async function cleanDirectors(): Promise<void> {
  for (const id of ['lvs1', 'lvs2'] as const)
    await lab.sh(
      id,
      `ipvsadm -C; ipvsadm --stop-daemon master || true; ipvsadm --stop-daemon backup || true; ipvsadm --set 900 120 300
       ip addr del ${VIP}/24 dev eth0 2>/dev/null || true; ip addr del ${GW}/24 dev eth1 2>/dev/null || true`,
    );
}

async function scenario(
  t: { log: (s: string) => void },
  start: (id: Dir) => Director,
  who: string,
): Promise<Steps> {
  await cleanDirectors();
  const d: Partial<Record<Dir, Director>> = { lvs1: start('lvs1'), lvs2: start('lvs2') };
  const dump = (): string =>
    `lvs1:\n${d.lvs1?.output().slice(-3000)}\nlvs2:\n${d.lvs2?.output().slice(-3000)}`;
  try {
    await waitUntil(
      `${who}: lvs1 master`,
      () => holdsBoth('lvs1'),
      (x) => x,
      150_000,
    );
    await waitUntil(
      `${who}: lvs1 master daemon`,
      () => roles('lvs1'),
      (r) => r === 'master',
      60_000,
    );
    await waitUntil(
      `${who}: lvs2 backup daemon`,
      () => roles('lvs2'),
      (r) => r === 'backup',
      60_000,
    );
    const elected: [string, string] = [await daemonsOf('lvs1'), await daemonsOf('lvs2')];
    const timeouts: [string, string] = [
      (await lab.ns.lvs1.ipvsadm('-L', '--timeout')).trim(),
      (await lab.ns.lvs2.ipvsadm('-L', '--timeout')).trim(),
    ];
    await d.lvs1!.kill();
    const over = await waitUntil(
      `${who}: lvs2 master daemon`,
      () => roles('lvs2'),
      (r) => r === 'master',
      60_000,
      100,
    );
    t.log(`${who}: lvs2's sync daemon master ${over} ms after lvs1 was killed`);
    const failedOver = await daemonsOf('lvs2');
    // what the SIGKILL left on lvs1 (VIPs, its master daemon) is cleared, so that the waits below
    // see the restarted daemon's own doing
    await lab.sh(
      'lvs1',
      `ipvsadm --stop-daemon master || true; ipvsadm --stop-daemon backup || true
       ip addr del ${VIP}/24 dev eth0 2>/dev/null || true; ip addr del ${GW}/24 dev eth1 2>/dev/null || true`,
    );
    d.lvs1 = start('lvs1');
    await waitUntil(
      `${who}: lvs1 master again`,
      () => holdsBoth('lvs1'),
      (x) => x,
      150_000,
    );
    await waitUntil(
      `${who}: lvs1 master daemon again`,
      () => roles('lvs1'),
      (r) => r === 'master',
      60_000,
    );
    await waitUntil(
      `${who}: lvs2 backup daemon again`,
      () => roles('lvs2'),
      (r) => r === 'backup',
      60_000,
    );
    const preempted: [string, string] = [await daemonsOf('lvs1'), await daemonsOf('lvs2')];
    await Promise.all([d.lvs1.stop(), d.lvs2!.stop()]);
    const stopped: [string, string] = [await daemonsOf('lvs1'), await daemonsOf('lvs2')];
    return { elected, timeouts, failedOver, preempted, stopped };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${dump()}`);
  } finally {
    await Promise.all([d.lvs1?.stop(), d.lvs2?.stop()]);
  }
}

test.serial(
  'the IPVS sync daemon follows VI_GW through failover and preemption: lvsd = keepalived',
  async (t) => {
    await lab.startHttp('rs1');
    await lab.startHttp('rs2');
    const l = await scenario(t, lvsd, 'lvsd');
    t.log(`lvsd elected:\n${l.elected.join('\n')}`);
    t.regex(l.elected[0], /^master sync daemon \(mcast=eth1, syncid=52/, 'id defaults to the VRID');
    t.regex(l.elected[1], /^backup sync daemon \(mcast=eth1, syncid=52/);
    t.regex(l.failedOver, /^master sync daemon \(mcast=eth1, syncid=52/);
    t.deepEqual(l.timeouts, [
      'Timeout (tcp tcpfin udp): 1000 30 200',
      'Timeout (tcp tcpfin udp): 1000 30 200',
    ]);
    t.deepEqual(l.preempted, l.elected);
    t.deepEqual(l.stopped, ['', '']);
    const k = await scenario(t, keepalived, 'keepalived');
    t.deepEqual(l, k, 'the same sync daemons and timeouts at every step');
  },
);
