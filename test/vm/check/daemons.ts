// SPDX-License-Identifier: Apache-2.0
/**
 * VM test helper: run `lvsd run --check-only` or keepalived's checker (`keepalived -C`) in the
 * director namespace of a check lab (lab.ts), with its output collected, and stop it (SIGTERM, then
 * SIGKILL after 15 s).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';

const bin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));

export interface Running {
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export function start(lab: Lab, cmd: string, args: string[], env: Record<string, string> = {}): Running {
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

export type Who = 'lvsd' | 'keepalived';

export function startWho(lab: Lab, who: Who, conf: string): Running {
  if (who === 'lvsd')
    return start(lab, process.execPath, [bin, 'run', '--check-only', '-f', conf], {
      LVSD_RUN_DIR: lab.dir,
      LVSD_STATE_DIR: lab.dir,
      LVSD_CONTROL_SOCKET: join(lab.dir, 'lvsd.sock'),
    });
  const pid = (x: string): string => join(lab.dir, `ka-${x}.pid`);
  return start(lab, 'keepalived', [
    ...['-n', '-l', '-G', '-C', '-f', conf],
    ...['-p', pid('p'), '-c', pid('c'), '-r', pid('r'), '-b', pid('b')],
  ]);
}
