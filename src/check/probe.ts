// SPDX-License-Identifier: Apache-2.0
/**
 * The probe port shared by every checker: a probe is `(signal) => Promise<ProbeResult>` with a
 * hard deadline. Also the target resolution (connect_ip/connect_port/bindto/bind_port/fwmark/bind_if
 * over the real's address) and the deadline helper. Probes never throw: failures are results.
 */
import type { ProbeResult } from './result.js';
import type { CheckerSpec, ConnectOptions, RealServerSpec } from './types.js';

export type Probe = (signal?: AbortSignal) => Promise<ProbeResult>;

/** Builds the probe for one checker of one real (the real one is probes.io.ts; tests inject fakes). */
export type ProbeFactory = (checker: CheckerSpec, rs: RealServerSpec) => Probe;

export interface ProbeTarget {
  host: string;
  port: number;
  family: 4 | 6;
  localAddress?: string;
  localPort?: number;
  /** SO_MARK (`fwmark`); only the native TCP engine can set it. */
  fwmark?: number;
  /** SO_BINDTODEVICE (`bind_if`); only the native TCP engine can set it. */
  bindIf?: string;
}

export function probeTarget(rs: Pick<RealServerSpec, 'address' | 'port'>, c: ConnectOptions): ProbeTarget {
  const host = c.connectIp ?? rs.address;
  const t: ProbeTarget = { host, port: c.connectPort ?? rs.port, family: host.includes(':') ? 6 : 4 };
  if (c.bindTo !== undefined) t.localAddress = c.bindTo;
  if (c.bindPort !== undefined) t.localPort = c.bindPort;
  if (c.fwmark !== undefined) t.fwmark = c.fwmark;
  if (c.bindIf !== undefined) t.bindIf = c.bindIf;
  return t;
}

export function fail(reason: string): ProbeResult {
  return { ok: false, reason };
}

export function errorReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message ?? String(e);
}

/**
 * Run `body` with a deadline: it gets an AbortSignal that fires at `ms` or when `outer` aborts,
 * and must release its resources when it does. The result is the body's, or `onTimeout`.
 */
export async function withDeadline(
  ms: number,
  outer: AbortSignal | undefined,
  body: (signal: AbortSignal) => Promise<ProbeResult>,
  onTimeout: ProbeResult = fail('timeout'),
): Promise<ProbeResult> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onOuter = (): void => ctl.abort(new Error('cancelled'));
  outer?.addEventListener('abort', onOuter, { once: true });
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      ctl.abort(new Error('timeout'));
      resolve(onTimeout);
    }, ms);
  });
  try {
    return await Promise.race([body(ctl.signal).catch((e: unknown) => fail(errorReason(e))), timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
    if (!ctl.signal.aborted) ctl.abort(new Error('done'));
  }
}
