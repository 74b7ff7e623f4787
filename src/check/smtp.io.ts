// SPDX-License-Identifier: Apache-2.0
/**
 * SMTP_CHECK's probe: a TCP connection to the target, then the conversation of smtp.ts. As in
 * keepalived, `connect_timeout` bounds the connect and each read and write on its own (the timer
 * restarts on every step), so a slow but live server is not failed for being slow overall.
 */
import type net from 'node:net';
import { connectTcp } from './tcp.io.js';
import type { Probe, ProbeTarget } from './probe.js';
import { errorReason, fail, withDeadline } from './probe.js';
import type { ProbeResult } from './result.js';
import { SMTP_MAX_LINE, smtpStep, type SmtpStage } from './smtp.js';

function converse(
  sock: net.Socket,
  heloName: string,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let stage: SmtpStage = 'banner';
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: ProbeResult): void => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(r);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(fail(`timeout waiting for the ${stage} reply`)), timeoutMs);
    };
    const onAbort = (): void => finish(fail('aborted'));
    outer?.addEventListener('abort', onAbort, { once: true });
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let eol = buf.indexOf('\n'); eol >= 0; eol = buf.indexOf('\n')) {
        const line = buf.slice(0, eol).replace(/\r$/, '');
        buf = buf.slice(eol + 1);
        const s = smtpStep(stage, line, heloName);
        if ('result' in s) return finish(s.result);
        stage = s.next;
        sock.write(s.send);
        arm();
      }
      if (buf.length > SMTP_MAX_LINE) finish(fail('reply line too long'));
    });
    sock.on('error', (e) => finish(fail(errorReason(e))));
    sock.on('end', () => finish(fail(`connection closed before the ${stage} reply`)));
    arm();
  });
}

export function smtpProbe(
  target: ProbeTarget,
  spec: { heloName: string; timing: { connectTimeoutMs: number } },
): Probe {
  const timeoutMs = spec.timing.connectTimeoutMs;
  return async (outer) => {
    let sock: net.Socket | undefined;
    const connected = await withDeadline(timeoutMs, outer, async (signal) => {
      try {
        sock = await connectTcp(target, signal);
        return { ok: true };
      } catch (e) {
        return fail(errorReason(e));
      }
    });
    if (!connected.ok || !sock) return connected;
    return converse(sock, spec.heloName, timeoutMs, outer);
  };
}
