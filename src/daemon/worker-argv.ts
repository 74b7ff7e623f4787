// SPDX-License-Identifier: Apache-2.0
/**
 * The command line the supervisor gives each worker, `run -f FILE [--config-id ID] [--realtime]
 * --model MODEL (--vrrp-only | --check-only) [--await-model]`, built here and read back here without
 * commander. Why a second reading of `run`'s flags: a worker's start is on the daemon's cold-start
 * path (spawn → the VIP of an address owner), and loading commander with `run`'s option table cost
 * it ~12 ms on Node 24 (bench/results/cold-start.md); a worker's command line is the supervisor's,
 * never an operator's. Anything else `lvsd run` is given (a hand-typed `--vrrp-only`, a typo, `--help`)
 * is not a worker's line: `readWorkerArgv` says undefined and commander parses it as always, with
 * its usage errors. node:util parseArgs does the reading. Pure.
 */
// node:util by its module object: an ES import builds its namespace, whose lazy exports load more
// of Node (its `diff`, worker_threads: ~5 ms of every lvsd process's start on Node 24)
const { parseArgs } = process.getBuiltinModule('node:util');

/** What a worker's command line says. */
export interface WorkerArgv {
  readonly configFile: string;
  readonly configId: string | undefined;
  readonly realtime: boolean;
  readonly modelFile: string;
  readonly role: 'vrrp' | 'lvs';
  readonly awaitModel: boolean;
}

/** The arguments every worker gets: `run -f FILE [--config-id ID] [--realtime] --model MODEL`. */
export function workerBaseArgs(
  opts: { configFile: string; configId: string | undefined; realtime?: boolean | undefined },
  modelFile: string,
): string[] {
  const idArgs = opts.configId === undefined ? [] : ['--config-id', opts.configId];
  return [
    'run',
    '-f',
    opts.configFile,
    ...idArgs,
    ...(opts.realtime ? ['--realtime'] : []),
    '--model',
    modelFile,
  ];
}

/** The worker's flag, appended to the base arguments. */
export const roleFlag = { vrrp: '--vrrp-only', lvs: '--check-only' } as const;

/** A worker forked before the model is validated waits for the supervisor's word (early-worker.ts). */
export const awaitModelFlag = '--await-model';

/**
 * The worker's command line (after `run`) as workerBaseArgs, a role flag and maybe --await-model
 * make it; undefined for anything else (commander then parses it).
 */
export function readWorkerArgv(args: readonly string[]): WorkerArgv | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: 'string', short: 'f' },
        'config-id': { type: 'string' },
        realtime: { type: 'boolean' },
        model: { type: 'string' },
        'vrrp-only': { type: 'boolean' },
        'check-only': { type: 'boolean' },
        'await-model': { type: 'boolean' },
      },
    }));
  } catch {
    return undefined;
  }
  const { file, model } = values;
  const vrrp = values['vrrp-only'] === true;
  if (file === undefined || model === undefined || vrrp === (values['check-only'] === true)) return undefined;
  return {
    configFile: file,
    configId: values['config-id'],
    realtime: values.realtime === true,
    modelFile: model,
    role: vrrp ? 'vrrp' : 'lvs',
    awaitModel: values['await-model'] === true,
  };
}
