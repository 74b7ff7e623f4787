// SPDX-License-Identifier: Apache-2.0
// Nothing the workers refuse at run time is accepted by check-config: every file check-config
// accepts (the lab pairs in etc/, the keepalived vectors, the full fixture, Debian's samples with
// --lenient) turns into the workers' specs without a throw (src/vrrp/instance-spec.ts, which builds
// the VRRP machine config, and src/check/from-model.ts), and what lvsd will not run (auth_type AH
// with a VMAC sending its adverts) is a located check-config error.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { loadConfig, parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { instanceSpecOf } from '../../../src/vrrp/instance-spec.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const debian = '/usr/share/doc/keepalived/samples/';

function files(dir: string, match: (f: string) => boolean): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter(match)
        .map((f) => dir + f)
    : [];
}

const corpus = [
  ...files(`${root}etc/`, (f) => f.endsWith('.conf')),
  ...files(`${root}test/fixtures/conf/vectors/`, (f) => f.endsWith('.conf')),
  `${root}test/fixtures/conf/ok/full.conf`,
  ...files(debian, (f) => f.startsWith('keepalived.conf')),
];

function idsOf(file: string): string[] {
  const ids = [...readFileSync(file, 'utf8').matchAll(/^\s*@\^?([A-Za-z0-9_.-]+)/gm)].map((m) => m[1] ?? '');
  return ids.length ? [...new Set(ids)] : ['lvs1'];
}

/** What the VRRP and LVS workers build from a Model at start, host facts faked. */
function workerSpecs(model: Model): void {
  for (const mi of model.vrrpInstances) {
    instanceSpecOf(mi, model, {
      mac: '02:00:00:00:00:01',
      ifindex: 2,
      macs: new Map(),
      source: mi.family === 'inet' ? '192.0.2.1' : 'fe80::1',
      ifindexOf: () => 2,
      router: false,
    });
  }
  checkSpecFromModel(model);
}

test('the corpus is there (etc/, the vectors, Debian samples)', (t) => {
  t.true(corpus.length >= 40, String(corpus.length));
});

for (const file of corpus) {
  test(`accepted means runnable: ${file.replace(root, '')}`, async (t) => {
    let accepted = 0;
    for (const configId of idsOf(file)) {
      const r = await loadConfig(file, { configId, lenient: file.startsWith(debian), env: {} });
      if (!r.model) continue;
      accepted++;
      const model = r.model;
      t.notThrows(() => workerSpecs(model), `--config-id ${configId}`);
    }
    // refused even with --lenient: lvs_syncd's old sync-group syntax (keepalived refuses it too), and
    // vrrp.rules, whose `to 192.168.100./24` and `to 192.168.200./24` are not addresses (keepalived
    // reports "Invalid rule to address" and drops those rules; lvsd refuses the file rather than run
    // it without them)
    const refused = ['keepalived.conf.vrrp.lvs_syncd', 'keepalived.conf.vrrp.rules'];
    t.is(accepted > 0, !refused.some((f) => file.endsWith(f)));
  });
}

const ahInstance = (extra: string[]): string =>
  [
    'vrrp_instance VI {',
    ' interface eth0',
    ' virtual_router_id 1',
    ' authentication {',
    '  auth_type AH',
    '  auth_pass secret',
    ' }',
    ...extra,
    ' virtual_ipaddress {',
    '  10.0.0.1',
    ' }',
    '}',
    '',
  ].join('\n');

test('auth_type AH is accepted and runnable (IPsec AH, proven against keepalived in test/netns/vrrp/ipsec-ah.test.ts)', (t) => {
  const r = parseConfigText(ahInstance([]), 'ah.conf', { configId: 'lvs1', env: {} });
  const model = r.model;
  if (!model) return t.fail(JSON.stringify(r.diagnostics));
  t.deepEqual(r.diagnostics, []);
  t.is(model.vrrpInstances[0]?.auth?.type, 'AH');
  t.notThrows(() => workerSpecs(model));
});

test('auth_type AH with use_vmac (adverts from the VMAC) is a located error; with vmac_xmit_base it runs', (t) => {
  for (const lenient of [false, true]) {
    const r = parseConfigText(ahInstance([' use_vmac']), 'ah.conf', { configId: 'lvs1', env: {}, lenient });
    t.is(r.model, undefined);
    t.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.line, d.col, d.keyword]),
      [[4, 2, 'auth_type']],
    );
  }
  const ok = parseConfigText(ahInstance([' use_vmac', ' vmac_xmit_base']), 'ah.conf', {
    configId: 'lvs1',
    env: {},
  });
  const model = ok.model;
  if (!model) return t.fail(JSON.stringify(ok.diagnostics));
  t.notThrows(() => workerSpecs(model));
});
