// SPDX-License-Identifier: Apache-2.0
/**
 * Samples each director's VRRP state through its VRRP worker's control socket (`vrrp.sock`, the
 * `status` request `lvsd status` makes) every `everyMs` (I/O). A director whose worker does not
 * answer (stopped, killed, starting) is sampled as `down`; one whose instances disagree as their
 * states joined by `/`.
 */
import { join } from 'node:path';
import { controlRequest } from '../../src/daemon/control.js';
import type { Sampler } from './sampler.io.js';
import { startSampler } from './sampler.io.js';

interface StatusReply {
  instances: Array<{ name: string; state: string }>;
}

/** One director's VRRP state now: its instances' common state, or `down` when it does not answer. */
export async function vrrpState(runDir: string): Promise<string> {
  try {
    const reply = await controlRequest(join(runDir, 'vrrp.sock'), { cmd: 'status' }, 1000);
    if (!reply.ok) return 'down';
    const states = [...new Set((reply.result as StatusReply).instances.map((i) => i.state.toUpperCase()))];
    return states.length === 0 ? 'down' : states.join('/');
  } catch {
    return 'down';
  }
}

/** Samples each director's VRRP state every `everyMs`; `directors` maps a name to its run directory. */
export function startVrrpSampler(directors: Record<string, string>, everyMs: number): Sampler {
  return startSampler(
    async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(directors).map(async ([d, runDir]) => [d, await vrrpState(runDir)] as const),
        ),
      ),
    everyMs,
  );
}
