// SPDX-License-Identifier: Apache-2.0
/** TCP_CHECK, HTTP_GET and SSL_GET against real servers on loopback (127.0.0.0/8 only). */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import test from 'ava';
import { httpProbe } from '../../../src/check/http.io.js';
import type { HttpCheckerSpec } from '../../../src/check/http.io.js';
import { HttpResponseReader, statusAccepted } from '../../../src/check/http-response.js';
import { tcpProbe } from '../../../src/check/tcp.io.js';
import { timing } from './spec-fixtures.js';

function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function spec(over: Partial<HttpCheckerSpec> = {}): HttpCheckerSpec {
  return {
    kind: 'http',
    tls: false,
    urls: [{ path: '/health', statusCodes: [] }],
    httpProtocol: '1.0',
    enableSni: false,
    timing: { ...timing, connectTimeoutMs: 800 },
    ...over,
  };
}

/** A port on 127.0.0.1 with nothing listening (bound then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

test('TCP_CHECK: up on connect, down on refused', async (t) => {
  const s = net.createServer((c) => c.destroy());
  const port = await listen(s);
  t.deepEqual(await tcpProbe({ host: '127.0.0.1', port, family: 4 }, 500)(), { ok: true });
  await close(s);
  const r = await tcpProbe({ host: '127.0.0.1', port: await closedPort(), family: 4 }, 500)();
  t.deepEqual(r, { ok: false, reason: 'ECONNREFUSED' });
});

test('TCP_CHECK: bindto/bind_port set the source', async (t) => {
  let seen = '';
  const s = net.createServer((c) => {
    seen = `${c.remoteAddress}:${c.remotePort}`;
    c.destroy();
  });
  const port = await listen(s, '127.0.0.1');
  const bindPort = await closedPort();
  const r = await tcpProbe(
    { host: '127.0.0.1', port, family: 4, localAddress: '127.0.0.7', localPort: bindPort },
    500,
  )();
  t.true(r.ok);
  await new Promise((res) => setTimeout(res, 20));
  t.is(seen, `127.0.0.7:${bindPort}`);
  await close(s);
});

function httpServer(handler: http.RequestListener): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer(handler);
  return listen(server).then((port) => ({ port, server }));
}

test('HTTP_GET: status ranges, digest, Host header and HTTP/1.0 request line', async (t) => {
  const seen: string[] = [];
  const { port, server } = await httpServer((req, res) => {
    seen.push(
      `${req.method} ${req.url} HTTP/${req.httpVersion} host=${req.headers.host} conn=${req.headers.connection ?? '-'}`,
    );
    if (req.url === '/teapot') res.writeHead(418).end('no');
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
  });
  const target = { host: '127.0.0.1', port, family: 4 as const };
  const md5 = createHash('md5').update('hello').digest('hex');
  t.deepEqual(
    await httpProbe(
      target,
      spec({ urls: [{ path: '/health', statusCodes: [], digest: md5 }], virtualhost: 'www.example' }),
    )(),
    { ok: true },
  );
  t.deepEqual(
    await httpProbe(target, spec({ urls: [{ path: '/health', statusCodes: [], digest: '0'.repeat(32) }] }))(),
    {
      ok: false,
      reason: `digest ${md5}`,
    },
  );
  t.deepEqual(await httpProbe(target, spec({ urls: [{ path: '/teapot', statusCodes: [] }] }))(), {
    ok: false,
    reason: 'status 418',
  });
  t.deepEqual(await httpProbe(target, spec({ urls: [{ path: '/teapot', statusCodes: [[400, 499]] }] }))(), {
    ok: true,
  });
  t.deepEqual(await httpProbe(target, spec({ httpProtocol: '1.1' }))(), { ok: true });
  t.deepEqual(seen[0], 'GET /health HTTP/1.0 host=www.example conn=-');
  t.deepEqual(seen.at(-1), `GET /health HTTP/1.1 host=127.0.0.1:${port} conn=close`);
  // Every url must pass.
  const two = spec({
    urls: [
      { path: '/health', statusCodes: [] },
      { path: '/teapot', statusCodes: [] },
    ],
  });
  t.deepEqual(await httpProbe(target, two)(), { ok: false, reason: '/teapot: status 418' });
  await close(server);
});

test('HTTP_GET: chunked body digest (HTTP/1.1)', async (t) => {
  const { port, server } = await httpServer((_req, res) => {
    res.writeHead(200);
    res.write('hel');
    setTimeout(() => res.end('lo'), 10);
  });
  const md5 = createHash('md5').update('hello').digest('hex');
  const r = await httpProbe(
    { host: '127.0.0.1', port, family: 4 },
    spec({ httpProtocol: '1.1', urls: [{ path: '/', statusCodes: [], digest: md5 }] }),
  )();
  t.deepEqual(r, { ok: true });
  await close(server);
});

test('HTTP_GET: refused, silent server times out, slow body times out, sockets closed', async (t) => {
  const target = { host: '127.0.0.1', port: await closedPort(), family: 4 as const };
  t.deepEqual(await httpProbe(target, spec())(), { ok: false, reason: 'ECONNREFUSED' });
  const open = new Set<net.Socket>();
  const silent = net.createServer((c) => {
    open.add(c);
    c.resume();
    c.on('close', () => open.delete(c));
  });
  const sp = await listen(silent);
  const t0 = Date.now();
  t.deepEqual(await httpProbe({ host: '127.0.0.1', port: sp, family: 4 }, spec())(), {
    ok: false,
    reason: 'timeout',
  });
  const took = Date.now() - t0;
  t.true(took >= 750 && took < 2000, `took ${took} ms`);
  await new Promise((res) => setTimeout(res, 50));
  t.is(open.size, 0, 'the probe closed its socket');
  await close(silent);
  const { port, server } = await httpServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('only part');
  });
  t.deepEqual(await httpProbe({ host: '127.0.0.1', port, family: 4 }, spec())(), {
    ok: false,
    reason: 'timeout',
  });
  server.closeAllConnections();
  await close(server);
});

test('HttpResponseReader: body limit and malformed responses', (t) => {
  const r = new HttpResponseReader(4);
  const out = r.feed(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n0123456789'));
  t.true(out.done && 'response' in out && out.response.truncated && out.response.body.toString() === '0123');
  const bad = new HttpResponseReader(100).feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'));
  t.deepEqual(bad, { done: true, error: 'bad status line' });
  const early = new HttpResponseReader(100);
  t.deepEqual(early.feed(Buffer.from('HTTP/1.1 200 OK\r\n')), { done: false });
  t.deepEqual(early.feed(null), { done: true, error: 'connection closed before headers' });
  t.true(statusAccepted(204, []));
  t.false(
    statusAccepted(301, [
      [200, 200],
      [400, 404],
    ]),
  );
  t.true(
    statusAccepted(404, [
      [200, 200],
      [400, 404],
    ]),
  );
});

test('SSL_GET: self-signed certificate accepted, SNI sent only with enable_sni', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=lvsd-test',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      {
        stdio: 'ignore',
      },
    );
    const snis: Array<string | false> = [];
    const body = 'secure';
    const server = tls.createServer(
      { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
      (s) => {
        snis.push((s as tls.TLSSocket & { servername?: string | false }).servername ?? false);
        s.once('data', () => s.end(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
      },
    );
    const port = await listen(server);
    const target = { host: '127.0.0.1', port, family: 4 as const };
    const md5 = createHash('md5').update(body).digest('hex');
    const urls = [{ path: '/', statusCodes: [] as Array<[number, number]>, digest: md5 }];
    t.deepEqual(await httpProbe(target, spec({ tls: true, urls }))(), { ok: true });
    t.deepEqual(
      await httpProbe(target, spec({ tls: true, urls, enableSni: true, virtualhost: 'app.example' }))(),
      { ok: true },
    );
    t.deepEqual(snis, [false, 'app.example']);
    // A plain-HTTP check against the TLS port fails rather than hanging past its deadline.
    const plain = await httpProbe(target, spec({ urls }))();
    t.false(plain.ok);
    await close(server);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
