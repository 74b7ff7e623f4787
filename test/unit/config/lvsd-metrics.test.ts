// SPDX-License-Identifier: Apache-2.0
// `lvsd_metrics ADDR:PORT` in global_defs (an lvsd extension): the Model's endpoint, or a located error.
import test from 'ava';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { parseConfigText } from '../../../src/config/load.io.js';

const conf = (line: string): string =>
  `global_defs {\n  ${line}\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 9\n  priority 100\n  virtual_ipaddress {\n    10.9.9.9\n  }\n}\n`;

const parse = (text: string) =>
  parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient: false });

const rows: Array<{ line: string; want: { host: string; port: number } | RegExp }> = [
  { line: 'lvsd_metrics 127.0.0.1:9650', want: { host: '127.0.0.1', port: 9650 } },
  { line: 'lvsd_metrics [::1]:9650', want: { host: '::1', port: 9650 } },
  { line: 'lvsd_metrics 127.0.0.1', want: /mem\.conf:2:16: .*lvsd_metrics.*ADDRESS:PORT/ },
  { line: 'lvsd_metrics 127.0.0.1:99999', want: /mem\.conf:2:16: .*port out of range/ },
  { line: 'lvsd_metrics', want: /mem\.conf:2:3: .*lvsd_metrics.*needs ADDRESS:PORT/ },
  { line: 'lvsd_metrics 127.0.0.1:9650 extra', want: /unexpected `extra`/ },
];

for (const r of rows) {
  test(`global_defs ${r.line}`, (t) => {
    const { model, diagnostics } = parse(conf(r.line));
    if (r.want instanceof RegExp) {
      t.is(model, undefined);
      const text = diagnostics.map((d) => formatDiagnostic(d)).join('\n');
      t.regex(text, r.want);
      return;
    }
    t.deepEqual(diagnostics, []);
    t.deepEqual(model?.global.lvsdMetrics, r.want);
  });
}

test('without lvsd_metrics the Model has no endpoint', (t) => {
  const { model } = parse(conf('router_id a'));
  t.is(model?.global.lvsdMetrics, undefined);
});
