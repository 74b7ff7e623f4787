// SPDX-License-Identifier: Apache-2.0
/** DNS_CHECK: one query (type, name) over UDP; up when a matching answer arrives in time. */
import dgram from 'node:dgram';
import { checkReply, encodeQuery } from './dns-codec.js';
import type { Probe, ProbeTarget } from './probe.js';
import { errorReason, fail, withDeadline } from './probe.js';
import type { ProbeResult } from './result.js';

/** Open a UDP socket bound per bindto/bind_port and connected to the target. */
export function openUdp(target: ProbeTarget, signal: AbortSignal): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
    const onAbort = (): void => {
      sock.close();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      sock.close();
      reject(e);
    });
    const connect = (): void =>
      sock.connect(target.port, target.host, () => {
        signal.removeEventListener('abort', onAbort);
        sock.removeAllListeners('error');
        resolve(sock);
      });
    if (target.localAddress !== undefined || target.localPort !== undefined) {
      const bind: dgram.BindOptions = { port: target.localPort ?? 0 };
      if (target.localAddress !== undefined) bind.address = target.localAddress;
      sock.bind(bind, connect);
    } else connect();
  });
}

/**
 * Send one datagram and wait for a reply that `accept` judges, or an ICMP error, until the
 * signal aborts. `onSilence` is the result when the signal fires without a verdict.
 */
export function udpExchange(
  sock: dgram.Socket,
  payload: Uint8Array,
  signal: AbortSignal,
  accept: (msg: Buffer) => ProbeResult | undefined,
  onSilence: ProbeResult,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const settle = (r: ProbeResult): void => {
      signal.removeEventListener('abort', onAbort);
      sock.removeAllListeners('message');
      resolve(r);
    };
    const onAbort = (): void => settle(onSilence);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e) => settle(fail(errorReason(e))));
    sock.on('message', (msg: Buffer) => {
      const r = accept(msg);
      if (r) settle(r);
    });
    sock.send(payload, (e) => {
      if (e) settle(fail(errorReason(e)));
    });
  });
}

export function dnsProbe(
  target: ProbeTarget,
  timeoutMs: number,
  qtype: number,
  name: string,
  rng: () => number,
): Probe {
  return (outer) =>
    withDeadline(timeoutMs, outer, async (signal) => {
      const id = Math.floor(rng() * 0x10000);
      const sock = await openUdp(target, signal);
      try {
        let last: ProbeResult = fail('no reply');
        return await udpExchange(
          sock,
          encodeQuery(id, name, qtype),
          signal,
          (msg) => {
            const v = checkReply(msg, id, qtype);
            if (v.ok) return { ok: true };
            last = fail(v.reason);
            // A reply with the wrong id may be stale; keep waiting for ours.
            return v.reason === 'id mismatch' ? undefined : last;
          },
          fail('timeout'),
        ).then((r) =>
          r.ok ? r : r.reason === 'timeout' && !last.ok && last.reason !== 'no reply' ? last : r,
        );
      } finally {
        sock.close();
      }
    });
}
