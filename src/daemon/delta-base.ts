// SPDX-License-Identifier: Apache-2.0
/**
 * What a standby validator makes its delta against (daemon/model-file.ts): the header of the
 * model.json in force, ~400 KB at 10,000 virtual servers. Read while the standby waits, and at the
 * reload read again only when model.json now names another model (its first bytes say which).
 */
import { readFileStart, readFirstLine } from './files.js';
import { type DeltaBase, deltaBaseOf, modelIdIn } from './model-file.js';

export class DeltaBaseReader {
  #last: DeltaBase | undefined;

  constructor(private readonly path: string) {}

  /** model.json's name and fingerprints, undefined when it has none (missing, or an older lvsd's). */
  read(): DeltaBase | undefined {
    const id = modelIdIn(readFileStart(this.path, 128));
    if (id === undefined) return (this.#last = undefined);
    if (this.#last?.modelId !== id) this.#last = deltaBaseOf(readFirstLine(this.path) ?? '');
    return this.#last;
  }
}
