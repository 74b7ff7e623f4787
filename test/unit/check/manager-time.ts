// SPDX-License-Identifier: Apache-2.0
/** Shared by the manager tests: moving the fake clock with the event loop, and reading the kernel. */
import type { FakeClock } from '../../fakes/fake-clock.js';
import type { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Advance the fake clock in steps, letting promises and I/O callbacks run after each. */
export async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
    await flush();
  }
}

/** The kernel's destinations as sorted `address:weight`. */
export function kernelDests(k: FakeIpvsKernel): string[] {
  return k.table.flatMap((e) => e.destinations.map((d) => `${d.address}:${d.weight}`)).sort();
}
