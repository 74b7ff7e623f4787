// SPDX-License-Identifier: Apache-2.0
/**
 * How many VRRP instances and virtual servers a model has: all that decides which workers it needs
 * (reloader.ts `workersFor`). A reload's validating child says it in its answer, so that the
 * supervisor can tell the workers before it reads the model's view (validate-config.ts `viewLater`).
 */
import type { Model } from '../config/model.js';

export interface ModelShape {
  vrrpInstances: number;
  virtualServers: number;
}

export function shapeOf(model: Pick<Model, 'vrrpInstances' | 'virtualServers'>): ModelShape {
  return { vrrpInstances: model.vrrpInstances.length, virtualServers: model.virtualServers.length };
}

/** `value` as a shape, when it is one (a child's answer, read back). */
export function asShape(value: unknown): ModelShape | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { vrrpInstances, virtualServers } = value as Record<string, unknown>;
  return Number.isSafeInteger(vrrpInstances) && Number.isSafeInteger(virtualServers)
    ? { vrrpInstances: vrrpInstances as number, virtualServers: virtualServers as number }
    : undefined;
}
