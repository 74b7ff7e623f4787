// SPDX-License-Identifier: Apache-2.0
/**
 * The daemon's control socket: a unix stream socket (default `$LVSD_RUN_DIR/lvsd.sock`,
 * [/run/lvsd/lvsd.sock]) carrying one JSON request line and one JSON reply line per connection.
 * Requests: `{ "cmd": "drain" | "enable", "vs": "...", "rs": "..." }`, `{ "cmd": "status" }`,
 * `{ "cmd": "director-drain", "drained": true | false }` (`lvsd drain` / `lvsd undrain`),
 * `{ "cmd": "reload" }` (the supervisor's socket). The socket file is removed at close only when it
 * is still this server's (a newer process may have replaced it).
 * Replies: `{ "ok": true, "result": ... }` or `{ "ok": false, "error": "...", "code": "LVSD_E_..." }`.
 */
import { chmodSync, mkdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { isLvsdError, LvsdError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/** What the workers' sockets take (`vrrp.sock`, `lvsd.sock`). */
export type ControlRequest =
  | { cmd: 'drain' | 'enable'; vs: string; rs: string }
  | { cmd: 'status' }
  /** The LVS worker's kernel table counters (ip_vs stats), for the metrics endpoint. */
  | { cmd: 'ipvs-stats' }
  /** What reloading the validated model in `modelFile` would change (applies nothing). */
  | { cmd: 'plan'; modelFile: string }
  /** `lvsd drill failover`: hand these MASTER instances (or all) over to the peer and measure it. */
  | { cmd: 'drill'; instances: string[] | 'all'; back: boolean; timeoutMs: number }
  /** `lvsd drill back`: end the hold a `--no-back` drill left. */
  | { cmd: 'drill-release'; instances: string[] | 'all' }
  /** `lvsd drain` / `lvsd undrain`: withdraw (or announce again) this director's BGP announcements. */
  | { cmd: 'director-drain'; drained: boolean };

/** What the supervisor's socket takes (`supervisor.sock`). */
export type SupervisorRequest =
  | { cmd: 'status' }
  /** `dryRun`: validate `file` (default: the running config file) and preview, apply nothing. */
  | { cmd: 'reload'; dryRun?: boolean; file?: string };

export type ControlReply = { ok: true; result?: unknown } | { ok: false; error: string; code?: string };

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

/** Longest request line accepted. */
const maxRequestBytes = 64 * 1024;

export function defaultControlPath(): string {
  return process.env['LVSD_CONTROL_SOCKET'] ?? join(process.env['LVSD_RUN_DIR'] ?? '/run/lvsd', 'lvsd.sock');
}

/** The control socket of a worker the supervisor runs (`vrrp`: vrrp.sock, `lvs`: lvsd.sock). */
export function workerControlPath(worker: string, runDir: string): string | undefined {
  if (worker === 'vrrp') return join(runDir, 'vrrp.sock');
  if (worker === 'lvs') return defaultControlPath();
  return undefined;
}

/** A request line as an object, or undefined when it is not JSON of an object. */
function requestObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function parseSupervisorRequest(o: Record<string, unknown>): SupervisorRequest | undefined {
  if (o['cmd'] === 'status') return { cmd: 'status' };
  if (o['cmd'] !== 'reload') return undefined;
  const file = o['file'];
  if (file !== undefined && typeof file !== 'string') return undefined;
  return {
    cmd: 'reload',
    ...(o['dryRun'] === true ? { dryRun: true } : {}),
    ...(file !== undefined ? { file } : {}),
  };
}

/** `{ cmd: 'drill' | 'drill-release', instances: [...] | 'all', back?, timeoutMs }`. */
function parseDrill(o: Record<string, unknown>): ControlRequest | undefined {
  const i = o['instances'];
  const instances =
    i === 'all' ? 'all' : Array.isArray(i) && i.every((x) => typeof x === 'string') ? i : undefined;
  if (instances === undefined) return undefined;
  if (o['cmd'] === 'drill-release') return { cmd: 'drill-release', instances };
  const timeoutMs = o['timeoutMs'];
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) return undefined;
  return { cmd: 'drill', instances, back: o['back'] !== false, timeoutMs };
}

function parseRequest(o: Record<string, unknown>): ControlRequest | undefined {
  if (o['cmd'] === 'status') return { cmd: 'status' };
  if (o['cmd'] === 'ipvs-stats') return { cmd: 'ipvs-stats' };
  if (o['cmd'] === 'plan' && typeof o['modelFile'] === 'string')
    return { cmd: 'plan', modelFile: o['modelFile'] };
  if (o['cmd'] === 'drill' || o['cmd'] === 'drill-release') return parseDrill(o);
  if (o['cmd'] === 'director-drain' && typeof o['drained'] === 'boolean')
    return { cmd: 'director-drain', drained: o['drained'] };
  if (
    (o['cmd'] === 'drain' || o['cmd'] === 'enable') &&
    typeof o['vs'] === 'string' &&
    typeof o['rs'] === 'string'
  ) {
    return { cmd: o['cmd'], vs: o['vs'], rs: o['rs'] };
  }
  return undefined;
}

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** A worker's control socket on `path` (see serveRequests). */
export function startControlServer(
  path: string,
  handler: ControlHandler,
  log: Logger,
): Promise<ControlServer> {
  return serveRequests(path, parseRequest, handler, log);
}

/** Listen on `path` for requests `parse` accepts (a stale socket file is replaced; mode 0600). */
export async function serveRequests<R extends { cmd: string }>(
  path: string,
  parse: (o: Record<string, unknown>) => R | undefined,
  handler: (req: R) => Promise<unknown>,
  log: Logger,
): Promise<ControlServer> {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    const reply = (r: ControlReply): void => {
      conn.end(JSON.stringify(r) + '\n');
    };
    conn.on('error', () => conn.destroy());
    conn.setTimeout(10_000, () => conn.destroy());
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > maxRequestBytes)
        return reply({ ok: false, error: 'request too large', code: 'LVSD_E_CONTROL' });
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      conn.removeAllListeners('data');
      // the idle timeout guards against a client that never sends its line; the handler may take
      // longer (a reload in a loaded VM took over 10 s, and the client saw the socket closed unanswered)
      conn.setTimeout(0);
      const o = requestObject(buf.slice(0, nl));
      const req = o && parse(o);
      if (!req) return reply({ ok: false, error: 'malformed request', code: 'LVSD_E_CONTROL' });
      handler(req).then(
        (result) => reply(result === undefined ? { ok: true } : { ok: true, result }),
        (e: unknown) => {
          if (!isLvsdError(e)) log.error('control request failed', { cmd: req.cmd, error: String(e) });
          reply({ ok: false, error: (e as Error).message, ...(isLvsdError(e) ? { code: e.code } : {}) });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  const ino = statSync(path).ino;
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          try {
            if (statSync(path).ino === ino) rmSync(path, { force: true });
          } catch {
            // already gone
          }
          resolve();
        });
      }),
  };
}

/** Send one request and wait for the reply (client side, used by `lvsd real`). */
export function controlRequest(
  path: string,
  req: ControlRequest | SupervisorRequest,
  timeoutMs = 10_000,
): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new LvsdError('LVSD_E_CONTROL', `no reply from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(JSON.stringify(req) + '\n'));
    conn.on('data', (c: string) => {
      buf += c;
    });
    conn.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new LvsdError('LVSD_E_CONTROL', `cannot reach the daemon at ${path}: ${e.code ?? e.message}`, {
          cause: e,
        }),
      );
    });
    conn.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf.trim()) as ControlReply);
      } catch {
        reject(new LvsdError('LVSD_E_CONTROL', `malformed reply from ${path}`));
      }
    });
  });
}
