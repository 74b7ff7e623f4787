// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { BucketHistogram } from '../../../src/core/histogram.js';
import { listenText, parseListenAddress } from '../../../src/core/listen.js';

const rows: Array<{ text: string; want: { host: string; port: number } | RegExp }> = [
  { text: '127.0.0.1:9650', want: { host: '127.0.0.1', port: 9650 } },
  { text: '0.0.0.0:1', want: { host: '0.0.0.0', port: 1 } },
  { text: '[::1]:9650', want: { host: '::1', port: 9650 } },
  { text: '[2001:db8::5]:65535', want: { host: '2001:db8::5', port: 65535 } },
  { text: '::1:9650', want: /ADDRESS:PORT/ },
  { text: '[127.0.0.1]:9650', want: /ADDRESS:PORT/ },
  { text: '127.0.0.1', want: /ADDRESS:PORT/ },
  { text: 'localhost:9650', want: /not an IP address/ },
  { text: '1.2.3:9650', want: /not an IP address/ },
  { text: '127.0.0.1:0', want: /port out of range/ },
  { text: '127.0.0.1:65536', want: /port out of range/ },
];

for (const r of rows) {
  test(`parseListenAddress ${r.text}`, (t) => {
    const got = parseListenAddress(r.text);
    if (r.want instanceof RegExp) {
      t.true('error' in got);
      if ('error' in got) t.regex(got.error, r.want);
      return;
    }
    t.deepEqual(got, r.want);
    if (!('error' in got)) t.is(listenText(got), r.text);
  });
}

test('BucketHistogram: each observation in the first bucket whose bound holds it; the sum and count', (t) => {
  const h = new BucketHistogram([0.01, 0.1, 1]);
  for (const v of [0, 0.01, 0.011, 0.5, 2, -1]) h.observe(v);
  const s = h.snapshot();
  t.deepEqual(s.counts, [3, 1, 1, 1]);
  t.is(s.count, 6);
  t.true(Math.abs(s.sum - 2.521) < 1e-12);
});
