// SPDX-License-Identifier: Apache-2.0
/**
 * Shared by the manager tests: manager options over the fake clock and kernel, moving the fake
 * clock with the event loop, and reading the kernel.
 */
import type { ManagerOptions } from '../../../src/check/manager.js';
import { seededRng } from '../../fakes/seeded-rng.js';
import { silentLogger } from '../../fakes/silent-logger.js';
import type { FakeClock } from '../../fakes/fake-clock.js';
import type { FakeIpvsKernel } from '../../fakes/fake-ipvs-kernel.js';

/** A manager over `clock` and `kernel` whose probes all succeed and scripts do nothing, unless overridden. */
export function fakeManagerOptions(
  clock: FakeClock,
  kernel: FakeIpvsKernel,
  over: Partial<ManagerOptions> = {},
): ManagerOptions {
  return {
    kernel,
    clock,
    timers: clock,
    rng: seededRng(1),
    logger: silentLogger,
    probes: () => () => Promise.resolve({ ok: true }),
    runScript: () => {},
    ...over,
  };
}

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
