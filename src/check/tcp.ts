// SPDX-License-Identifier: Apache-2.0
/** TCP_CHECK: up when a TCP connection to the target completes before connect_timeout. */
import net from 'node:net';
import type { Probe, ProbeTarget } from './probe.js';
import { errorReason, fail, withDeadline } from './probe.js';

/** Open a TCP connection; resolves with the socket or rejects; destroys it on abort. */
export function connectTcp(target: ProbeTarget, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const opts: net.NetConnectOpts = { host: target.host, port: target.port, family: target.family };
    if (target.localAddress !== undefined) opts.localAddress = target.localAddress;
    if (target.localPort !== undefined) opts.localPort = target.localPort;
    const sock = net.connect(opts);
    const onAbort = (): void => {
      sock.destroy();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(sock);
    });
    sock.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      reject(e);
    });
  });
}

export function tcpProbe(target: ProbeTarget, timeoutMs: number): Probe {
  return (outer) =>
    withDeadline(timeoutMs, outer, async (signal) => {
      try {
        const sock = await connectTcp(target, signal);
        sock.destroy();
        return { ok: true };
      } catch (e) {
        return fail(errorReason(e));
      }
    });
}
