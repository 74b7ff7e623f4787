// SPDX-License-Identifier: Apache-2.0
/**
 * vrrp_track_process on the real kernel, lvsd and keepalived side by side: each daemon (lvsd in
 * n1, keepalived in n2, their own VRIDs) tracks the same uniquely named process with an instance
 * that goes FAULT without it (weight 0) and one whose priority rises by 20 while two run (quorum 2).
 * The processes are started and stopped by the test; both daemons must reach the same states
 * (notify FIFO lines) and priorities (adverts on the wire), and the reaction times are logged.
 * Two of the processes come from one fork (a shell's background loop: no exec), so the kernel's
 * fork events are exercised as well as exec and exit.
 *
 * The kernel's process events are not namespaced: the process name carries this run's pid and a
 * random suffix so that nothing else on the host matches it. keepalived needs `net_namespace` to
 * listen to them (it opens the socket before entering the namespace), so it is started from the
 * initial namespace with that keyword; lvsd, started inside the namespace, opens its socket from
 * the initial one by itself. Needs root and keepalived; CI runs as root.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLab,
  sniff,
  startLvsd,
  waitFor,
  type Lab,
  type LabNode,
  type LvsdStats,
  type Sniffer,
} from '../harness.js';
import { vrrpConf } from './conf.js';

let lab: Lab | undefined;
const children: ChildProcess[] = [];
test.after.always(async () => {
  for (const c of children) killGroup(c);
  await lab?.destroy();
});

function killGroup(c: ChildProcess): void {
  try {
    if (c.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The trackers and two instances (VI_F: weight 0; VI_W: +20 with two processes), on `vrid`, `vrid + 1`. */
function conf(l: Lab, node: LabNode, name: string, vrid: number, fifo: string): string {
  const inst = (n: string, v: number, track: string) => ({
    name: n,
    vrid: v,
    priority: 100,
    version: 3 as const,
    advertInt: 0.1,
    vips: [`10.${l.net}.0.${v}/32`],
    extra: ['track_process {', `  ${track}`, '}'],
  });
  return (
    `vrrp_track_process one {\n  process ${name}\n}\n` +
    `vrrp_track_process two {\n  process ${name}\n  quorum 2\n  weight 20\n}\n` +
    vrrpConf(node, [inst('VI_F', vrid, 'one'), inst('VI_W', vrid + 1, 'two')], [`vrrp_notify_fifo ${fifo}`])
  );
}

/** The last state each instance reported on a notify FIFO, and when the line arrived. */
function readFifo(path: string): Map<string, { state: string; at: number }> {
  const states = new Map<string, { state: string; at: number }>();
  const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(cat);
  let buf = '';
  cat.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const m = /^INSTANCE "(\w+)" (\w+)/.exec(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (m?.[1] && m[2]) states.set(m[1], { state: m[2], at: Date.now() });
    }
  });
  return states;
}

/** keepalived from the initial network namespace, entering the node's with `net_namespace`. */
function startKeepalivedNs(l: Lab, node: LabNode, text: string): ChildProcess {
  const dir = mkdtempSync(join(l.dir, 'ka-'));
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, `net_namespace ${node.ns}\n${text}`);
  const argv = ['-n', '-l', '-D', '--vrrp', '-f', file, '-i', node.name];
  for (const [opt, f] of [
    ['-p', 'k.pid'],
    ['-r', 'v.pid'],
    ['-c', 'c.pid'],
  ] as const)
    argv.push(opt, join(dir, f));
  const c = spawn('keepalived', argv, { stdio: 'ignore', detached: true });
  children.push(c);
  return c;
}

/** Priority in the last advert of `vrid` and when it was first seen with that priority. */
function advertPriority(
  s: Sniffer,
  vrid: number,
  since: number,
): { priority: number; at: number } | undefined {
  const mine = s.frames.filter((f) => f.kind === 'vrrp4' && f.vrid === vrid);
  const last = mine.at(-1);
  if (!last || last.priority === undefined) return undefined;
  const first = mine.find((f) => f.ts >= since && f.priority === last.priority);
  return { priority: last.priority, at: first?.ts ?? last.ts };
}

