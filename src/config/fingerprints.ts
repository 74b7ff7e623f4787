// SPDX-License-Identifier: Apache-2.0
/**
 * Fingerprints of a Model's virtual servers: what a reload compares to tell which virtual servers
 * changed without comparing what they hold. Comparing two specs of 100,000 reals structurally costs
 * ~250 ms (any generic deep-equal: node:util, fast-deep-equal, JSON text), and the LVS worker would
 * pay it on the event loop its checkers share; a fingerprint is made where the model is made (the
 * validating child, or the supervisor writing model.json) and the worker compares short strings.
 *
 * - each virtual server's is a SHA-1 of its JSON without source locations (`loc` says where it was
 *   written, which moves when a line is added above it; nothing built from the model reads it);
 * - `context` is the same over the rest of the model a virtual server's specs are built from:
 *   `global`, `track_file`s and `virtual_server_group`s. A different context changes every
 *   virtual server, so the reuse is exact however the builder uses them.
 * A hash over the model, not over the built specs: building them is the cost being saved.
 */
import { createHash } from 'node:crypto';
import type { Model, ModelFingerprints } from './model.js';

const withoutLocations = (key: string, value: unknown): unknown => (key === 'loc' ? undefined : value);

function digest(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value, withoutLocations)).digest('base64');
}

export function modelFingerprints(model: Model): ModelFingerprints {
  return {
    context: digest([model.global, model.trackFiles, model.virtualServerGroups]),
    virtualServers: model.virtualServers.map(digest),
  };
}

/** The model with its fingerprints (computed when it has none yet). */
export function withFingerprints(model: Model): Model {
  return model.fingerprints ? model : { ...model, fingerprints: modelFingerprints(model) };
}
