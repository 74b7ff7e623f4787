// SPDX-License-Identifier: Apache-2.0
/**
 * The ipvsadm command-line grammar: argv -> a command (`IpvsOp` or a listing request), with
 * ipvsadm's own checks and error messages. Pure. The inverse (`opToArgs`) is ipvsadm-op-args.ts.
 *
 * Written from ipvsadm 1.31's behaviour (parse_options, process_options, generic_opt_check,
 * commands_v_options, tunnel_opt_check), in steps, each in its own module: popt's tokens
 * (ipvsadm-tokenize.ts), the option switch as a table (ipvsadm-read.ts), the option bits allowed
 * per command (ipvsadm-options.ts), and each command's own checks and result (ipvsadm-verbs.ts).
 * One deliberate difference: every usage error exits 2 (ipvsadm exits 255 on some).
 */
import type { Result } from '../core/errors.js';
import type { SyncDaemonState } from './model.js';
import type { ArgResolver, Cmd, IpvsadmCommand, UsageError } from './ipvsadm-options.js';
import { MAX_TIMEOUT, UsageFail, checkLegal, commandOf, legalOptions, optNames } from './ipvsadm-options.js';
import { emptyEntry, readOptions } from './ipvsadm-read.js';
import { tokenize } from './ipvsadm-tokenize.js';
import { toNumber } from './ipvsadm-values.js';
import { buildCommand, schedulerFlags } from './ipvsadm-verbs.js';

export type { ArgResolver, IpvsadmCommand, ListRequest, UsageError } from './ipvsadm-options.js';
export { DEFAULT_PERSISTENT_TIMEOUT } from './ipvsadm-options.js';

/** Parse one ipvsadm command line (without the program name). */
export function parseIpvsadmArgs(
  argv: readonly string[],
  resolver: ArgResolver = {},
): Result<IpvsadmCommand, UsageError> {
  try {
    return { ok: true, value: parseOrThrow(argv, resolver) };
  } catch (e) {
    if (e instanceof UsageFail) {
      const error: UsageError = { message: e.message };
      if (e.tryHelp) error.tryHelp = true;
      return { ok: false, error };
    }
    throw e;
  }
}

/** `--start-daemon` / `--stop-daemon` take the state as their argument. */
function daemonStateOf(cmd: Cmd, value: string | undefined): SyncDaemonState {
  if (cmd !== 'start-daemon' && cmd !== 'stop-daemon') return 'master';
  if (value === 'master' || value === 'backup') return value;
  throw new UsageFail(
    cmd === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified',
  );
}

/** Leftover arguments: `--set`'s three timeouts, and nothing else. */
function positionalTimeouts(cmd: Cmd, rest: readonly string[]): [number, number, number] | undefined {
  const positional = [...rest];
  let timeouts: [number, number, number] | undefined;
  if (cmd === 'set') {
    if (positional.length < 3) throw new UsageFail('--set option requires 3 timeout values');
    timeouts = positional.splice(0, 3).map((x) => {
      const n = toNumber(x, 0, MAX_TIMEOUT);
      if (n === undefined) throw new UsageFail(`invalid timeout value \`${x}' specified`);
      return n;
    }) as [number, number, number];
  }
  if (positional.length > 0) throw new UsageFail(`unexpected argument ${positional[0]}`);
  return timeouts;
}

/** The steps in ipvsadm's order, so that of several mistakes the same one is reported. */
function parseOrThrow(argv: readonly string[], r: ArgResolver): IpvsadmCommand {
  if (argv.length === 0) return { cmd: 'list', list: emptyEntry().list };
  const { opts, rest } = tokenize(argv);
  const first = opts[0];
  const c0 = first ? commandOf[first.name] : undefined;
  if (!first || c0 === undefined) throw new UsageFail('', true);
  if (c0 === 'help') return { cmd: 'help' };
  if (c0 === 'version') return { cmd: 'version' };
  const cmd: Cmd = c0;
  const daemonState = daemonStateOf(cmd, first.value);
  const entry = emptyEntry();
  readOptions(entry, opts.slice(1), r);
  const timeouts = positionalTimeouts(cmd, rest);
  const flags = schedulerFlags(entry);
  checkLegal(legalOptions[cmd], optNames, entry.seen, `the '${cmd}' command`); // generic_opt_check
  return buildCommand(cmd, entry, flags, { timeouts, daemonState });
}