test('track_process: lvsd and keepalived go FAULT / change priority alike as the process starts, forks and stops', async (t) => {
  lab = await createLab(2);
  const l = lab;
  const [n1, n2] = l.nodes as [LabNode, LabNode];
  const name = `lvtp${process.pid.toString(36)}${randomBytes(3).toString('hex')}`.slice(0, 15);
  for (const [dir, target] of [
    ['sleep', '/bin/sleep'],
    ['sh', '/bin/sh'],
  ] as const) {
    mkdirSync(join(l.dir, dir));
    symlinkSync(target, join(l.dir, dir, name)); // the kernel names a process after the file it runs
  }
  const fifoL = join(l.dir, 'lvsd.fifo');
  const fifoK = join(l.dir, 'ka.fifo');
  await l.exec(n1.ns, ['mkfifo', fifoL, fifoK]);
  const states = { lvsd: readFifo(fifoL), keepalived: readFifo(fifoK) };
  const wire = await sniff(l);
  const vrid = { lvsd: 51, keepalived: 61 };
  const lvsd = startLvsd(l, n1, conf(l, n1, name, vrid.lvsd, fifoL));
  startKeepalivedNs(l, n2, conf(l, n2, name, vrid.keepalived, fifoK));

  type Daemon = keyof typeof vrid;
  const daemons: Daemon[] = ['lvsd', 'keepalived'];
  /** Both daemons reach `want` (VI_F's state, VI_W's advertised priority); what changed, and how fast. */
  let before: { F: string; W: number } | undefined;
  const reach = async (step: string, since: number, want: { F: string; W: number }) => {
    const times: string[] = [];
    for (const d of daemons) {
      const f = await waitFor(
        `${d}: VI_F ${want.F} (${step})`,
        () => {
          const s = states[d].get('VI_F');
          return s?.state === want.F && s;
        },
        15_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n--- lvsd output:\n${lvsd.output().slice(-3000)}`);
      });
      const w = await waitFor(
        `${d}: VI_W advertising ${want.W} (${step})`,
        () => {
          const p = advertPriority(wire, vrid[d] + 1, since);
          return p?.priority === want.W && p;
        },
        15_000,
      );
      const parts = [`VI_F ${want.F}`, `VI_W ${want.W}`];
      if (before && before.F !== want.F) parts[0] += ` after ${Math.round(f.at - since)} ms`;
      if (before && before.W !== want.W) parts[1] += ` after ${Math.round(w.at - since)} ms`;
      times.push(`${d} ${parts.join(', ')}`);
    }
    before = want;
    t.log(`${step}: ${times.join('; ')}`);
  };

  await reach('start, no process', 0, { F: 'FAULT', W: 100 });
  const stats = (await lvsd.stats()) as LvsdStats & {
    trackers: { processes?: { mode: string; viaInitialNetns: boolean } };
  };
  t.is(stats.instances.find((i) => i.name === 'VI_F')?.state, 'fault');
  t.like(stats.trackers.processes, { mode: 'events', viaInitialNetns: true }, 'event-driven, not polling');

  // the shell forks its loop (a second process of the same name, by fork only) and waits for it
  let since = Date.now();
  const forker = spawn(join(l.dir, 'sh', name), ['-c', 'while :; do sleep 1000; done & wait'], {
    stdio: 'ignore',
    detached: true,
  });
  children.push(forker);
  await reach('2 processes (exec + fork)', since, { F: 'MASTER', W: 120 });

  since = Date.now();
  process.kill(forker.pid ?? 0, 'SIGKILL'); // the forked loop lives on
  await reach('1 process (exit of the parent)', since, { F: 'MASTER', W: 100 });

  since = Date.now();
  killGroup(forker);
  await reach('no process (exit of the forked loop)', since, { F: 'FAULT', W: 100 });

  since = Date.now();
  const single = spawn(join(l.dir, 'sleep', name), ['1000'], { stdio: 'ignore', detached: true });
  children.push(single);
  await reach('1 process (exec)', since, { F: 'MASTER', W: 100 });
  killGroup(single);
});
