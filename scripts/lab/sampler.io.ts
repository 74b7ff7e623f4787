// SPDX-License-Identifier: Apache-2.0
/**
 * Samples every director's state every `everyMs` (I/O) with the caller's `look`, which answers the
 * state of each director at once: the VRRP lab asks each director's VRRP worker (vrrp-sampler.io.ts),
 * the ECMP lab reads the router's next hops (hop-sampler.io.ts). The samples become the timeline's
 * lanes (timeline.ts `stateRuns`).
 */
import type { StateSample } from './timeline.js';

export interface Sampler {
  readonly samples: StateSample[];
  /** The latest sampled state of `director`. */
  latest(director: string): string | undefined;
  stop(): Promise<void>;
}

export function startSampler(look: () => Promise<Record<string, string>>, everyMs: number): Sampler {
  const samples: StateSample[] = [];
  const last = new Map<string, string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      for (const [director, state] of Object.entries(await look())) {
        samples.push({ t: Date.now(), director, state });
        last.set(director, state);
      }
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
