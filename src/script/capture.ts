// SPDX-License-Identifier: Apache-2.0
/**
 * Bounded capture of a script's stdout or stderr: the first `limit` bytes are kept, the rest only
 * counted, so a chatty or hostile script cannot grow the daemon's memory. Pure.
 */
import type { CapturedStream } from './outcome.js';

export class BoundedCapture {
  readonly #limit: number;
  readonly #chunks: Uint8Array[] = [];
  #kept = 0;
  #dropped = 0;

  /** `limit`: bytes to keep (≥ 0). */
  constructor(limit: number) {
    this.#limit = Math.max(0, Math.floor(limit));
  }

  push(chunk: Uint8Array): void {
    const room = this.#limit - this.#kept;
    const take = Math.min(room, chunk.length);
    if (take > 0) {
      this.#chunks.push(new Uint8Array(chunk.subarray(0, take))); // a copy: the caller may reuse its buffer
      this.#kept += take;
    }
    this.#dropped += chunk.length - take;
  }

  result(): CapturedStream {
    const all = new Uint8Array(this.#kept);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    return { text: new TextDecoder().decode(all), keptBytes: this.#kept, droppedBytes: this.#dropped };
  }
}
