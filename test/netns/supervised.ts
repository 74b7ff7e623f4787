// SPDX-License-Identifier: Apache-2.0
/**
 * The whole daemon (`lvsd run`: supervisor + workers) in a lab node, and a systemd stand-in: an
 * AF_UNIX datagram socket at NOTIFY_SOCKET (python3, as Node has no unix datagram sockets) that
 * records every sd_notify message with its arrival time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesWith } from '../fakes/process-idle.js';
import { repoRoot, waitFor, type Lab, type LabNode } from './harness.js';

export interface Supervised {
  readonly proc: ChildProcess;
  readonly runDir: string;
  readonly file: string;
  output(): string;
  /** The pid of a worker (`vrrp`, `lvs`) from its pid file, once it exists. */
  workerPid(name: string): Promise<number>;
  exited(): Promise<number | null>;
}

/**
 * `lvsd run` in a node; `runDir` reuses a run directory (a restart), else a new one is made;
 * `args` are added to `lvsd run -f FILE`; `wrap` runs it under another command (setpriv, prlimit).
 */
export function startLvsdRun(
  lab: Lab,
  node: LabNode,
  conf: string,
  env: Record<string, string> = {},
  runDir: string = mkdtempSync(join(lab.dir, `${node.name}-run-`)),
  args: readonly string[] = [],
  wrap: readonly string[] = [],
): Supervised {
  const file = join(runDir, 'lvsd.conf');
  writeFileSync(file, conf);
  const log = join(runDir, 'output.log');
  const proc = lab.spawn(
    node.ns,
    [...wrap, process.execPath, join(repoRoot, 'bin', 'lvsd'), 'run', '-f', file, ...args],
    { LVSD_RUN_DIR: runDir, LVSD_STATE_DIR: runDir, ...env },
    log,
  );
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    runDir,
    file,
    output: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    workerPid: (name) =>
      waitFor(`${name} worker pid`, () => {
        const f = join(runDir, `${name}.pid`);
        return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) || undefined : undefined;
      }),
    exited: () => exit,
  };
}

export interface NotifyMessage {
  readonly at: number;
  readonly text: string;
}

export interface NotifyListener {
  readonly path: string;
  messages(): NotifyMessage[];
  stop(): void;
}

const listener = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('ready', flush=True)
while True:
    data = s.recv(65536)
    print('%d %s' % (int(time.time() * 1000), data.decode().replace('\\n', '|')), flush=True)
`;

/** A systemd NOTIFY_SOCKET stand-in in `dir`. */
export async function notifyListener(dir: string): Promise<NotifyListener> {
  const path = join(dir, 'notify.sock');
  const p = spawn('python3', ['-c', listener, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (c: string) => (out += c));
  await waitFor('notify listener', () => out.startsWith('ready'), 5000);
  return {
    path,
    messages: () =>
      out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => {
          const sp = l.indexOf(' ');
          return { at: Number(l.slice(0, sp)), text: l.slice(sp + 1) };
        }),
    stop: () => void p.kill('SIGKILL'),
  };
}

export { processesWith };
