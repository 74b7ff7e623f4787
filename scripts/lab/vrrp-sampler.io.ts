// SPDX-License-Identifier: Apache-2.0
/**
 * Samples each director's VRRP state through its VRRP worker's control socket (`vrrp.sock`, the
 * `status` request `lvsd status` makes) every `everyMs` (I/O). A director whose worker does not
 * answer (stopped, killed, starting) is sampled as `down`; one whose instances disagree as their
 * states joined by `/`.
 */
import { join } from 'node:path';
import { controlRequest } from '../../src/daemon/control.js';
import type { StateSample } from './timeline.js';

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

export interface Sampler {
  readonly samples: StateSample[];
  /** The latest sampled state of `director`. */
  latest(director: string): string | undefined;
  stop(): Promise<void>;
}

export function startSampler(directors: Record<string, string>, everyMs: number): Sampler {
  const samples: StateSample[] = [];
  const last = new Map<string, string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await Promise.all(
        Object.entries(directors).map(async ([director, runDir]) => {
          const state = await vrrpState(runDir);
          samples.push({ t: Date.now(), director, state });
          last.set(director, state);
        }),
      );
      await new Promise((res) => setTimeout(res, Math.max(0, everyMs - (Date.now() - started))));
    }
  })();
  return {
    samples,
    latest: (d) => last.get(d),
    async stop() {
      running = false;
      await loop;
    },
  };
}
