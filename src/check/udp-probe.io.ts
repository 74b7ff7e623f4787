// SPDX-License-Identifier: Apache-2.0
/** UDP_CHECK's probe: send the payload (random bytes by default), judge the reply (udp.ts). */
import { nodeCrypto } from '../core/node-crypto.js';
import { openUdp, udpExchange } from './dns.io.js';
import type { Probe, ProbeTarget } from './probe.js';
import { fail, withDeadline } from './probe.js';
import type { ProbeResult } from './result.js';
import { judgeReply, type UdpCheckerSpec } from './udp.js';

export function udpProbe(target: ProbeTarget, spec: UdpCheckerSpec): Probe {
  const silence: ProbeResult = spec.requireReply ? fail('timeout') : { ok: true };
  return (outer) =>
    withDeadline(
      spec.timing.connectTimeoutMs,
      outer,
      async (signal) => {
        const sock = await openUdp(target, signal);
        try {
          return await udpExchange(
            sock,
            spec.payload ?? nodeCrypto().randomBytes(16),
            signal,
            (msg) => (spec.requireReply ? judgeReply(msg, spec) : { ok: true }),
            silence,
          );
        } finally {
          sock.close();
        }
      },
      silence,
    );
}
