// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's walk through an HA pair's life (I/O), on a lab built by test/vm/e2e/ha-lab.ts with both
 * directors running `lvsd run` and traffic flowing: election, a real stopped and started again, a
 * reload, the master killed, the master back and preempting. Each phase acts, waits for the outcome
 * it measures, reports one progress line, then lets traffic run for `dwellMs` so the timeline shows
 * the steady state after it (phase.io.ts). A phase lasts until the next one starts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Daemon, HaLab } from '../../test/vm/e2e/ha-lab.js';
import { GW, lvsdBin, REALS, table, VIP, waitUntil } from '../../test/vm/e2e/ha-lab.js';
import type { LabPhase, PhaseRun } from './phase.io.js';
import { measured, phase, serviceBack } from './phase.io.js';
import type { Sampler } from './sampler.io.js';
import { vrrpState } from './vrrp-sampler.io.js';

const execFileP = promisify(execFile);

export type Director = 'lvs1' | 'lvs2';

export type PhaseKey = 'election' | 'real-down' | 'real-up' | 'reload' | 'failover' | 'preempt';
export type PhaseResult = LabPhase<PhaseKey>;

export interface Walk extends PhaseRun<PhaseKey> {
  lab: HaLab;
  daemons: Partial<Record<Director, Daemon>>;
  sampler: Sampler;
}

const other = (d: Director): Director => (d === 'lvs1' ? 'lvs2' : 'lvs1');
const rs2 = REALS[1];

