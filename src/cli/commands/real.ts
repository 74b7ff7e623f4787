// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd real drain|enable VS RS [--socket PATH]`: drain a real server (weight 0, kept out of the
 * quorum, existing connections go on) or put it back, at run time, through the daemon's control
 * socket. VS is `[tcp|udp|sctp:]ADDR:PORT`, `[V6ADDR]:PORT` or `fwmark:N`; RS is `ADDR:PORT`.
 * The choice survives a configuration reload (not a restart).
 */
import { parseArgs } from 'node:util';
import { controlRequest, defaultControlPath } from '../../daemon/control.js';
import type { CliIo } from '../io.js';

const usage = 'usage: lvsd real drain|enable VS RS [--socket PATH]\n';

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { socket: { type: 'string', short: 's' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr(`lvsd real: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  const [action, vs, rs, ...extra] = parsed.positionals;
  if (
    (action !== 'drain' && action !== 'enable') ||
    vs === undefined ||
    rs === undefined ||
    extra.length > 0
  ) {
    io.stderr(usage);
    return 2;
  }
  const path = parsed.values.socket ?? defaultControlPath();
  try {
    const reply = await controlRequest(path, { cmd: action, vs, rs });
    if (!reply.ok) {
      io.stderr(`lvsd real: ${reply.error}\n`);
      return 1;
    }
    io.stdout(`${action === 'drain' ? 'drained' : 'enabled'} ${rs} in ${vs}\n`);
    return 0;
  } catch (e) {
    io.stderr(`lvsd real: ${(e as Error).message}\n`);
    return 1;
  }
}
