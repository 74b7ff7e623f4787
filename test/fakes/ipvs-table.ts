// SPDX-License-Identifier: Apache-2.0
/**
 * The table the IPVS benches and scale tests use, and any table as the kernel lists it with no
 * traffic (`idleState`). The table: `services` TCP virtual servers (10.x.y.1:80, wrr),
 * each with `reals` masquerading reals (172.16+.y.N:8080, weights 1..reals), in canonical order.
 */
import type { IpvsServiceState, IpvsTable } from '../../src/ipvs/model.js';
import { noSchedulerFlags } from '../../src/ipvs/model.js';

export function syntheticTable(services: number, reals: number): IpvsTable {
  return Array.from({ length: services }, (_, s) => ({
    service: {
      key: {
        kind: 'addr' as const,
        family: 'inet' as const,
        protocol: 'tcp' as const,
        address: `10.${(s >> 8) & 255}.${s & 255}.1`,
        port: 80,
      },
      scheduler: 'wrr',
      flags: noSchedulerFlags,
    },
    destinations: Array.from({ length: reals }, (_, r) => ({
      family: 'inet' as const,
      address: `172.${16 + ((s >> 8) & 15)}.${s & 255}.${r + 1}`,
      port: 8080,
      method: 'masq' as const,
      weight: r + 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    })),
  }));
}

/** `table` as the kernel would list it with no traffic yet: every connection counter 0. */
export function idleState(table: IpvsTable): IpvsServiceState[] {
  return table.map((e) => ({
    service: e.service,
    destinations: e.destinations.map((d) => ({ ...d, activeConns: 0, inactiveConns: 0, persistConns: 0 })),
  }));
}
