// SPDX-License-Identifier: Apache-2.0
// A reload that removes every virtual server while VIPs remain is a warning (reload-hazards.ts).
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { reloadHazards } from '../../../src/config/reload-hazards.js';

const instance = (vips: string) =>
  `vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n${vips} }\n}\n`;
const vs = 'virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n }\n}\n';

function model(text: string): Model {
  const r = parseConfigText(text, 'h.conf', { configId: 'lvs1', env: {}, lenient: false });
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.model;
}

const running = model(instance('  10.0.0.1\n') + vs);

test('every virtual server removed while VIPs remain: a warning naming both counts', (t) => {
  const h = reloadHazards(running, model(instance('  10.0.0.1\n  10.0.0.2\n')), '/etc/lvsd/lvsd.conf');
  t.is(h.length, 1);
  t.is(h[0]?.severity, 'warning');
  t.is(h[0]?.file, '/etc/lvsd/lvsd.conf');
  t.regex(
    h[0]?.message ?? '',
    /removes every virtual server \(1 running\) while 2 VIPs of 1 vrrp_instance remain/,
  );
});

test('no warning when virtual servers remain, when no VIP remains, or when none ran before', (t) => {
  t.deepEqual(reloadHazards(running, running, 'f'), []);
  t.deepEqual(reloadHazards(running, model(vs), 'f'), []);
  t.deepEqual(
    reloadHazards(running, model('vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n}\n'), 'f'),
    [],
  );
  const vrrpOnly = model(instance('  10.0.0.1\n'));
  t.deepEqual(reloadHazards(vrrpOnly, vrrpOnly, 'f'), []);
});
