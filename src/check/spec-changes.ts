// SPDX-License-Identifier: Apache-2.0
/**
 * What a reload changed, told by identity: the CheckSpecBuilder keeps the object of every virtual
 * server that is the same as before, so a virtual server of the new spec that was not in the old
 * one is new or edited, and one of the old spec that is not in the new one is gone. Pure.
 */
import { perObject } from '../core/per-object.js';
import { serviceId } from '../ipvs/model.js';
import type { CheckSpec, VirtualServerSpec } from './types.js';

/** The service ids a virtual server programs (its own and its group members'), once per object. */
export const serviceIdsOf = perObject((vs: VirtualServerSpec): string[] =>
  [vs.service, ...(vs.alsoServices ?? [])].map((s) => serviceId(s.key)),
);

export interface SpecChanges {
  /** Virtual servers of `next` that `prev` did not hold (new, or edited: a new object). */
  changed: VirtualServerSpec[];
  /** The services of the virtual servers `next` no longer holds. */
  retired: string[];
}

export function specChanges(prev: CheckSpec, next: CheckSpec): SpecChanges {
  const before = new Set(prev.virtualServers);
  const after = new Set(next.virtualServers);
  return {
    changed: next.virtualServers.filter((vs) => !before.has(vs)),
    retired: prev.virtualServers.filter((vs) => !after.has(vs)).flatMap(serviceIdsOf),
  };
}
