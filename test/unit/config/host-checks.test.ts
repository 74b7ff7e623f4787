// SPDX-License-Identifier: Apache-2.0
/**
 * The host checks (config/environment.ts) on a fake machine: their severities (a missing
 * interface or address is a warning, what keepalived refuses an error), script security with the
 * option on and off, keepalived's default script user, and the SECURITY VIOLATION summaries.
 */
import test from 'ava';
import { checkEnvironment, hostAddress } from '../../../src/config/environment.js';
import { formatDiagnostic, parseConfigText } from '../../../src/config/load.io.js';
import type { Model } from '../../../src/config/model.js';
import { baseTree, dir, fakeHostProbe, file, passwdWithDefault } from '../../fakes/fake-files.js';

const tree = {
  ...baseTree,
  '/etc/lvsd/ok.sh': file(0o755),
  '/open': dir(0o777),
  '/open/s.sh': file(0o755),
};
const lan = {
  eth0: [hostAddress('inet', '10.0.0.2', 24), hostAddress('inet6', 'fe80::2', 64)],
  eth1: [],
  eth2: [hostAddress('inet6', '2001:db8::2', 64)],
};

function modelOf(text: string): Model {
  const r = parseConfigText(text, 'h.conf', { env: {} });
  if (!r.model) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.model;
}

let vrid = 0;
function instance(name: string, iface: string, vip: string, extra = ''): string {
  return (
    `vrrp_instance ${name} {\n  interface ${iface}\n  virtual_router_id ${++vrid}\n${extra}` +
    `  virtual_ipaddress {\n    ${vip}\n  }\n}\n`
  );
}

test('missing interfaces and addresses are located warnings (the instance waits), not errors', (t) => {
  const text = [
    instance('A', 'eth0', '10.0.0.100/24 dev eth9', '  track_interface {\n    eth8\n  }\n'),
    instance('B', 'eth1', '10.0.1.100/24'),
    instance('C', 'eth2', 'fe80::100/64'),
    instance('D', 'eth3', '10.0.3.100/24'),
    instance('E', 'eth1', '10.0.1.101/24', '  mcast_src_ip 10.0.1.2\n'),
    instance('F', 'eth0', 'fe80::100/64'),
  ].join('');
  const found = checkEnvironment(modelOf(text), fakeHostProbe(tree, { interfaces: lan }));
  t.true(found.every((d) => d.severity === 'warning'));
  t.deepEqual(found.map(formatDiagnostic), [
    'h.conf:5:5: warning: vrrp_instance `A` track_interface: interface eth8 does not exist on this machine (it counts as down)',
    'h.conf:8:5: warning: vrrp_instance `A` address 10.0.0.100: interface eth9 does not exist on this machine (the instance waits for it)',
    'h.conf:11:1: warning: vrrp_instance `B`: no usable inet source address on eth1 (the instance waits for one)',
    // an IPv6 instance needs a link-local address: a global one is not an advert source
    'h.conf:18:1: warning: vrrp_instance `C`: no usable inet6 source address on eth2 (the instance waits for one)',
    'h.conf:25:1: warning: vrrp_instance `D`: interface eth3 does not exist on this machine (the instance waits for it)',
  ]);
});

const secure = 'global_defs {\n  enable_script_security\n}\n';

test('enable_script_security: unsafe root scripts and scripts with no user are located errors', (t) => {
  const text =
    secure +
    `vrrp_script own {\n  script "/open/s.sh"\n  user root\n}\n` + // line 5
    `vrrp_script nobody {\n  script "/open/s.sh"\n  user nobody\n}\n` + // line 9: not root, passes
    `vrrp_script nouser {\n  script "/etc/lvsd/ok.sh"\n}\n` + // line 13
    instance('V', 'eth0', '10.0.0.100/24', '  notify_master "/etc/lvsd/ok.sh" root\n');
  const found = checkEnvironment(modelOf(text), fakeHostProbe(tree, { interfaces: lan }));
  t.deepEqual(found.map(formatDiagnostic), [
    "h.conf:5:10: error: vrrp_script `own`: Unsafe permissions found for script '/open/s.sh' - disabling. (/open is writable by others)",
    'h.conf:13:10: error: vrrp_script `nouser`: Unable to set default user keepalived_script for script /etc/lvsd/ok.sh - ignoring (no such user keepalived_script; enable_script_security is set: give the script a user or set script_user)',
  ]);
  // with keepalived's default user present, the script without a user runs as it: nothing to say
  const withDefault = fakeHostProbe(tree, { interfaces: lan, passwd: passwdWithDefault });
  t.deepEqual(checkEnvironment(modelOf(text), withDefault).map(formatDiagnostic), [
    "h.conf:5:10: error: vrrp_script `own`: Unsafe permissions found for script '/open/s.sh' - disabling. (/open is writable by others)",
  ]);
  // and so does script_user
  const scriptUser = text.replace('enable_script_security', 'enable_script_security\n  script_user nobody');
  t.deepEqual(
    checkEnvironment(modelOf(scriptUser), fakeHostProbe(tree, { interfaces: lan })).map((d) => d.message),
    [
      "vrrp_script `own`: Unsafe permissions found for script '/open/s.sh' - disabling. (/open is writable by others)",
    ],
  );
});

