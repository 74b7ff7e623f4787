// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd real drain|enable VS RS [--run-dir DIR | --socket PATH]`: drain a real server (weight 0,
 * kept out of the quorum, existing connections go on) or put it back, at run time, through the
 * LVS worker's control socket. VS and RS are read in every form src/cli/server-ref.ts knows (what
 * `lvsd status` prints among them) and sent in lvsd's: `tcp:ADDR:PORT`, `tcp:[V6ADDR]:PORT` or
 * `fwmark:N`; `ADDR:PORT`. The choice survives reloads and restarts.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { controlRequest, defaultControlPath } from '../../daemon/control.js';
import type { CliRun } from '../command.js';
import { runDirOption, runOne, subcommand } from '../command.js';
import type { CliIo } from '../io.js';
import { formatServerRef, parseServerRef } from '../../core/server-ref.js';

interface RealOptions {
  runDir?: string;
  socket?: string;
}

type Action = 'drain' | 'enable';

const what: Record<Action, { summary: string; done: string }> = {
  drain: {
    summary: 'weight 0 and out of the quorum; existing connections go on',
    done: 'drained',
  },
  enable: { summary: 'undo a drain', done: 'enabled' },
};

export function register(parent: Command, cli: CliRun): Command {
  const real = subcommand(parent, 'real', cli)
    .summary('drain or enable a real server at run time')
    .usage('drain|enable VS RS [--run-dir DIR | --socket PATH]');
  for (const action of ['drain', 'enable'] as const) {
    subcommand(real, action, cli)
      .summary(what[action].summary)
      .usage('VS RS [--run-dir DIR | --socket PATH]')
      .argument(
        '<VS>',
        'virtual server: tcp:ADDR:PORT, udp:[V6ADDR]:PORT or fwmark:N (as `lvsd status` prints it)',
      )
      .argument('<RS>', 'real server: ADDR:PORT or [V6ADDR]:PORT')
      .addOption(runDirOption().conflicts('socket'))
      .addOption(new Option('-s, --socket <PATH>', "the LVS worker's control socket [RUN_DIR/lvsd.sock]"))
      .addHelpText('after', '\nThe drain is kept across reloads and restarts of the daemon.')
      .action(
        cli.act((vs: string, rs: string, o: RealOptions, cmd: Command) =>
          setDrain(action, vs, rs, o, cmd, cli.io),
        ),
      );
  }
  return real;
}

/** `lvsd real ARGV...` */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runOne(register, argv, io);
}

async function setDrain(
  action: Action,
  vsText: string,
  rsText: string,
  o: RealOptions,
  cmd: Command,
  io: CliIo,
): Promise<number> {
  const vsRef = parseServerRef(vsText);
  if (!vsRef) cmd.error(`'${vsText}' names no virtual server`, { code: 'lvsd.usage' });
  const rsRef = parseServerRef(rsText);
  if (rsRef?.kind !== 'addr') cmd.error(`'${rsText}' names no real server`, { code: 'lvsd.usage' });
  const vs = formatServerRef(vsRef, true);
  const rs = formatServerRef(rsRef, false);
  const path = o.socket ?? (o.runDir !== undefined ? join(o.runDir, 'lvsd.sock') : defaultControlPath());
  try {
    const reply = await controlRequest(path, { cmd: action, vs, rs });
    if (!reply.ok) {
      io.stderr(`lvsd real: ${reply.error}\n`);
      return 1;
    }
    io.stdout(`${what[action].done} ${rs} in ${vs}\n`);
    return 0;
  } catch (e) {
    io.stderr(`lvsd real: ${(e as Error).message}\n`);
    return 1;
  }
}
