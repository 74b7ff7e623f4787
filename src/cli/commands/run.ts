// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd run -f FILE [--config-id ID] [--vrrp-only | --check-only]`.
 * --vrrp-only runs the VRRP engine in the foreground (src/daemon/vrrp-main.ts);
 * --check-only runs the checkers and the LVS manager (src/daemon/check-main.ts).
 * Without either, the supervisor runs both as separate processes (src/daemon/supervisor.ts).
 */
import { parseArgs } from 'node:util';
import type { RunOptions } from '../../daemon/run-options.js';
import type { CliIo } from '../io.js';

export async function run(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', default: '/etc/lvsd/lvsd.conf' },
        'config-id': { type: 'string', short: 'i' },
        'vrrp-only': { type: 'boolean', default: false },
        'check-only': { type: 'boolean', default: false },
        model: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr(`lvsd run: ${(e as Error).message}\n`);
    return 2;
  }
  if (values['vrrp-only'] && values['check-only']) {
    io.stderr('lvsd run: --vrrp-only and --check-only exclude each other\n');
    return 2;
  }
  const opts: RunOptions = {
    configFile: values.file,
    configId: values['config-id'],
    modelFile: values.model,
    io,
  };
  const target = values['vrrp-only']
    ? '../../daemon/vrrp-main.js'
    : values['check-only']
      ? '../../daemon/check-main.js'
      : '../../daemon/supervisor-main.js';
  const mod = (await import(target)) as { run: (o: RunOptions) => Promise<number> };
  return mod.run(opts);
}
