// SPDX-License-Identifier: Apache-2.0
/**
 * HTTP_GET `regex` end to end: keepalived.conf text -> Model -> CheckerSpec -> probe against a real
 * HTTP server on 127.0.0.1; plus the config errors (located) and the PCRE2 -> RegExp translation.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import test from 'ava';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { httpProbe } from '../../../src/check/http.io.js';
import type { HttpCheckerSpec } from '../../../src/check/http.io.js';
import { bodyRegexMatches } from '../../../src/check/http-response.js';
import { parseConfigText } from '../../../src/config/load.io.js';
import { compilePcre } from '../../../src/config/pcre.js';

const body = 'HTTP body\nstatus: OK\nversion=2.4.1\n';

let port = 0;
let server: http.Server;

test.before(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'text/plain' });
    res.end(req.url === '/latin1' ? Buffer.from([0x41, 0xa0, 0x42]) : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as net.AddressInfo).port;
});

test.after.always(() => new Promise<void>((resolve) => server.close(() => resolve())));

function parse(url: string) {
  const text =
    `virtual_server 10.1.1.1 80 {\n  real_server 127.0.0.1 ${port} {\n    HTTP_GET {\n` +
    `      connect_timeout 2\n      url {\n${url}\n      }\n    }\n  }\n}\n`;
  return parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient: false });
}

/** The HTTP checker of a one-real config with this url block body. */
function checker(url: string): HttpCheckerSpec {
  const { model, diagnostics } = parse(url);
  if (!model) throw new Error(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('; '));
  const c = checkSpecFromModel(model).virtualServers[0]?.reals[0]?.checkers[0];
  if (c?.kind !== 'http') throw new Error('no HTTP checker');
  return c;
}

function probe(url: string) {
  return httpProbe({ host: '127.0.0.1', port, family: 4 }, checker(url))();
}

/** The diagnostics of a config that must not load, as `line:col message`. */
function errors(url: string): string[] {
  const { model, diagnostics } = parse(url);
  if (model) throw new Error('config unexpectedly valid');
  return diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
}

test('regex: match is up, no match is down', async (t) => {
  t.deepEqual(await probe('path /\nregex "status: OK"'), { ok: true });
  t.deepEqual(await probe('path /\nregex "version=2\\.4\\.\\d+"'), { ok: true });
  t.deepEqual(await probe('path /\nregex "status: FAIL"'), { ok: false, reason: 'regex not matched' });
});

test('regex_no_match inverts', async (t) => {
  t.deepEqual(await probe('path /\nregex "status: FAIL"\nregex_no_match'), { ok: true });
  t.deepEqual(await probe('path /\nregex "status: OK"\nregex_no_match'), {
    ok: false,
    reason: 'regex matched (regex_no_match)',
  });
});

test('regex_options caseless / multiline / dotall', async (t) => {
  t.false((await probe('path /\nregex "STATUS: ok"')).ok);
  t.deepEqual(await probe('path /\nregex "STATUS: ok"\nregex_options caseless'), { ok: true });
  t.false((await probe('path /\nregex "^status"')).ok);
  t.deepEqual(await probe('path /\nregex "^status: OK$"\nregex_options multiline'), { ok: true });
  t.false((await probe('path /\nregex "body.status"')).ok);
  t.deepEqual(await probe('path /\nregex "body.status"\nregex_options dotall'), { ok: true });
});

test('PCRE2 semantics kept: `$` before a final newline, `.` and \\s per PCRE2', async (t) => {
  // PCRE2's `$` matches before the body's final newline; JavaScript's alone would not.
  t.deepEqual(await probe('path /\nregex "2\\.4\\.1$"'), { ok: true });
  t.false((await probe('path /\nregex "2\\.4\\.1$"\nregex_options dollar_endonly')).ok);
  // Byte 0xa0 is not white space to PCRE2 (no UCP) but JavaScript's \s would take it.
  t.false((await probe('path /latin1\nregex "A\\sB"')).ok);
  t.deepEqual(await probe('path /latin1\nregex "A.B"'), { ok: true });
  t.deepEqual(await probe('path /latin1\nregex "A\\xa0B"'), { ok: true });
});

test('regex_min_offset / regex_max_offset bound where a match may start', async (t) => {
  const at = body.indexOf('status'); // 10
  t.deepEqual(await probe(`path /\nregex "status"\nregex_min_offset ${at}`), { ok: true });
  t.false((await probe(`path /\nregex "status"\nregex_min_offset ${at + 1}`)).ok);
  t.deepEqual(await probe(`path /\nregex "status"\nregex_max_offset ${at}`), { ok: true });
  t.false((await probe(`path /\nregex "status"\nregex_max_offset ${at - 1}`)).ok);
  t.deepEqual(await probe(`path /\nregex "status"\nregex_min_offset ${at}\nregex_max_offset ${at}`), {
    ok: true,
  });
  // The first match after min is past max: later ones are too.
  t.false((await probe('path /\nregex "[0-9]"\nregex_min_offset 0\nregex_max_offset 5')).ok);
  t.false((await probe('path /\nregex "OK"\nregex_min_offset 100000')).ok);
});

