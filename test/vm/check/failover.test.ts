// SPDX-License-Identifier: Apache-2.0
// VM test (root, inside scripts/ipvs-vm.sh, real ip_vs): `lvsd run --check-only` against real
// HTTP servers in a namespace: a stopped real is quiesced/removed within the retry budget, comes
// back with its weight, quorum loss brings in the sorry server, drains survive a reload, a real
// deleted by hand is put back (drift); the same
// failure sequence driven through keepalived (checker only) ends in the same `ipvsadm -Sn` table.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Lab } from './lab.js';
import { createLab, savedTable, waitTable } from './lab.js';

const bin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));

const config = `
virtual_server 10.9.9.9 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  quorum 2
  sorry_server 10.9.0.4 80
  real_server 10.9.0.2 80 {
    weight 2
    HTTP_GET {
      url {
        path /index.html
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 10.9.0.3 80 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`;

// Worst case to notice a stop: the next probe within delay_loop, then (retry+1) probes of up to
// connect_timeout with delay_before_retry between: 1 + 2×1 + 1 = 4 s; plus slack for the
// emulated VM (TCG runs JS ~10× slower).
const detectMs = 4000 + 6000;

const vs = '-A -t 10.9.9.9:80 -s wrr';
const full = [vs, '-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 2', '-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 1'];
const quiesced3 = [
  vs,
  '-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 2',
  '-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 0',
];
const sorry = [vs, '-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 0', '-a -t 10.9.9.9:80 -r 10.9.0.4:80 -m -w 1'];

function startDaemon(
  lab: Lab,
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): { proc: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const proc = spawn('ip', ['netns', 'exec', lab.director.name, cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The failure sequence; returns the final table and the detection times. */
async function sequence(lab: Lab, t: { log: (...a: unknown[]) => void }, who: string): Promise<string[]> {
  await waitTable(lab.director, full, 60_000);
  await lab.stopHttp('10.9.0.3');
  const q = await waitTable(lab.director, quiesced3, detectMs);
  t.log(`${who}: stopped real quiesced (inhibit_on_failure) after ${q} ms`);
  await lab.startHttp('10.9.0.3');
  const r = await waitTable(lab.director, full, detectMs);
  t.log(`${who}: restarted real back at weight 1 after ${r} ms`);
  await lab.stopHttp('10.9.0.2');
  const s = await waitTable(lab.director, sorry, detectMs);
  t.log(`${who}: quorum lost, sorry server in after ${s} ms`);
  return savedTable(lab.director);
}

test('lvsd and keepalived drive the same IPVS table through the same failures', async (t) => {
  const lab = createLab(['10.9.0.2', '10.9.0.3', '10.9.0.4']);
  const daemons: Array<{ stop: () => Promise<void> }> = [];
  t.teardown(async () => {
    for (const d of daemons) await d.stop();
    lab.close();
  });
  const conf = join(lab.dir, 'lvsd.conf');
  writeFileSync(conf, config);
  const sock = join(lab.dir, 'lvsd.sock');

  // --- lvsd
  await lab.startHttp('10.9.0.2');
  await lab.startHttp('10.9.0.3');
  const lvsd = startDaemon(lab, process.execPath, [bin, 'run', '--check-only', '-f', conf], {
    LVSD_CONTROL_SOCKET: sock,
    LVSD_RUN_DIR: lab.dir,
    LVSD_STATE_DIR: lab.dir,
  });
  daemons.push(lvsd);
  let lvsdFinal: string[];
  try {
    await waitTable(lab.director, full, 60_000);
    // the control socket is served once the worker has started (after its first kernel sync)
    const ready = Date.now() + 30_000;
    while (!existsSync(sock) && Date.now() < ready) await new Promise((res) => setTimeout(res, 50));
    // Operator drain, kept over a reload (SIGHUP), then enabled again. Draining the weight-1 real
    // keeps the quorum (2 >= 2); draining the weight-2 one would lose it.
    const lvsdCli = (...args: string[]) =>
      lab.director.run(process.execPath, [bin, 'real', ...args, '--socket', sock]);
    const drain = await lvsdCli('drain', '10.9.9.9:80', '10.9.0.3:80');
    t.is(drain.code, 0, drain.stderr);
    await waitTable(lab.director, quiesced3, 5000);
    lvsd.proc.kill('SIGHUP');
    await new Promise((res) => setTimeout(res, 3000));
    t.deepEqual(await savedTable(lab.director), [...quiesced3].sort(), 'drain survives reload');
    const enable = await lvsdCli('enable', '10.9.9.9:80', '10.9.0.3:80');
    t.is(enable.code, 0, enable.stderr);
    await waitTable(lab.director, full, 5000);
    // Drift: a real deleted by hand behind lvsd's back is found by the drift walk (a step a
    // second) and put back, with no check result to prompt it (keepalived never looks again).
    const del = await lab.director.run('ipvsadm', ['-d', '-t', '10.9.9.9:80', '-r', '10.9.0.3:80']);
    t.is(del.code, 0, del.stderr);
    const repaired = await waitTable(lab.director, full, 30_000);
    t.log(`lvsd: a real deleted by hand was put back after ${repaired} ms`);
    t.regex(lvsd.output(), /IPVS table changed behind lvsd/);
    lvsdFinal = await sequence(lab, t, 'lvsd');
  } catch (e) {
    t.log(lvsd.output());
    throw e;
  }
  await lvsd.stop();
  t.deepEqual(await savedTable(lab.director), [], 'lvsd removes its services on stop');
  t.regex(lvsd.output(), /real server down/);

  // --- keepalived, checker process only, same config and the same failures.
  await lab.startHttp('10.9.0.2');
  const pids = ['p', 'c', 'r', 'b'].map((x) => join(lab.dir, `ka-${x}.pid`));
  const ka = startDaemon(lab, 'keepalived', [
    '-n',
    '-l',
    '-G',
    '-C',
    '-f',
    conf,
    '-p',
    pids[0]!,
    '-c',
    pids[1]!,
    '-r',
    pids[2]!,
    '-b',
    pids[3]!,
  ]);
  daemons.push(ka);
  let kaFinal: string[];
  try {
    kaFinal = await sequence(lab, t, 'keepalived');
  } catch (e) {
    t.log(ka.output());
    throw e;
  }
  await ka.stop();
  t.deepEqual(lvsdFinal, kaFinal);
  t.deepEqual(lvsdFinal, [...sorry].sort());
});
