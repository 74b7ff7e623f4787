// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd drain` / `lvsd undrain [--run-dir DIR | --socket PATH]`: withdraw every BGP announcement of
 * this director (the routers move its flows to the other directors; it goes on serving the flows
 * that still arrive), or announce again what has quorum. Through the LVS worker's control socket;
 * the drain is kept across reloads and restarts. Prints each VIP's state afterwards.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { controlRequest, defaultControlPath } from '../../daemon/control.js';
import type { BgpStatus } from '../../bgp/announcements.js';
import type { CliRun } from '../command.js';
import { runDirOption, subcommand } from '../command.js';
import type { CliIo } from '../io.js';

interface DrainOptions {
  runDir?: string;
  socket?: string;
}

const what = {
  drain: { drained: true, summary: "withdraw this director's BGP announcements (it keeps serving)" },
  undrain: { drained: false, summary: 'announce again the VIPs that have quorum' },
} as const;

function registerOne(parent: Command, cli: CliRun, name: keyof typeof what): Command {
  return subcommand(parent, name, cli)
    .summary(what[name].summary)
    .usage('[--run-dir DIR | --socket PATH]')
    .addOption(runDirOption().conflicts('socket'))
    .addOption(new Option('-s, --socket <PATH>', "the LVS worker's control socket [RUN_DIR/lvsd.sock]"))
    .addHelpText(
      'after',
      '\nNeeds `lvsd_bgp_table` in global_defs. The drain is kept across reloads and restarts of the daemon.',
    )
    .action(cli.act((o: DrainOptions) => setDrained(name, o, cli.io)));
}

export function register(parent: Command, cli: CliRun): Command {
  registerOne(parent, cli, 'drain');
  return registerOne(parent, cli, 'undrain');
}

async function setDrained(name: keyof typeof what, o: DrainOptions, io: CliIo): Promise<number> {
  const path = o.socket ?? (o.runDir !== undefined ? join(o.runDir, 'lvsd.sock') : defaultControlPath());
  try {
    const reply = await controlRequest(path, { cmd: 'director-drain', drained: what[name].drained });
    if (!reply.ok) {
      io.stderr(`lvsd ${name}: ${reply.error}\n`);
      return 1;
    }
    const status = reply.result as BgpStatus;
    io.stdout(`${name === 'drain' ? 'drained' : 'undrained'}\n`);
    for (const v of status.vips)
      io.stdout(`  ${v.vip} ${v.announced ? 'announced' : `withdrawn${v.reason ? ` (${v.reason})` : ''}`}\n`);
    return 0;
  } catch (e) {
    io.stderr(`lvsd ${name}: ${(e as Error).message}\n`);
    return 1;
  }
}