test('regex with digest and status_code: every condition must hold', async (t) => {
  const md5 = createHash('md5').update(body).digest('hex');
  t.deepEqual(await probe(`path /\ndigest ${md5}\nstatus_code 200\nregex "OK"`), { ok: true });
  t.deepEqual(await probe(`path /\ndigest ${'0'.repeat(32)}\nregex "OK"`), {
    ok: false,
    reason: `digest ${md5}`,
  });
  t.deepEqual(await probe(`path /\ndigest ${md5}\nregex "NOPE"`), { ok: false, reason: 'regex not matched' });
  t.deepEqual(await probe('path /missing\nstatus_code 404\nregex "OK"'), { ok: true });
  t.deepEqual(await probe('path /missing\nregex "OK"'), { ok: false, reason: 'status 404' });
  t.deepEqual(await probe('path /missing\nstatus_code 404\nregex "NOPE"'), {
    ok: false,
    reason: 'regex not matched',
  });
});

test('regex_stack is accepted and ignored; regex is kept in the Model', (t) => {
  const { model, diagnostics } = parse('path /\nregex "a b"\nregex_stack 32768 65536\nregex_min_offset 2');
  t.deepEqual(diagnostics, []);
  const c = model?.virtualServers[0]?.realServers[0]?.checkers[0];
  if (c?.type !== 'HTTP_GET') return t.fail();
  t.like(c.urls[0]?.regex, { pattern: 'a b', noMatch: false, minOffset: 2 });
  t.is(c.urls[0]?.regex?.maxOffset, undefined);
});

test('config errors are located', (t) => {
  // Lines: 1 virtual_server, 2 real_server, 3 HTTP_GET, 4 connect_timeout, 5 url, 6 path, 7...
  t.deepEqual(errors('path /\nregex "a(b"'), ['7:8 `regex`: Unterminated group']);
  t.deepEqual(errors('path /\nregex "x\\Ay"'), ['7:9 `regex`: \\A has no JavaScript RegExp equivalent']);
  t.deepEqual(errors('path /\nregex "(?>ab)"'), [
    '7:8 `regex`: group syntax (?> has no JavaScript RegExp equivalent',
  ]);
  t.deepEqual(errors('path /\nregex "[[:alpha:]]"'), [
    '7:9 `regex`: POSIX classes such as [:alpha:] are not supported',
  ]);
  t.deepEqual(errors('path /\nregex "a"\nregex_options caseless extended'), [
    '8:24 `regex_options`: regex option extended has no JavaScript RegExp equivalent',
  ]);
  t.deepEqual(errors('path /\nregex "a"\nregex_options bogus'), [
    '8:15 `regex_options`: unknown regex option bogus',
  ]);
  t.deepEqual(errors('path /\nregex_no_match'), ['7:1 `regex_no_match` needs `regex` in the same url block']);
  t.deepEqual(errors('path /\nregex "a"\nregex_min_offset 5\nregex_max_offset 4'), [
    '9:1 `regex_max_offset` (4) is below `regex_min_offset` (5)',
  ]);
  t.deepEqual(errors('path /\nregex "a"\nregex_stack 1'), [
    '8:1 `regex_stack` needs a maximum stack size in bytes',
  ]);
});

test('compilePcre: translation and flags', (t) => {
  t.deepEqual(compilePcre('a.b$', ['caseless', 'multiline']), {
    ok: true,
    regex: { source: 'a[^\\n]b$', flags: 'im' },
  });
  t.deepEqual(compilePcre('a.b$', ['dotall']), { ok: true, regex: { source: 'a.b(?=\\n?$)', flags: 's' } });
  t.deepEqual(compilePcre('\\p{Lu}', []), { ok: false, message: '\\p needs regex_options utf', index: 0 });
  t.true(compilePcre('\\p{Lu}', ['utf']).ok);
  t.deepEqual(compilePcre('[]a]', []), {
    ok: false,
    message: 'a `]` first in a class needs escaping as `\\]` (or regex_options allow_empty_class for [])',
    index: 0,
  });
  t.true(compilePcre('(?<name>x)\\k<name>', []).ok);
  t.false(compilePcre('(?i)x', []).ok);
  t.false(compilePcre('a++', []).ok, 'possessive quantifiers do not compile');
});

test('bodyRegexMatches: UTF-8 offsets with utf, bytes without', (t) => {
  const b = Buffer.from('é-x', 'utf8'); // é is two bytes
  const re = { source: 'x', minOffset: 0 };
  t.true(bodyRegexMatches(b, { ...re, flags: '', maxOffset: 3 }));
  t.false(bodyRegexMatches(b, { ...re, flags: '', maxOffset: 2 }));
  t.true(bodyRegexMatches(b, { ...re, flags: 'u', maxOffset: 2 }));
});

test('regex keywords outside a url block are located errors', (t) => {
  const text =
    'virtual_server 10.1.1.1 80 {\n  real_server 10.1.1.2 80 {\n    SSL_GET {\n' +
    '      regex "OK"\n      url {\n        path /\n      }\n    }\n  }\n}\n';
  const { model, diagnostics } = parseConfigText(text, 'mem.conf', { env: {} });
  t.is(model, undefined);
  t.deepEqual(
    diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
    ['4:7 `regex` belongs inside a `url { }` block'],
  );
});
