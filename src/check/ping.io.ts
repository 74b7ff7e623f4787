// SPDX-License-Identifier: Apache-2.0
/**
 * PING_CHECK's probe: one ICMP / ICMPv6 echo request to the target, up when the matching echo reply
 * (same source, identifier and sequence) arrives within `connect_timeout`, as keepalived's
 * check_ping.c. Node has no ICMP sockets: the addon's raw ICMP socket (src/net/raw-socket.io.ts,
 * echo replies only) is shared by every PING_CHECK of the worker, one per family and `bind_if`,
 * opened when an echo goes out and closed when none is outstanding. Replies are matched by
 * (source, sequence) under one identifier chosen at random per Pinger.
 */
import type { Rng } from '../core/clock.js';
import { canonicalAddr } from '../core/addr.js';
import { IcmpSocket, SocketError } from '../net/raw-socket.io.js';
import { echoRequest, readEchoReply } from './icmp.js';
import type { Probe, ProbeTarget } from './probe.js';
import { errorReason, fail, withDeadline } from './probe.js';
import type { ProbeResult } from './result.js';

interface Channel {
  sock: IcmpSocket;
  /** `source|seq` → settles the waiting probe. */
  waiting: Map<string, () => void>;
}

export class Pinger {
  readonly #id: number;
  #seq = 0;
  readonly #channels = new Map<string, Channel>();

  constructor(rng: Rng) {
    this.#id = Math.floor(rng.next() * 0x10000) & 0xffff;
  }

  /** The probe of one PING_CHECK: an echo to `target.host` (from `bindto`, through `bind_if`). */
  probe(target: ProbeTarget, timeoutMs: number): Probe {
    const family = target.family === 4 ? 'inet' : 'inet6';
    const host = canonicalAddr(target.host);
    return (outer) => withDeadline(timeoutMs, outer, (signal) => this.#echo(family, host, target, signal));
  }

  #channel(family: 'inet' | 'inet6', bindIf: string | undefined): Channel {
    const key = `${family}|${bindIf ?? ''}`;
    const have = this.#channels.get(key);
    if (have) return have;
    const waiting = new Map<string, () => void>();
    const sock = IcmpSocket.open({
      family,
      ...(bindIf !== undefined ? { bindIf } : {}),
      onPacket: (p) => {
        const r = readEchoReply(family, p.data);
        if (r === undefined || r.id !== this.#id) return;
        waiting.get(`${canonicalAddr(p.src)}|${r.seq}`)?.();
      },
    });
    const ch = { sock, waiting };
    this.#channels.set(key, ch);
    return ch;
  }

  #release(family: 'inet' | 'inet6', bindIf: string | undefined, ch: Channel): void {
    if (ch.waiting.size > 0) return;
    ch.sock.close();
    this.#channels.delete(`${family}|${bindIf ?? ''}`);
  }

  #echo(
    family: 'inet' | 'inet6',
    host: string,
    target: ProbeTarget,
    signal: AbortSignal,
  ): Promise<ProbeResult> {
    let ch: Channel;
    try {
      ch = this.#channel(family, target.bindIf);
    } catch (e) {
      return Promise.resolve(fail(`ICMP socket: ${e instanceof SocketError ? e.errno : errorReason(e)}`));
    }
    this.#seq = (this.#seq + 1) & 0xffff;
    const seq = this.#seq;
    const key = `${host}|${seq}`;
    return new Promise<ProbeResult>((resolve) => {
      const done = (r: ProbeResult): void => {
        ch.waiting.delete(key);
        signal.removeEventListener('abort', onAbort);
        this.#release(family, target.bindIf, ch);
        resolve(r);
      };
      const onAbort = (): void => done(fail('timeout'));
      ch.waiting.set(key, () => done({ ok: true }));
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        ch.sock.send(echoRequest(family, { id: this.#id, seq }), host, target.localAddress);
      } catch (e) {
        done(fail(e instanceof SocketError ? e.errno : errorReason(e)));
      }
    });
  }
}
