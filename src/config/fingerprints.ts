// SPDX-License-Identifier: Apache-2.0
/**
 * Fingerprints of a Model's virtual servers: what a reload compares to tell which virtual servers
 * changed without comparing what they hold. Comparing two specs of 100,000 reals structurally costs
 * ~250 ms (any generic deep-equal: node:util, fast-deep-equal, JSON text), and the LVS worker would
 * pay it on the event loop its checkers share; a fingerprint is made where the model is made (the
 * validating child, or the supervisor writing model.json) and the worker compares short strings.
 *
 * - each virtual server's is a SHA-1 of its JSON without source locations (`loc` says where it was
 *   written, which moves when a line is added above it; nothing built from the model reads it). The
 *   JSON is model.json's line for it (daemon/model-file.ts), so one JSON.stringify serves both; the
 *   locations are cut from the text (a `loc` object is flat: {file, line, col}). One whose file name
 *   holds a brace keeps its location in the hash: it is then seen changed when its line moves, never
 *   unchanged when it is not;
 * - `context` is the same over the rest of the model a virtual server's specs are built from:
 *   `global`, `track_file`s and `virtual_server_group`s. A different context changes every
 *   virtual server, so the reuse is exact however the builder uses them.
 * A hash over the model, not over the built specs: building them is the cost being saved.
 */
import { nodeCrypto as crypto } from '../core/node-crypto.js';
import type { Model, ModelFingerprints, VirtualServer } from './model.js';

/** A `loc` member in JSON text: inside a JSON string a quote is escaped, so this is only ever a key. */
const LOCATION = /"loc":\{[^{}]*\}/g;

/** The fingerprint of a value's JSON text (`JSON.stringify` of it). */
export const fingerprintOfJson = (json: string): string =>
  crypto().createHash('sha1').update(json.replace(LOCATION, '')).digest('base64');

/** The fingerprint of what `model`'s virtual servers are built from besides themselves. */
const contextFingerprint = (model: Model): string =>
  fingerprintOfJson(JSON.stringify([model.global, model.trackFiles, model.virtualServerGroups]));

/** `model`'s fingerprints; `vsJson`: its virtual servers' JSON when already made. */
export function modelFingerprints(
  model: Model,
  vsJson: readonly string[] = model.virtualServers.map((vs) => JSON.stringify(vs)),
): ModelFingerprints {
  return { context: contextFingerprint(model), virtualServers: vsJson.map(fingerprintOfJson) };
}

/** A virtual server's JSON text (model.json's line for it) and its fingerprint. */
export interface VsText {
  json: string;
  fingerprint: string;
}

/** The JSON text of the VRRP worker's view of `vs`: without its real servers (config/views.ts). */
const viewJson = (vs: VirtualServer): string => JSON.stringify({ ...vs, realServers: [] });

/**
 * Each virtual server's JSON text and fingerprint, made once per object: a reload that kept the
 * object (config/incremental.ts) does not make them again (at 100,000 reals, ~370 ms for all).
 */
export class VsTextCache {
  readonly #known = new WeakMap<VirtualServer, VsText>();
  readonly #views = new WeakMap<VirtualServer, string>();
  readonly #viewLines = new WeakMap<VirtualServer, Buffer>();

  /** The JSON text of the VRRP worker's view of `vs`: without its real servers (config/views.ts). */
  viewOf(vs: VirtualServer): string {
    let t = this.#views.get(vs);
    if (t === undefined) {
      t = viewJson(vs);
      this.#views.set(vs, t);
    }
    return t;
  }

  /**
   * `viewOf(vs)` as UTF-8 bytes with its newline: a line of model.vrrp.json as written (the text is
   * not kept for it: a process that writes bytes needs only them).
   */
  viewLineOf(vs: VirtualServer): Buffer {
    let b = this.#viewLines.get(vs);
    if (b === undefined) {
      b = Buffer.from(`${this.#views.get(vs) ?? viewJson(vs)}\n`);
      this.#viewLines.set(vs, b);
    }
    return b;
  }

  of(vs: VirtualServer): VsText {
    let t = this.#known.get(vs);
    if (!t) {
      const json = JSON.stringify(vs);
      t = { json, fingerprint: fingerprintOfJson(json) };
      this.#known.set(vs, t);
    }
    return t;
  }

  /** `model` with its fingerprints (made from the texts when it has none) and its virtual servers' texts. */
  fingerprinted(model: Model): { model: Model; vsJson: string[] } {
    const texts = model.virtualServers.map((vs) => this.of(vs));
    const fingerprints = model.fingerprints ?? {
      context: contextFingerprint(model),
      virtualServers: texts.map((t) => t.fingerprint),
    };
    return { model: { ...model, fingerprints }, vsJson: texts.map((t) => t.json) };
  }
}

/** The model with its fingerprints (computed when it has none yet). */
export function withFingerprints(model: Model, vsJson?: readonly string[]): Model {
  return model.fingerprints ? model : { ...model, fingerprints: modelFingerprints(model, vsJson) };
}
