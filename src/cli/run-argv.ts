// SPDX-License-Identifier: Apache-2.0
/**
 * An operator's `lvsd run` command line read without commander, when it is a plain one. Why a
 * second reader of `run`'s flags: the supervisor's start is the first part of the daemon's cold
 * start (spawn → the VIP of an address owner: it forks the VRRP worker only once it has read its
 * line), and loading commander with `run`'s option table cost ~10 ms of it on Node 24
 * (bench/results/cold-start.md). Only lines every reader agrees on are read here: the documented
 * flags, each well formed (`--metrics` a listen address, neither `--metrics` nor `--check-only`
 * beside `--vrrp-only`…), no positional argument, no `--help`. Anything else says undefined and
 * commander parses it as always, with its usage errors and help: a unit test holds that for every
 * line this reader accepts, commander gives the same options. node:util parseArgs does the
 * reading. Pure.
 */
import { parseListenAddress } from '../core/listen.js';
import type { RunCommandOptions } from './commands/run-daemon.js';
import { defaultConfigFile } from './defaults.js';

// node:util by its module object (see daemon/worker-argv.ts: an ES import loads more of Node)
const { parseArgs } = process.getBuiltinModule('node:util');

/** `lvsd run`'s options as commander would give them to the action; undefined: let commander read it. */
export function readRunArgv(args: readonly string[]): RunCommandOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      tokens: true,
      options: {
        file: { type: 'string', short: 'f' },
        'config-id': { type: 'string', short: 'i' },
        'run-dir': { type: 'string' },
        lenient: { type: 'boolean' },
        metrics: { type: 'string' },
        realtime: { type: 'boolean' },
        'vrrp-only': { type: 'boolean' },
        'check-only': { type: 'boolean' },
      },
    });
  } catch {
    return undefined;
  }
  const { values, tokens } = parsed;
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    // `--no-lenient` and the like are not `run`'s flags: only --no-realtime is
    if (t.rawName.startsWith('--no-') && t.name !== 'realtime') return undefined;
    // commander checks every --metrics it is given, not only the last
    if (t.name === 'metrics' && (t.value === undefined || 'error' in parseListenAddress(t.value)))
      return undefined;
  }
  const vrrpOnly = values['vrrp-only'];
  const checkOnly = values['check-only'];
  if (vrrpOnly && checkOnly) return undefined;
  let metrics: RunCommandOptions['metrics'];
  if (values.metrics !== undefined) {
    if (vrrpOnly || checkOnly) return undefined;
    const m = parseListenAddress(values.metrics);
    if ('error' in m) return undefined; // checked above: for the type
    metrics = m;
  }
  const o: RunCommandOptions = { file: values.file ?? defaultConfigFile };
  if (values['config-id'] !== undefined) o.configId = values['config-id'];
  if (values['run-dir'] !== undefined) o.runDir = values['run-dir'];
  if (values.lenient !== undefined) o.lenient = values.lenient;
  if (metrics !== undefined) o.metrics = metrics;
  if (values.realtime !== undefined) o.realtime = values.realtime;
  if (vrrpOnly !== undefined) o.vrrpOnly = vrrpOnly;
  if (checkOnly !== undefined) o.checkOnly = checkOnly;
  return o;
}
