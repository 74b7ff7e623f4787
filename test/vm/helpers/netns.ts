// SPDX-License-Identifier: Apache-2.0
/**
 * VM test helper: network namespaces with `lo` up (an IPVS netns with `lo` down rejects every real
 * server with EINVAL, ipvs-vm.md pitfall 1), commands run inside them, and ipvsadm.
 * Needs root (it runs inside scripts/ipvs-vm.sh, where the tests are root).
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Netns {
  readonly name: string;
  /** Run a command in the namespace; never throws on a non-zero exit (see `code`). */
  run(cmd: string, args?: readonly string[], input?: string): Promise<RunResult>;
  /** `ipvsadm ARGS` in the namespace; throws with ipvsadm's stderr on failure. */
  ipvsadm(...args: string[]): Promise<string>;
  /** Feed `ipvsadm-restore`-style lines to `ipvsadm -R`; throws on failure. */
  ipvsadmRestore(lines: string): Promise<void>;
  /** Delete the namespace (idempotent). */
  close(): void;
}

let counter = 0;

/** A unique namespace name, `lv<pid>x<n><tag>` (at most 15 characters are not needed: netns names are free). */
export function uniqueNetnsName(tag = ''): string {
  counter += 1;
  return `lv${process.pid}x${counter}${tag}`;
}

/**
 * Create a namespace with `lo` up (pass `{ loUp: false }` for a namespace whose loopback was never
 * up, to test that failure). Call `close()` in `t.teardown` / `test.after.always`.
 */
export function createNetns(tag = '', opts: { loUp?: boolean } = {}): Netns {
  const name = uniqueNetnsName(tag);
  execFileSync('ip', ['netns', 'add', name]);
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  try {
    if (opts.loUp !== false) execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    close();
    throw e;
  }
  const run = async (cmd: string, args: readonly string[] = [], input?: string): Promise<RunResult> => {
    // nsenter only switches the network namespace; `ip netns exec` also remounts /sys in a new
    // mount namespace, which costs ~0.3 s per command in the VM.
    const p = execFileP('nsenter', [`--net=/run/netns/${name}`, '--', cmd, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: 300_000,
    });
    if (input !== undefined) {
      p.child.stdin?.end(input);
    }
    try {
      const { stdout, stderr } = await p;
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number | string };
      return {
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? String(e),
        code: typeof err.code === 'number' ? err.code : 1,
      };
    }
  };
  return {
    name,
    run,
    async ipvsadm(...args: string[]) {
      const r = await run('ipvsadm', args);
      if (r.code !== 0)
        throw new Error(`ipvsadm ${args.join(' ')} (netns ${name}) failed: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async ipvsadmRestore(lines: string) {
      const r = await run('ipvsadm', ['-R'], lines);
      if (r.code !== 0) throw new Error(`ipvsadm -R (netns ${name}) failed: ${r.stderr.trim()}`);
    },
    close,
  };
}

/** `ip link add A netns X type veth peer name B netns Y`, both ends up. */
export function veth(a: Netns, aName: string, b: Netns, bName: string): void {
  execFileSync('ip', [
    'link',
    'add',
    aName,
    'netns',
    a.name,
    'type',
    'veth',
    'peer',
    'name',
    bName,
    'netns',
    b.name,
  ]);
  execFileSync('ip', ['-n', a.name, 'link', 'set', aName, 'up']);
  execFileSync('ip', ['-n', b.name, 'link', 'set', bName, 'up']);
}

/**
 * busybox httpd in the foreground in `ns`, serving `root` on `listen` (`80` or `ADDR:80`). `ip netns
 * exec` execs busybox, so the child's pid is the server's: kill it by pid, never by name. It runs in
 * its own process group: httpd forks a child per connection (and the CGI below it), which outlives
 * a SIGKILL of the server alone; `stopHttpd` ends the whole group.
 */
export function spawnHttpd(ns: Netns, root: string, listen = '80'): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns.name, 'busybox', 'httpd', '-f', '-p', listen, '-h', root], {
    stdio: 'ignore',
    detached: true,
  });
}

/** Whether a process of group `pgid` is still alive (zombies, already dead, do not count). */
function groupAlive(pgid: number): boolean {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      // "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and parentheses, so after the last ')'
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}

/**
 * SIGKILL a server from spawnHttpd with its per-connection children (its process group); resolves
 * once the server has exited and no process of its group is left alive (at most `timeoutMs`).
 */
export async function stopHttpd(p: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const pgid = p.pid;
  if (pgid === undefined) return;
  const exited =
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise((res) => p.once('exit', res));
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
  await exited;
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
}

/** Wait until http://127.0.0.1/ answers inside `ns` (tries 100 ms apart); throws naming `what`. */
export async function waitHttp(ns: Netns, tries: number, what: string): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const r = await ns.run('curl', ['-s', '--max-time', '1', '-o', '/dev/null', 'http://127.0.0.1/']);
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`httpd in ${what} did not start`);
}
