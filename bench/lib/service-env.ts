// SPDX-License-Identifier: Apache-2.0
/**
 * A daemon's command under the environment systemd gives a service (`env -i`: PATH, and the
 * variables the unit or the bench sets), not the bench's shell's. A variable a shell happens to
 * carry changes what Node does at start: with NODE_EXTRA_CA_CERTS, Node 20 reads and parses the whole
 * CA bundle before running a line (~60 ms and ~1.6 MB of RSS a process on the benches' machine),
 * which no lvsd.service start pays. keepalived is run the same way.
 */
export function asService(argv: readonly string[], env: Record<string, string>): string[] {
  const vars = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env };
  return ['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ...argv];
}
