// SPDX-License-Identifier: Apache-2.0
/**
 * node:crypto, loaded at its first use rather than at import: loading it is ~3–5 ms of a process's
 * start on Node 24 (bench/results/cold-start.md), and its users need it late (the supervisor's
 * fingerprints once the workers are started) or seldom (IPsec AH). Taken by its module object
 * (`process.getBuiltinModule`), so pure modules may use it: an ES import of node:crypto would also
 * load it at once. Pure.
 */
import type * as Crypto from 'node:crypto';

let loaded: typeof Crypto | undefined;

export function nodeCrypto(): typeof Crypto {
  return (loaded ??= process.getBuiltinModule('node:crypto'));
}
