// SPDX-License-Identifier: Apache-2.0
/** The command line of a validating child (validate-config.ts): `lvsd check-config` as a reload asks it. */
import { fileURLToPath } from 'node:url';
import { modelFileIn } from './model-paths.js';
import type { ValidateOptions } from './validate-config.js';
import type { PendingModelFiles } from './validator-files.js';
import { validatorHeapFlags } from './validator-heap.js';

const binPath = (): string => fileURLToPath(new URL('../../../bin/lvsd', import.meta.url));

/**
 * Node's arguments for a child validating `o` with this heap (MB); `wait`: a standby
 * (validator-standby.ts); `written`: where it writes the model files.
 */
export function validatorArgv(
  o: ValidateOptions,
  { wait, heapMb, written }: { wait: boolean; heapMb: number; written: PendingModelFiles | undefined },
): string[] {
  return [
    ...validatorHeapFlags(heapMb, o.configBytes),
    // a standby collects what its parse left once it is ready, not ~1 min later (check-config.ts)
    ...(wait ? ['--expose-gc'] : []),
    binPath(),
    'check-config',
    '--result-json',
    '--host',
    '-f',
    o.configFile,
    ...(o.configId !== undefined ? ['--config-id', o.configId] : []),
    ...(o.lenient ? ['--lenient'] : []),
    ...(o.view ? ['--result-view', o.view] : []),
    ...(wait ? ['--result-wait'] : []),
    ...(written ? ['--result-model-file', written.whole, '--result-vrrp-file', written.vrrp] : []),
    // a standby may hand a delta against the model.json in place first (model-file.ts)
    ...(written && wait && o.filesDir !== undefined
      ? ['--result-delta-file', written.delta, '--result-base-file', modelFileIn(o.filesDir)]
      : []),
  ];
}
