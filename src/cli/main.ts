// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd` command dispatcher. Each subcommand lives in src/cli/commands/<name>.ts and exports
 * `run(argv: string[], io: CliIo): Promise<number>`; modules load lazily so `lvsd ipvs` does not
 * pay for the VRRP engine and vice versa. Exit codes: 0 ok, 1 failure, 2 usage.
 */
import type { CliIo } from './io.js';
import { processIo } from './io.js';

const commands: Record<string, { module: string; summary: string }> = {
  'check-config': { module: './commands/check-config.js', summary: 'validate a configuration file' },
  run: { module: './commands/run.js', summary: 'run the daemon (or --vrrp-only / --check-only)' },
  ipvs: { module: './commands/ipvs.js', summary: 'list, save, restore and edit the IPVS table (ipvsadm)' },
  real: { module: './commands/real.js', summary: 'drain or enable a real server at run time' },
  status: { module: './commands/status.js', summary: 'show instances, virtual and real servers' },
  reload: { module: './commands/reload.js', summary: 'reload the running daemon and wait for the outcome' },
  drill: {
    module: './commands/drill.js',
    summary: 'hand MASTER over to the peer and measure it, then take it back',
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`);
  return `usage: lvsd <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr(`lvsd: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  const mod = (await import(cmd.module)) as { run: (argv: string[], io: CliIo) => Promise<number> };
  return mod.run(rest, io);
}
