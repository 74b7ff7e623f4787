// SPDX-License-Identifier: Apache-2.0
/**
 * The `lvsd` command line: every command, its options and help, on commander. A new command is a
 * module in src/cli/commands/ exporting `register` (see src/cli/command.ts), added to `commands`.
 * `lvsd ipvs` is listed here for help and completion only: main.ts hands its arguments to
 * ipvsadm's own parser verbatim.
 */
import type { Command } from 'commander';
import { LVSD_VERSION } from '../core/version.js';
import type { CliRun, Register } from './command.js';
import { rootCommand, subcommand } from './command.js';
import * as checkConfig from './commands/check-config.js';
import * as completion from './commands/completion.js';
import * as drain from './commands/drain.js';
import * as drill from './commands/drill.js';
import * as real from './commands/real.js';
import * as reload from './commands/reload.js';
import * as run from './commands/run.js';
import * as status from './commands/status.js';

/** `lvsd ipvs`, as help and completion list it. */
function registerIpvs(parent: Command, cli: CliRun): Command {
  return subcommand(parent, 'ipvs', cli)
    .summary("list, save, restore and edit the IPVS table (ipvsadm's command line)")
    .usage('[IPVSADM-ARGS] | list | save | restore | apply FILE')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[args...]');
}

const commands: readonly Register[] = [
  run.register,
  checkConfig.register,
  status.register,
  reload.register,
  drill.register,
  real.register,
  drain.register,
  registerIpvs,
  completion.register,
];

/** `lvsd` with every command. */
export function buildProgram(cli: CliRun): Command {
  const root = rootCommand(cli.io)
    .description('VRRP, health checks and IPVS for Linux LVS directors; reads keepalived.conf.')
    .usage('COMMAND [options]')
    .version(`lvsd ${LVSD_VERSION} (node ${process.version})`, '-V, --version', 'print the version');
  for (const register of commands) register(root, cli);
  return root.addHelpText(
    'after',
    '\n`lvsd help COMMAND` or `lvsd COMMAND --help` shows the options of a command; see lvsd(8).',
  );
}
