// SPDX-License-Identifier: Apache-2.0
// E-mail alert keywords (global_defs, and `smtp_alert` per instance, sync group, virtual and real
// server, with keepalived's defaults), `notify_deleted`, `notify_master_rx_lower_pri` (instances
// only) and a sync group's `notify_priority_changes`.
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';

function parse(text: string) {
  return parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient: false });
}

const mailGlobals = (extra = ''): string =>
  `global_defs {\n  notification_email {\n    ops@example.com\n    noc@example.com\n  }\n` +
  `  notification_email_from lvs@example.com\n  smtp_server 192.0.2.25\n  smtp_connect_timeout 30\n${extra}}\n`;

const inst = (name: string, vrid: number, body = ''): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n${body}  virtual_ipaddress {\n    10.9.9.${vrid}\n  }\n}\n`;

const vs = (vsBody = '', rsBody = ''): string =>
  `virtual_server 10.1.1.1 80 {\n  lb_kind NAT\n${vsBody}  real_server 10.2.2.2 80 {\n${rsBody}    TCP_CHECK {\n    }\n  }\n}\n`;

test('the e-mail settings of a stock keepalived file are read, with keepalived defaults', (t) => {
  const r = parse(mailGlobals() + inst('VI_1', 50) + vs());
  t.deepEqual(r.diagnostics, []);
  const m = r.model;
  if (!m) return t.fail();
  t.deepEqual(m.global.smtp, {
    to: ['ops@example.com', 'noc@example.com'],
    from: 'lvs@example.com',
    server: { host: '192.0.2.25', port: 25, loc: { file: 'mem.conf', line: 7, col: 3 } },
    connectTimeoutMs: 30_000,
    noEmailFaults: false,
    noCheckerEmails: false,
  });
  t.false(m.vrrpInstances[0]?.smtpAlert, 'instances: off by default');
  t.false(m.virtualServers[0]?.smtpAlert, 'virtual servers: off by default');
  t.true(m.virtualServers[0]?.realServers[0]?.smtpAlert, 'real servers: on by default (keepalived)');
});

test('smtp_server takes a host name or an IPv6 address and a port; helo name and flags', (t) => {
  const r = parse(
    'global_defs {\n  notification_email {\n    a@b.c\n  }\n  smtp_server mail.example.com 2525\n' +
      '  smtp_helo_name lvs1.example.com\n  no_email_faults\n  no_checker_emails\n}\n',
  );
  t.deepEqual(r.diagnostics, []);
  t.like(r.model?.global.smtp, {
    server: { host: 'mail.example.com', port: 2525 },
    heloName: 'lvs1.example.com',
    noEmailFaults: true,
    noCheckerEmails: true,
    connectTimeoutMs: 30_000,
  });
  const v6 = parse('global_defs {\n  notification_email {\n    a@b.c\n  }\n  smtp_server 2001:DB8::25\n}\n');
  t.is(v6.model?.global.smtp?.server?.host, '2001:db8::25');
});

test('smtp_* values are checked and located', (t) => {
  const rows: Array<[string, string]> = [
    [
      'smtp_server bad_host!',
      '2:15: error: `smtp_server` needs an IP address or a host name (got bad_host!)',
    ],
    ['smtp_server 10.0.0.1 70000', '2:24: error:'],
    ['smtp_connect_timeout x', '2:24: error:'],
    ['smtp_connect_timeout 0', '2:24: warning: `smtp_connect_timeout` must be at least 1 second; 1 is used'],
    ['smtp_alert maybe', '2:14: error: `smtp_alert` takes no value, true or false (got maybe)'],
  ];
  for (const [line, want] of rows) {
    const r = parse(`global_defs {\n  ${line}\n}\n`);
    const texts = r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.severity}: ${d.message}`);
    t.true(
      texts.some((x) => x.startsWith(want)),
      `${line}: ${texts.join(' | ')}`,
    );
  }
});

