// SPDX-License-Identifier: Apache-2.0
/**
 * Builds the CheckSpec of each model a worker runs, keeping the VirtualServerSpec object of every
 * virtual server whose fingerprint is the same as in the last model (and the model's context too:
 * config/fingerprints.ts). The manager then knows an unchanged virtual server by identity — its
 * checkers, their state and its kernel entries stay as they are without being compared — so a
 * reload costs what changed, not the size of the table. A model without fingerprints (a worker
 * started by hand parses its file itself at start) is built afresh, and nothing is reused next time
 * either. Pure.
 */
import type { Model } from '../config/model.js';
import { groupsByName, notifyFifosOf, virtualServerSpec } from './from-model.js';
import { noteBuiltChanges } from './spec-changes.js';
import type { CheckSpec, VirtualServerSpec } from './types.js';

export class CheckSpecBuilder {
  #context: string | undefined;
  #byFingerprint = new Map<string, VirtualServerSpec>();
  /** The last spec built, and the fingerprint of each of its virtual servers. */
  #last: CheckSpec | undefined;
  #lastFingerprints: (string | undefined)[] = [];

  build(model: Model): CheckSpec {
    const fingerprints = model.fingerprints;
    const reusable = fingerprints !== undefined && fingerprints.context === this.#context;
    const groups = groupsByName(model);
    const byFingerprint = new Map<string, VirtualServerSpec>();
    const virtualServers: VirtualServerSpec[] = [];
    const made: VirtualServerSpec[] = [];
    const prints: (string | undefined)[] = [];
    model.virtualServers.forEach((vs, i) => {
      const fp = fingerprints?.virtualServers[i];
      // a second virtual server with the same fingerprint gets its own object: the manager
      // tells virtual servers apart by identity
      const kept =
        reusable && fp !== undefined && !byFingerprint.has(fp) ? this.#byFingerprint.get(fp) : undefined;
      const spec = kept ?? virtualServerSpec(vs, model, groups);
      if (!spec) return;
      if (!kept) made.push(spec);
      if (fp !== undefined && !byFingerprint.has(fp)) byFingerprint.set(fp, spec);
      virtualServers.push(spec);
      prints.push(fp);
    });
    const spec = { virtualServers, notifyFifos: notifyFifosOf(model) };
    const last = this.#last;
    if (last) {
      // a virtual server of the last spec was kept only as the object its fingerprint maps to now
      const gone = last.virtualServers.filter((vs, i) => {
        const fp = this.#lastFingerprints[i];
        return fp === undefined || byFingerprint.get(fp) !== vs;
      });
      noteBuiltChanges(last, spec, made, gone);
    }
    this.#context = fingerprints?.context;
    this.#byFingerprint = byFingerprint;
    this.#last = spec;
    this.#lastFingerprints = prints;
    return spec;
  }
}
