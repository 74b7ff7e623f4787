// SPDX-License-Identifier: Apache-2.0
/**
 * The table the IPVS benches and scale tests use, and any table as the kernel lists it with no
 * traffic (`idleState`). The table: `services` TCP virtual servers (10.x.y.1:80, wrr),
 * each with `reals` masquerading reals (172.16+.y.N:8080, weights 1..reals), in canonical order.
 */
import { decodeDest, decodeService, writeDest, writeService } from '../../src/ipvs/attrs.js';
import type { IpvsServiceState, IpvsTable } from '../../src/ipvs/model.js';
import { noSchedulerFlags } from '../../src/ipvs/model.js';
import { AttrWriter } from '../../src/netlink/codec.js';

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

/**
 * `table` as the kernel would list it with no traffic yet (every connection counter 0): each entry
 * written as its attributes and read back by the driver's own decoders, so the objects are new and
 * have the shapes a dump gives. A copy by spread would not do for the benches: V8 gives each such
 * copy a hidden class of its own, and every comparison over them became a megamorphic lookup
 * (~0.9 µs a real: a reconcile of 100,000 reals measured 2× slower than the daemon's).
 */
export function idleState(table: IpvsTable): IpvsServiceState[] {
  return table.map((e) => {
    const svc = decodeService(
      attrsOf((w) => writeService(w, e.service)),
      { stats: false },
    );
    if (!svc.ok) throw new Error(`idleState: ${svc.reason}`);
    const destinations = e.destinations.map((d) => {
      const r = decodeDest(
        attrsOf((w) => writeDest(w, d)),
        d.family,
        { stats: false },
      );
      if (!r.ok) throw new Error(`idleState: ${r.reason}`);
      return r.value;
    });
    return { service: svc.value.service, destinations };
  });
}

function attrsOf(write: (w: AttrWriter) => void): Buffer {
  const w = new AttrWriter();
  write(w);
  return w.toBuffer();
}
