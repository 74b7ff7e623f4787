// SPDX-License-Identifier: Apache-2.0
/**
 * The lab's HTTP client, a program the lab runs inside its client namespace (I/O):
 * `node client.js HOST RATE TIMEOUT_MS MAX_MS [PREFIX]`. It sends `GET http://HOST/` at a steady RATE per
 * second, open loop (a new request every 1/RATE s whether or not earlier ones answered, each on a new
 * connection, so an outage shows as failures and not as a slower rate), and prints one JSON line per
 * finished request: `{"t":SENT_EPOCH_MS,"ms":DURATION,"ok":true,"body":"RS1"}` or
 * `{"t":…,"ms":…,"ok":false,"err":"ECONNREFUSED"}`. Bounded in count and time: it stops sending
 * after MAX_MS, on SIGTERM or when stdin closes, then exits once the requests in flight are done.
 * A request is served when the answer is 200 and its body (the real's name) starts with PREFIX [RS].
 */
import http from 'node:http';

const [host = '', rateArg = '20', timeoutArg = '1000', maxArg = '600000', prefix = 'RS'] =
  process.argv.slice(2);
const rate = Number(rateArg);
const timeoutMs = Number(timeoutArg);
const maxMs = Number(maxArg);
if (host === '' || !(rate > 0 && rate <= 200) || !(timeoutMs > 0) || !(maxMs > 0)) {
  process.stderr.write('usage: client.js HOST RATE(1-200) TIMEOUT_MS MAX_MS [PREFIX]\n');
  process.exit(2);
}

const periodMs = 1000 / rate;
const start = Date.now();
const maxCount = Math.ceil((maxMs / 1000) * rate);
let sent = 0;
let stopped = false;
let timer: NodeJS.Timeout | undefined;

function report(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function once(): void {
  const t = Date.now();
  let done = false;
  const finish = (ok: boolean, what: string): void => {
    if (done) return;
    done = true;
    report(ok ? { t, ms: Date.now() - t, ok, body: what } : { t, ms: Date.now() - t, ok, err: what });
  };
  const req = http.get({ host, path: '/', agent: false, timeout: timeoutMs }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    res.on('end', () => {
      const text = body.trim();
      if (res.statusCode === 200 && text.startsWith(prefix)) finish(true, text);
      else finish(false, `HTTP ${res.statusCode ?? '?'} ${text.slice(0, 20)}`);
    });
    res.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
  });
  // a hard deadline too: `timeout` only counts socket idleness
  const deadline = setTimeout(
    () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    timeoutMs,
  );
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
  req.on('close', () => clearTimeout(deadline));
}

/** Schedule by absolute times (start + n·period) so the rate does not drift with event-loop delays. */
function tick(): void {
  if (stopped) return;
  if (sent >= maxCount || Date.now() - start >= maxMs) {
    stop();
    return;
  }
  sent += 1;
  once();
  timer = setTimeout(tick, Math.max(0, start + sent * periodMs - Date.now()));
}

function stop(): void {
  stopped = true;
  if (timer) clearTimeout(timer);
  process.stdin.destroy();
  // the process exits by itself when the last request in flight has finished
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
tick();
