// SPDX-License-Identifier: Apache-2.0
/**
 * HTTP_GET / SSL_GET: for every `url`, one request on a fresh connection; up when each answers
 * with an accepted status (default 200-299), with `digest` a body whose MD5 matches, and with
 * `regex` a body the pattern matches (or, with regex_no_match, does not).
 * TLS accepts any certificate (as keepalived does without a CA); SNI only with enable_sni.
 * Bodies are read up to a limit; the whole check has the connect_timeout deadline.
 * node:tls and node:crypto are loaded at their first use: an LVS worker without SSL_GET or digests
 * then never maps their built-in sources and code (~0.8 MB of its resident pages).
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { nodeCrypto } from '../core/node-crypto.js';
import { bodyRegexMatches, buildRequest, HttpResponseReader, statusAccepted } from './http-response.js';
import type { Probe, ProbeTarget } from './probe.js';
import { errorReason, fail, withDeadline } from './probe.js';
import type { ProbeResult } from './result.js';
import { connectTcp } from './tcp.io.js';
import type { CheckerSpec, HttpUrlSpec } from './types.js';

export type HttpCheckerSpec = Extract<CheckerSpec, { kind: 'http' }>;

/** Bodies beyond this are not read (digests over larger bodies cannot match). */
export const httpBodyLimit = 1024 * 1024;

function hostHeader(target: ProbeTarget, vhost: string | undefined): string {
  if (vhost !== undefined) return vhost;
  return target.family === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

async function openSocket(
  target: ProbeTarget,
  spec: HttpCheckerSpec,
  vhost: string | undefined,
  signal: AbortSignal,
): Promise<net.Socket> {
  const sock = await connectTcp(target, signal);
  if (!spec.tls) return sock;
  return new Promise((resolve, reject) => {
    const opts: tls.ConnectionOptions = { socket: sock, rejectUnauthorized: false };
    const sni = spec.enableSni ? (spec.sniName ?? vhost) : undefined;
    // Node would otherwise send no SNI for an IP host; set it only when asked for.
    if (sni !== undefined && !/^[\d.:]+$/.test(sni)) opts.servername = sni;
    const t = process.getBuiltinModule('node:tls').connect(opts);
    const onAbort = (): void => {
      t.destroy();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    t.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(t);
    });
    t.once('error', (e: Error) => {
      signal.removeEventListener('abort', onAbort);
      t.destroy();
      sock.destroy();
      reject(e);
    });
  });
}

async function checkUrl(
  target: ProbeTarget,
  spec: HttpCheckerSpec,
  url: HttpUrlSpec,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const vhost = url.virtualhost ?? spec.virtualhost;
  const sock = await openSocket(target, spec, vhost, signal);
  try {
    const reader = new HttpResponseReader(httpBodyLimit);
    const outcome = await new Promise<ProbeResult>((resolve) => {
      const onAbort = (): void => resolve(fail('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (r: ProbeResult): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const handle = (chunk: Buffer | null): void => {
        const r = reader.feed(chunk);
        if (!r.done) return;
        if ('error' in r) return settle(fail(r.error));
        const res = r.response;
        if (!statusAccepted(res.status, url.statusCodes)) return settle(fail(`status ${res.status}`));
        if (url.digest !== undefined) {
          const md5 = nodeCrypto().createHash('md5').update(res.body).digest('hex');
          if (md5 !== url.digest.toLowerCase()) return settle(fail(`digest ${md5}`));
        }
        if (url.regex !== undefined && bodyRegexMatches(res.body, url.regex) === url.regex.noMatch)
          return settle(fail(url.regex.noMatch ? 'regex matched (regex_no_match)' : 'regex not matched'));
        settle({ ok: true });
      };
      sock.on('data', (c: Buffer) => handle(c));
      sock.once('end', () => handle(null));
      sock.once('error', (e) => settle(fail(errorReason(e))));
      sock.once('close', () => settle(fail('connection closed')));
      sock.write(buildRequest(url.path, hostHeader(target, vhost), spec.httpProtocol));
    });
    return outcome;
  } finally {
    sock.destroy();
  }
}

export function httpProbe(target: ProbeTarget, spec: HttpCheckerSpec): Probe {
  return (outer) =>
    withDeadline(spec.timing.connectTimeoutMs, outer, async (signal) => {
      for (const url of spec.urls) {
        const r = await checkUrl(target, spec, url, signal);
        if (!r.ok) return spec.urls.length > 1 ? fail(`${url.path}: ${r.reason}`) : r;
      }
      return { ok: true };
    });
}
