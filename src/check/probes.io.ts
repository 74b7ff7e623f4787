// SPDX-License-Identifier: Apache-2.0
/** Builds the probe for one checker of one real (the factory the manager injects). */
import type { Rng } from '../core/clock.js';
import type { ScriptRunner } from '../script/runner.io.js';
import { dnsProbe } from './dns.io.js';
import { fileProbe } from './file.io.js';
import { httpProbe } from './http.io.js';
import { miscProbe } from './misc.io.js';
import type { ProbeFactory } from './probe.js';
import { probeTarget } from './probe.js';
import { tcpProbe } from './tcp.io.js';
import { dnsQueryTypes } from './types.js';
import { udpProbe } from './udp-probe.io.js';
import { Pinger } from './ping.io.js';
import { smtpProbe } from './smtp.io.js';

/** `scripts` runs the MISC_CHECK programs (stopping it kills the ones still running). */
export function realProbeFactory(rng: Rng, scripts: ScriptRunner): ProbeFactory {
  // one raw ICMP socket per family (and bind_if) for every PING_CHECK, open while echoes are out
  const pinger = new Pinger(rng);
  return (c, rs) => {
    const target = probeTarget(rs, c);
    switch (c.kind) {
      case 'tcp':
        return tcpProbe(target, c.timing.connectTimeoutMs);
      case 'http':
        return httpProbe(target, c);
      case 'misc':
        return miscProbe(c, scripts);
      case 'dns':
        return dnsProbe(target, c.timing.connectTimeoutMs, dnsQueryTypes[c.type], c.name, () => rng.next());
      case 'udp':
        return udpProbe(target, c);
      case 'file':
        return fileProbe(c);
      case 'ping':
        return pinger.probe(target, c.timing.connectTimeoutMs);
      case 'smtp':
        return smtpProbe(target, c);
    }
  };
}
