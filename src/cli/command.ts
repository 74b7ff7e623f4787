// SPDX-License-Identifier: Apache-2.0
/**
 * What every `lvsd` command shares, on commander: output through a CliIo (so tests capture it),
 * help on `-h/--help`, a usage error (an unknown option, a missing argument) printed as
 * `lvsd CMD: message` plus the command's usage line and exiting 2, the exit status an action
 * returns, and the options whose names are the same in every command that has them.
 */
import { Command, CommanderError, Help, Option } from 'commander';
import type { CliIo } from './io.js';

/** One parse of one command line: where it prints, and the exit status its action returned. */
export class CliRun {
  status = 0;
  constructor(readonly io: CliIo) {}

  /** An action for commander that records the exit status `fn` resolves to. */
  act<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      this.status = await fn(...args);
    };
  }
}

/** Registers a command under `parent` (each module in src/cli/commands/ exports one). */
export type Register = (parent: Command, cli: CliRun) => Command;

/** `lvsd CMD [SUB]`: the command's full name. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** `usage: lvsd CMD ...`, as the help's first line. */
export function usageLine(cmd: Command): string {
  return `usage: ${new Help().commandUsage(cmd)}`;
}

/** Set `cmd` up to print through `io` and to throw (not exit) on errors and help. */
export function configure(cmd: Command, io: CliIo): Command {
  return cmd
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) =>
        write(`${commandPath(cmd)}: ${s.replace(/^error: /, '')}${usageLine(cmd)}\n`),
    })
    .configureHelp({ styleTitle: (title) => title.toLowerCase(), showGlobalOptions: false })
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .exitOverride();
}

/** A subcommand of `parent`, configured like it. */
export function subcommand(parent: Command, name: string, cli: CliRun): Command {
  return configure(parent.command(name), cli.io);
}

/** The root `lvsd` command, with nothing under it yet. */
export function rootCommand(io: CliIo): Command {
  return configure(new Command('lvsd'), io).helpCommand('help [command]', 'show the help of a command');
}

/**
 * Parse `argv` (without `lvsd`) and run the action it names. Exit status: the action's; 0 for
 * help and version; 2 for a usage error. Errors an action throws propagate.
 */
export async function parseCommandLine(root: Command, argv: readonly string[], cli: CliRun): Promise<number> {
  try {
    await root.parseAsync([...argv], { from: 'user' });
    return cli.status;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help asked for, or the version: 0. Help shown for want of a subcommand (exit code 1 from
    // commander), or any other error: a usage error.
    const asked = e.code === 'commander.helpDisplayed' || e.code === 'commander.version';
    return asked || (e.code === 'commander.help' && e.exitCode === 0) ? 0 : 2;
  }
}

/** `lvsd NAME ARGV...` with only the command `register` defines (what each module's `run` is). */
export function runOne(register: Register, argv: readonly string[], io: CliIo): Promise<number> {
  const cli = new CliRun(io);
  const root = rootCommand(io);
  const cmd = register(root, cli);
  return parseCommandLine(root, [cmd.name(), ...argv], cli);
}

// The options that mean the same in every command that takes them.

export const defaultConfigFile = '/etc/lvsd/lvsd.conf';

export const fileOption = (): Option =>
  new Option('-f, --file <FILE>', 'configuration file').default(defaultConfigFile);

export const configIdOption = (): Option =>
  new Option('-i, --config-id <ID>', 'id matched by @ID lines in the file [short hostname]');

export const runDirOption = (): Option =>
  new Option(
    '--run-dir <DIR>',
    'run directory of the daemon: control sockets, dumps [$LVSD_RUN_DIR or /run/lvsd]',
  );

export const jsonOption = (what: string): Option => new Option('--json', `print ${what} as JSON`);
