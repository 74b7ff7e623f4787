// SPDX-License-Identifier: Apache-2.0
/**
 * What a reload changed, told by identity: the CheckSpecBuilder keeps the object of every virtual
 * server that is the same as before, so a virtual server of the new spec that was not in the old
 * one is new or edited, and one of the old spec that is not in the new one is gone. Found once per
 * reload and handed to what follows the spec (the world, the tasks, the kernel's scopes), so that
 * each walks what changed, not the table. Pure.
 */
import { perObject } from '../core/per-object.js';
import { serviceId } from '../ipvs/model.js';
import type { CheckSpec, VirtualServerSpec } from './types.js';

/** The service ids a virtual server programs (its own and its group members'), once per object. */
export const serviceIdsOf = perObject((vs: VirtualServerSpec): string[] =>
  [vs.service, ...(vs.alsoServices ?? [])].map((s) => serviceId(s.key)),
);

export interface SpecChanges {
  /** The spec these changes lead from, and the one they lead to. */
  from: CheckSpec;
  to: CheckSpec;
  /** Virtual servers of `to` that `from` did not hold (new, or edited: a new object), in order. */
  changed: VirtualServerSpec[];
  /** Virtual servers of `from` that `to` does not hold (removed, or replaced by an edit), in order. */
  gone: VirtualServerSpec[];
  /** The services of `gone`. */
  retired: string[];
}

/** What a builder found while it made `to` from `from` (spec-builder.ts), by the spec it made. */
const builtChanges = new WeakMap<CheckSpec, SpecChanges>();

/**
 * The changes a builder knows (it made `changed` afresh and kept the rest), taken by `specChanges`
 * for the same two specs instead of comparing them whole (two sets of 10,000 objects: ~3 ms).
 */
export function noteBuiltChanges(
  from: CheckSpec,
  to: CheckSpec,
  changed: VirtualServerSpec[],
  gone: VirtualServerSpec[],
): void {
  builtChanges.set(to, { from, to, changed, gone, retired: gone.flatMap(serviceIdsOf) });
}

export function specChanges(from: CheckSpec, to: CheckSpec): SpecChanges {
  const built = builtChanges.get(to);
  if (built?.from === from) return built;
  const before = new Set(from.virtualServers);
  const after = new Set(to.virtualServers);
  const gone = from.virtualServers.filter((vs) => !after.has(vs));
  return {
    from,
    to,
    changed: to.virtualServers.filter((vs) => !before.has(vs)),
    gone,
    retired: gone.flatMap(serviceIdsOf),
  };
}
