// SPDX-License-Identifier: Apache-2.0
/**
 * The end of a bench's daemon in the VM: stopped as systemd stops it (SIGTERM, SIGKILL 60 s later),
 * then the IPVS table of its namespace cleared for the next daemon (keepalived leaves its services).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';

export async function stopDaemon(proc: ChildProcess, ns: string): Promise<void> {
  const gone = proc.exitCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const kill = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  await gone;
  clearTimeout(kill);
  execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-C']);
}