test('smtp_alert per section: own setting, else smtp_alert_vrrp / smtp_alert_checker, else smtp_alert', (t) => {
  const rows: Array<[string, string, { vrrp: boolean; group: boolean; vs: boolean; rs: boolean }]> = [
    ['no globals', '', { vrrp: false, group: false, vs: false, rs: true }],
    ['smtp_alert', '  smtp_alert\n', { vrrp: true, group: true, vs: true, rs: true }],
    ['smtp_alert false', '  smtp_alert false\n', { vrrp: false, group: false, vs: false, rs: false }],
    [
      'section globals win over smtp_alert',
      '  smtp_alert\n  smtp_alert_vrrp false\n  smtp_alert_checker off\n',
      { vrrp: false, group: false, vs: false, rs: false },
    ],
    ['smtp_alert_vrrp only', '  smtp_alert_vrrp\n', { vrrp: true, group: true, vs: false, rs: true }],
  ];
  for (const [name, globals, want] of rows) {
    const r = parse(
      mailGlobals(globals) + inst('VI_1', 1) + 'vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n' + vs(),
    );
    const m = r.model;
    t.deepEqual(
      {
        vrrp: m?.vrrpInstances[0]?.smtpAlert,
        group: m?.syncGroups[0]?.smtpAlert,
        vs: m?.virtualServers[0]?.smtpAlert,
        rs: m?.virtualServers[0]?.realServers[0]?.smtpAlert,
      },
      want,
      name,
    );
  }
  const own = parse(
    mailGlobals('  smtp_alert false\n') +
      inst('VI_1', 1, '  smtp_alert\n') +
      'vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  smtp_alert true\n}\n' +
      vs('  smtp_alert\n', '    smtp_alert yes\n'),
  ).model;
  t.true(own?.vrrpInstances[0]?.smtpAlert);
  t.true(own?.syncGroups[0]?.smtpAlert);
  t.true(own?.virtualServers[0]?.smtpAlert);
  t.true(own?.virtualServers[0]?.realServers[0]?.smtpAlert);
});

test('settings that cannot send mail are warnings at their lines', (t) => {
  const noServer = parse(
    'global_defs {\n  notification_email {\n    a@b.c\n  }\n}\n' + inst('VI_1', 1, '  smtp_alert\n'),
  );
  t.deepEqual(
    noServer.diagnostics.map((d) => [d.severity, d.line, d.message]),
    [
      ['warning', 2, '`notification_email` without `smtp_server`: no e-mail is sent'],
      ['warning', 9, '`smtp_alert` has no effect without `smtp_server` and `notification_email`'],
    ],
  );
  t.truthy(noServer.model, 'warnings only');
  const noRecipients = parse('global_defs {\n  smtp_server 10.0.0.1\n}\n');
  t.deepEqual(
    noRecipients.diagnostics.map((d) => [d.severity, d.line, d.message]),
    [['warning', 2, '`smtp_server` without `notification_email`: no e-mail is sent']],
  );
  const empty = parse('global_defs {\n  notification_email {\n  }\n  smtp_server 10.0.0.1\n}\n');
  t.true(empty.diagnostics.some((d) => d.line === 2 && d.message === '`notification_email` is empty'));
});

test('notify_deleted: a flag, or a script with its user; the model says which', (t) => {
  const r = parse(
    inst('VI_1', 1, '  notify_deleted\n') +
      inst('VI_2', 2, '  notify_deleted "/usr/local/bin/gone VI_2" nobody\n') +
      inst('VI_3', 3),
  );
  t.deepEqual(r.diagnostics, []);
  const [a, b, c] = r.model?.vrrpInstances ?? [];
  t.true(a?.notifyDeleted);
  t.is(a?.notify.deleted, undefined);
  t.true(b?.notifyDeleted);
  t.deepEqual(b?.notify.deleted?.argv, ['/usr/local/bin/gone', 'VI_2']);
  t.is(b?.notify.deleted?.user, 'nobody');
  t.false(c?.notifyDeleted);
});

test('notify_master_rx_lower_pri belongs to instances; a sync group has none (as keepalived)', (t) => {
  const ok = parse(inst('VI_1', 1, '  notify_master_rx_lower_pri "/bin/logger lower"\n'));
  t.deepEqual(ok.model?.vrrpInstances[0]?.notify.masterRxLowerPri?.argv, ['/bin/logger', 'lower']);
  const grp = parse(
    inst('VI_1', 1) +
      'vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  notify_master_rx_lower_pri /bin/true\n}\n',
  );
  t.is(grp.model, undefined);
  t.true(grp.diagnostics.some((d) => d.severity === 'error' && d.keyword === 'notify_master_rx_lower_pri'));
});

test("notify_priority_changes: the instance's own, else its sync group's, else the global", (t) => {
  const r = parse(
    'global_defs {\n  vrrp_notify_priority_changes false\n}\n' +
      inst('VI_1', 1) +
      inst('VI_2', 2, '  notify_priority_changes false\n') +
      inst('VI_3', 3) +
      'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  notify_priority_changes\n}\n',
  );
  t.deepEqual(r.diagnostics, []);
  t.deepEqual(
    r.model?.vrrpInstances.map((i) => [i.name, i.notifyPriorityChanges]),
    [
      ['VI_1', true],
      ['VI_2', false],
      ['VI_3', false],
    ],
  );
});