test("without the option: keepalived's warnings, one summary per engine that runs scripts", (t) => {
  const text =
    `vrrp_script open {\n  script "/open/s.sh"\n}\n` + // line 1, as root
    instance('V', 'eth0', '10.0.0.100/24', '  notify_master "/etc/lvsd/ok.sh"\n') +
    `virtual_server 10.0.0.100 80 {\n  real_server 10.0.0.10 80 {\n    MISC_CHECK {\n` +
    `      misc_path "/etc/lvsd/ok.sh"\n    }\n  }\n}\n`;
  const found = checkEnvironment(modelOf(text), fakeHostProbe(tree, { interfaces: lan }));
  t.true(found.every((d) => d.severity === 'warning'));
  t.deepEqual(found.map(formatDiagnostic), [
    "h.conf:2:10: warning: vrrp_script `open`: Unsafe permissions found for script '/open/s.sh'. (/open is writable by others)",
    'h.conf:2:10: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.',
    'h.conf:15:17: warning: SECURITY VIOLATION - check scripts are being executed but script_security not enabled.',
  ]);
  // the same scripts as a user: no protection needed, keepalived's summary remains
  const asNobody = checkEnvironment(
    modelOf(text),
    fakeHostProbe(tree, { interfaces: lan, self: { uid: 65534, gid: 65534 } }),
  );
  t.deepEqual(
    asNobody.map((d) => d.message),
    [
      'SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
      'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.',
    ],
  );
});

test('a script that cannot run is an error with or without the option; a file test is no script', (t) => {
  const text =
    `vrrp_script gone {\n  script "/etc/lvsd/gone.sh"\n}\n` +
    `vrrp_script test {\n  script "</etc/lvsd/flag"\n}\n` +
    instance('V', 'eth0', '10.0.0.100/24');
  const found = checkEnvironment(modelOf(text), fakeHostProbe(tree, { interfaces: lan }));
  // no script ran: no summary either
  t.deepEqual(found.map(formatDiagnostic), [
    'h.conf:2:10: error: vrrp_script `gone`: cannot run /etc/lvsd/gone.sh: no such file',
  ]);
});

test('no_accept and use_vmac need nft (the VRRP nftables table): a located error where it is missing', (t) => {
  const text = [
    instance('A', 'eth0', '10.0.0.100/24', '  no_accept\n'),
    instance('B', 'eth0', '10.0.0.101/24', '  use_vmac\n'),
    instance('C', 'eth0', '10.0.0.102/24', '  no_accept\n  priority 255\n'),
    instance('D', 'eth0', '10.0.0.103/24'),
  ].join('');
  const m = modelOf(text);
  t.deepEqual(
    checkEnvironment(m, fakeHostProbe(tree, { interfaces: lan, nft: false })).map(formatDiagnostic),
    [
      "h.conf:1:1: error: vrrp_instance `A`: no_accept (drops traffic to its VIPs while MASTER) needs lvsd's VRRP nftables table, and the nft program (package nftables) is not installed",
      "h.conf:9:1: error: vrrp_instance `B`: use_vmac (sends the VMAC IGMP/MLD reports from its interface) needs lvsd's VRRP nftables table, and the nft program (package nftables) is not installed",
    ],
    'the address owner (priority 255) and an accept instance need no table',
  );
  t.deepEqual(checkEnvironment(m, fakeHostProbe(tree, { interfaces: lan, nft: true })), []);
});
