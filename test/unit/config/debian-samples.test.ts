// SPDX-License-Identifier: Apache-2.0
// Debian's keepalived samples (/usr/share/doc/keepalived/samples, package keepalived; installed for
// this layer by scripts/test-all.sh through scripts/ensure-test-deps.sh samples) pass check-config
// without --lenient, except the keywords the ledger rejects, each named here with its count per
// file: a new rejection (or one fewer, when a keyword is implemented) fails the test.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { buildLedger } from '../../../src/config/keywords/ledger.js';
import { loadConfig } from '../../../src/config/load.io.js';

const dir = '/usr/share/doc/keepalived/samples/';

/** Errors each sample is expected to get: keyword → count. */
const expected: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // e-mail alerts (notification_email, smtp_*), PING_CHECK and SMTP_CHECK are implemented: the samples
  // that use them pass
  'keepalived.conf.HTTP_GET.port': {},
  'keepalived.conf.IPv6': {},
  'keepalived.conf.PING_CHECK': {},
  'keepalived.conf.SMTP_CHECK': {},
  // its auth_type AH: keepalived's IPsec AH, implemented (test/netns/vrrp/ipsec-ah.test.ts)
  'keepalived.conf.SSL_GET': {},
  'keepalived.conf.UDP_CHECK': {},
  'keepalived.conf.conditional_conf': { net_namespace: 1 },
  'keepalived.conf.fwmark': {},
  'keepalived.conf.inhibit': {},
  'keepalived.conf.misc_check': {},
  'keepalived.conf.misc_check_arg': {},
  'keepalived.conf.quorum': {},
  'keepalived.conf.sample': {},
  'keepalived.conf.status_code': {},
  'keepalived.conf.track_interface': {},
  'keepalived.conf.virtual_server_group': {},
  'keepalived.conf.virtualhost': {},
  'keepalived.conf.vrrp': {},
  'keepalived.conf.vrrp.localcheck': {},
  // Also its sync group in the old syntax (members without `group { }`), which keepalived 2.2.7
  // rejects too: the group needs members, and each member name is an unknown keyword.
  'keepalived.conf.vrrp.lvs_syncd': { lvs_sync_daemon_interface: 1, vrrp_sync_group: 1, VI_2: 1, VI_3: 1 },
  'keepalived.conf.vrrp.routes': {},
  // not the keywords (implemented) but a value: `to 192.168.100./24` and `to 192.168.200./24` are
  // not addresses (keepalived 2.2.7 reports "Invalid rule to address" and skips the rule)
  'keepalived.conf.vrrp.rules': { static_rules: 1, virtual_rules: 1 },
  'keepalived.conf.vrrp.scripts': {},
  'keepalived.conf.vrrp.static_ipaddress': {},
  'keepalived.conf.vrrp.sync': {},
};
/**
 * Not keywords the ledger rejects: keepalived 2.2.7's own refusals of the old sync-group syntax, and
 * values lvsd refuses (the rules sample's malformed addresses, at their block's keyword); all stay
 * errors with --lenient.
 */
const notKeywords = new Set(['vrrp_sync_group', 'VI_2', 'VI_3', 'static_rules', 'virtual_rules']);

test('the samples are installed (scripts/ensure-test-deps.sh samples) and each is listed here', (t) => {
  t.true(existsSync(dir), `${dir} is missing: run bash scripts/ensure-test-deps.sh samples (as root)`);
  const files = readdirSync(dir).filter((f) => f.startsWith('keepalived.conf'));
  t.deepEqual(files.sort(), Object.keys(expected).sort());
});

test('every expected rejection is a keyword the ledger rejects', (t) => {
  const rejected = new Set(
    buildLedger()
      .filter((r) => r.status === 'rejected')
      .map((r) => r.keyword),
  );
  const kws = new Set(Object.values(expected).flatMap((e) => Object.keys(e)));
  t.deepEqual(
    [...kws].filter((k) => !rejected.has(k) && !notKeywords.has(k)),
    [],
  );
});

for (const [file, want] of Object.entries(expected)) {
  test(`check-config ${file}: only the rejections named`, async (t) => {
    const text = readFileSync(dir + file, 'utf8');
    const ids = [...new Set([...text.matchAll(/^\s*@\^?([A-Za-z0-9_.-]+)/gm)].map((m) => m[1] ?? ''))];
    for (const configId of ids.length ? ids : ['lvs1']) {
      const r = await loadConfig(dir + file, { configId, lenient: false, env: {} });
      const got: Record<string, number> = {};
      for (const d of r.diagnostics.filter((x) => x.severity === 'error')) {
        const k = d.keyword ?? d.message;
        got[k] = (got[k] ?? 0) + 1;
      }
      t.deepEqual(got, want, `--config-id ${configId}`);
      if (Object.keys(want).every((k) => !notKeywords.has(k))) {
        const lenient = await loadConfig(dir + file, { configId, lenient: true, env: {} });
        t.truthy(lenient.model, `${file} passes with --lenient`);
      }
    }
  });
}
