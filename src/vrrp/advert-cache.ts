// SPDX-License-Identifier: Apache-2.0
/**
 * The adverts an instance sends, encoded once: a master sends the same bytes to the same
 * destinations every advert interval until its priority or configuration changes, so encoding
 * (and the checksum over the pseudo-header) each time only feeds the garbage collector. Keyed by
 * the MachineConfig object (replaced, never changed, on a reload) and the priority. Pure.
 */
import { buildAdvert } from './packet.js';
import type { MachineConfig } from './types.js';

export class AdvertCache {
  #config: MachineConfig | undefined;
  #priority = -1;
  readonly #byDst = new Map<string, Uint8Array>();

  /** The advert for this configuration, priority and destination (callers must not change it). */
  get(config: MachineConfig, priority: number, dst: string): Uint8Array {
    if (config !== this.#config || priority !== this.#priority) {
      this.#config = config;
      this.#priority = priority;
      this.#byDst.clear();
    }
    let bytes = this.#byDst.get(dst);
    if (!bytes) {
      bytes = buildAdvert(config, priority, dst);
      this.#byDst.set(dst, bytes);
    }
    return bytes;
  }
}
