// SPDX-License-Identifier: Apache-2.0
/**
 * Steady HTTP traffic for netns tests, run inside a namespace:
 * `node dist/test/netns/http-client.js URL PAUSE_MS` sends one GET after another (a new connection
 * each, 1 s timeout, PAUSE_MS between them) until SIGTERM, then prints `{sent, failed, failures}`
 * as JSON (each failure with its time since start).
 */
import http from 'node:http';

const [url = '', pauseText = '20'] = process.argv.slice(2);
const pause = Number(pauseText);
const t0 = Date.now();
let sent = 0;
const failures: Array<{ at: number; error: string }> = [];
let stopping = false;

function once(): Promise<void> {
  return new Promise((resolve) => {
    sent++;
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) failures.push({ at: Date.now() - t0, error: `HTTP ${res.statusCode}` });
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      failures.push({ at: Date.now() - t0, error: e.message });
      resolve();
    });
  });
}

process.on('SIGTERM', () => (stopping = true));
while (!stopping) {
  await once();
  await new Promise((r) => setTimeout(r, pause));
}
process.stdout.write(JSON.stringify({ sent, failed: failures.length, failures }) + '\n');