/** The IPv4 addresses on `d`'s interfaces (one `ip` run: the VM emulates its CPU, spawns are dear). */
async function addresses(lab: HaLab, d: Director): Promise<Set<string>> {
  const r = await lab.ns[d].run('ip', ['-o', '-4', 'addr', 'show']);
  return new Set([...r.stdout.matchAll(/ inet ([0-9.]+)\//g)].map((m) => m[1]!));
}

async function holdsBoth(lab: HaLab, d: Director): Promise<boolean> {
  const a = await addresses(lab, d);
  return a.has(VIP) && a.has(GW);
}

/** `d` holds both VIPs and the other director holds neither. */
async function soleMaster(lab: HaLab, d: Director): Promise<boolean> {
  const [mine, theirs] = await Promise.all([addresses(lab, d), addresses(lab, other(d))]);
  return mine.has(VIP) && mine.has(GW) && !theirs.has(VIP) && !theirs.has(GW);
}

/** Wait until the sampler last saw `d` in `state`. */
function sampled(w: Walk, d: Director, state: string, timeoutMs: number): Promise<number> {
  return waitUntil(
    `${d} ${state}`,
    () => Promise.resolve(w.sampler.latest(d)),
    (s) => s === state,
    timeoutMs,
  );
}

/** Wait until both directors' IPVS tables satisfy `ok`; the later of the two times. */
async function bothTables(lab: HaLab, what: string, ok: (t: string[]) => boolean, timeoutMs: number) {
  const took = await Promise.all(
    // every 500 ms: each look is an `ipvsadm` run, dear in the emulated VM (CPU the daemons need)
    (['lvs1', 'lvs2'] as const).map((d) =>
      waitUntil(`${what} on ${d}`, () => table(lab.ns[d]), ok, timeoutMs, 500),
    ),
  );
  return Math.max(...took);
}

const rsLine = (t: string[]): string | undefined => t.find((l) => l.includes(` -r ${rs2}:80 `));

const twoReals = (t: string[]): boolean => t.filter((l) => l.startsWith('-a ')).length === 2;

export async function election(w: Walk): Promise<void> {
  await phase(w, 'election', 'election (both directors start)', async (p) => {
    w.daemons.lvs1 = w.lab.startDaemon('lvs1');
    w.daemons.lvs2 = w.lab.startDaemon('lvs2');
    await sampled(w, 'lvs1', 'MASTER', 240_000);
    await waitUntil(
      'lvs1 sole master',
      () => soleMaster(w.lab, 'lvs1'),
      (x) => x,
      60_000,
    );
    measured(p, 'lvs1 MASTER holding both VIPs');
    await sampled(w, 'lvs2', 'BACKUP', 60_000);
    await bothTables(w.lab, 'both reals', twoReals, 60_000);
    measured(p, 'IPVS programmed on both directors');
    p.measures.push({
      what: 'service up (unbroken run of served requests from)',
      ms: await serviceBack(w, p.start, 'both directors started', 60_000),
      serviceBack: true,
    });
  });
}

export async function realDown(w: Walk): Promise<void> {
  await phase(w, 'real-down', `real server rs2 (${rs2}) stopped`, async (p) => {
    await w.lab.stopHttp('rs2');
    await bothTables(w.lab, 'rs2 removed', (t) => rsLine(t) === undefined, 60_000);
    measured(p, 'rs2 out of both IPVS tables (health check)');
  });
}

export async function realUp(w: Walk): Promise<void> {
  await phase(w, 'real-up', 'real server rs2 started again', async (p) => {
    await w.lab.startHttp('rs2');
    await bothTables(w.lab, 'rs2 back', (t) => rsLine(t) !== undefined, 60_000);
    measured(p, 'rs2 back in both IPVS tables');
  });
}

export async function reload(w: Walk): Promise<void> {
  await phase(w, 'reload', 'reload: rs2 weight 1 -> 2 (lvsd reload on both)', async (p) => {
    const text = readFileSync(w.lab.conf, 'utf8');
    const edited = text.replace(/(real_server 192\.168\.0\.102 80 \{\s*\n\s*weight )1\b/, '$12');
    if (edited === text) throw new Error(`reload phase: no "weight 1" for rs2 in ${w.lab.conf}`);
    writeFileSync(w.lab.conf, edited);
    const before = { lvs1: w.sampler.latest('lvs1'), lvs2: w.sampler.latest('lvs2') };
    // one director after the other: each reload validates the file in a child process, and two
    // at once in the emulated VM on a busy machine took longer than the daemon's 60 s bound
    const replies: Array<{ d: Director; ms: number; out: string }> = [];
    for (const d of ['lvs1', 'lvs2'] as const) {
      const r = await execFileP(process.execPath, [lvsdBin, 'reload', '--run-dir', w.lab.runDir(d)], {
        encoding: 'utf8',
      });
      replies.push({ d, ms: Date.now() - p.start, out: r.stdout.trim() });
    }
    for (const r of replies) {
      p.measures.push({ what: `lvsd reload on ${r.d} returned`, ms: r.ms });
      p.notes.push(...r.out.split('\n').map((l) => `${r.d}: ${l}`));
    }
    await bothTables(w.lab, 'rs2 weight 2', (t) => rsLine(t)?.endsWith(' -w 2') === true, 60_000);
    measured(p, 'new weight in both IPVS tables');
    const after = { lvs1: w.sampler.latest('lvs1'), lvs2: w.sampler.latest('lvs2') };
    p.notes.push(
      `VRRP states before/after: lvs1 ${before.lvs1}/${after.lvs1}, lvs2 ${before.lvs2}/${after.lvs2}`,
    );
  });
}

export async function failover(w: Walk): Promise<void> {
  await phase(w, 'failover', 'master lvs1 killed (SIGKILL, links down)', async (p) => {
    // the director dies: the whole daemon SIGKILLed and its links down, as a crashed host
    await Promise.all([
      w.daemons.lvs1!.killGroup(),
      w.lab.sh('lvs1', 'ip link set eth0 down; ip link set eth1 down'),
    ]);
    await waitUntil(
      'lvs2 holds both VIPs',
      () => holdsBoth(w.lab, 'lvs2'),
      (x) => x,
      60_000,
      100,
    );
    measured(p, 'lvs2 holds both VIPs');
    p.measures.push({
      what: 'service back (unbroken run of served requests from)',
      ms: await serviceBack(w, p.start, 'the kill', 60_000),
      headline: true,
      serviceBack: true,
    });
  });
}

export async function preempt(w: Walk): Promise<void> {
  await phase(w, 'preempt', 'lvs1 back (rebooted, lvsd started): preempts', async (p) => {
    // a reboot: no VIPs, an empty IPVS table, links up; then lvsd starts (priority 150 > 100)
    await w.lab.sh(
      'lvs1',
      `ip addr del ${VIP}/24 dev eth0; ip addr del ${GW}/24 dev eth1; ipvsadm -C; ip link set eth0 up; ip link set eth1 up`,
    );
    w.daemons.lvs1 = w.lab.startDaemon('lvs1');
    await waitUntil(
      'lvs1 VRRP answering',
      () => vrrpState(w.lab.runDir('lvs1')),
      (s) => s !== 'down',
      240_000,
      100,
    );
    measured(p, 'lvs1 lvsd started, VRRP worker answering');
    const answering = Date.now();
    await waitUntil(
      'lvs1 sole master',
      () => soleMaster(w.lab, 'lvs1'),
      (x) => x,
      150_000,
      100,
    );
    measured(p, 'lvs1 MASTER again holding both VIPs');
    p.measures.push({
      what: 'preemption: VRRP worker answering -> MASTER',
      ms: Date.now() - answering,
      headline: true,
    });
    await sampled(w, 'lvs2', 'BACKUP', 60_000);
    await bothTables(w.lab, 'both reals on lvs1', twoReals, 60_000);
  });
}
