// SPDX-License-Identifier: Apache-2.0
/**
 * The reload benches' configuration (bench/reload.ts, bench/reload-delta.ts): `--services N`
 * virtual servers × 10 reals with a TCP_CHECK each, and `--rounds N`, from the command line; the
 * LVS worker's check manager they reload.
 */
import { parseArgs } from 'node:util';
import { CheckManager } from '../../src/check/manager.js';
import type { CheckSpec } from '../../src/check/types.js';
import { FakeClock } from '../../test/fakes/fake-clock.js';
import type { FakeIpvsKernel } from '../../test/fakes/fake-ipvs-kernel.js';
import { seededRng } from '../../test/fakes/seeded-rng.js';
import { silentLogger } from '../../test/fakes/silent-logger.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    'worker-flags': { type: 'string', default: '' },
  },
});
export const SERVICES = Number(values.services);
export const REALS = 10;
export const ROUNDS = Number(values.rounds);
/** Node flags bench/reload-delta.ts's LVS worker gets beside the daemon's (`--worker-flags='...'`). */
export const WORKER_FLAGS = values['worker-flags'].split(' ').filter(Boolean);
/** LVSD_CONFIG_MAX_TOKENS for the bench's file (a real with its TCP_CHECK is ~19.6 words). */
export const TOKEN_LIMIT = SERVICES * REALS * 20;

/**
 * The bench's file: the 4th real of the middle virtual server weighs `weight`, every other 1;
 * `extraReal`: one real more in the middle virtual server; `head`: lines before it all.
 */
export function configText(weight: number, extraReal = false, head = ''): string {
  const out: string[] = head ? [head] : [];
  for (let i = 0; i < SERVICES; i++) {
    out.push(
      `virtual_server 10.${(i >> 8) & 255}.${i & 255}.1 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`,
    );
    const reals = REALS + (extraReal && i === SERVICES >> 1 ? 1 : 0);
    for (let j = 0; j < reals; j++) {
      const w = i === SERVICES >> 1 && j === 3 ? weight : 1;
      out.push(
        `  real_server 192.168.${j}.${(i % 250) + 1} 8080 {\n    weight ${w}\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }`,
      );
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/**
 * The LVS worker's check manager over `kernel` (the in-memory table: no ip_vs on the host), started
 * with `first`; its probes never answer and no time passes: a reload's cost is all it measures.
 */
export async function startedManager(kernel: FakeIpvsKernel, first: CheckSpec): Promise<CheckManager> {
  const clock = new FakeClock();
  const manager = new CheckManager({
    kernel,
    clock,
    timers: clock,
    rng: seededRng(1),
    logger: silentLogger,
    probes: () => () => new Promise(() => {}),
    runScript: () => {},
  });
  await manager.start(first);
  return manager;
}
