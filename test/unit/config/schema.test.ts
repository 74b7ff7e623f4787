// SPDX-License-Identifier: Apache-2.0
// The Model: keepalived defaults, VS -> RS -> checker inheritance, global -> instance resolution,
// normalisation (ms, canonical addresses), locations, and the per-version / strict-mode rules.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfigText } from '../../../src/config/load.io.js';
import { forwardMethodOf } from '../../../src/config/model.js';

const okDir = fileURLToPath(new URL('../../../../test/fixtures/conf/ok/', import.meta.url));

function parse(text: string, opts: { lenient?: boolean; configId?: string } = {}) {
  return parseConfigText(text, 'mem.conf', {
    configId: opts.configId ?? 'lvs1',
    env: {},
    lenient: opts.lenient ?? false,
  });
}

/** An instance with `body`; a VIP is added after it unless the body has its own (or `vip` is false). */
const vi = (body: string, head = '', vip = true): string =>
  `${head}vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 9\n${body}\n` +
  `${vip && !body.includes('virtual_ipaddress') ? '  virtual_ipaddress {\n    10.9.9.9\n  }\n' : ''}}\n`;

test('full.conf: globals, scripts, instances and sync group', async (t) => {
  const { model, diagnostics } = await loadConfig(`${okDir}full.conf`, { env: {} });
  t.deepEqual(diagnostics, []);
  if (!model) return t.fail();
  t.is(model.global.routerId, 'lvs-full');
  t.is(model.global.vrrpVersion, 3);
  t.deepEqual(model.global.lvsTimeouts, { tcpMs: 900_000, tcpFinMs: 120_000, udpMs: 300_000 });
  t.is(model.global.lvsFlushOnStop, 'vs');
  t.is(model.global.vrrpStartupDelayMs, 5500);
  t.deepEqual(model.vrrpScripts[0]?.script.argv, ['/usr/bin/pgrep', '-x', 'haproxy']);
  t.is(model.vrrpScripts[0]?.script.user, 'nobody');
  t.is(model.vrrpScripts[0]?.timeoutMs, 2000, 'timeout defaults to interval');
  const [v1, v2] = model.vrrpInstances;
  t.is(v1?.advertIntMs, 250);
  t.is(v1?.preemptDelayMs, 30_000);
  t.deepEqual(
    v1?.vips.map((v) => [v.address, v.prefix, v.dev, v.label]),
    [
      ['10.1.0.100', 24, 'eth0', 'eth0:vip'],
      ['10.1.0.101', 32, 'eth0', undefined],
    ],
  );
  t.is(v1?.excludedVips[0]?.family, 'inet6');
  t.deepEqual(v1?.garp, {
    masterRepeat: 3,
    masterDelayMs: 2000,
    masterRefreshMs: 0,
    masterRefreshRepeat: 1,
    lowerPrioRepeat: 3,
    lowerPrioDelayMs: 10_000,
    garpIntervalMs: 0,
    gnaIntervalMs: 1,
  });
  t.is(v1?.checkUnicastSrc, true, 'global vrrp_check_unicast_src');
  t.is(v1?.higherPrioSendAdvert, true);
  t.is(v1?.lowerPrioNoAdvert, true);
  t.is(v2?.lowerPrioNoAdvert, false);
  t.is(v1?.syncGroup, undefined);
  t.is(v2?.syncGroup, 'SG');
  t.deepEqual(v1?.loc, { file: `${okDir}full.conf`, line: 39, col: 1 });
  t.deepEqual(
    v1?.vips[0]?.loc,
    { file: `${okDir}full.conf`, line: 51, col: 5 },
    'located at the $ of ${VIP4}',
  );
});

test('full.conf: virtual servers, inheritance into reals and checkers', async (t) => {
  const { model } = await loadConfig(`${okDir}full.conf`, { env: {} });
  if (!model) return t.fail();
  const [vs, fw, grp] = model.virtualServers;
  t.deepEqual(vs?.key, { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.1.0.100', port: 80 });
  t.deepEqual(vs?.flags, { flag1: true, flag2: true, flag3: false, onePacket: false });
  t.is(vs?.persistenceTimeoutMs, 360_000, 'persistence_timeout without a value');
  t.deepEqual(vs?.sorryServer && [vs.sorryServer.address, vs.sorryServer.port, vs.sorryServer.inhibit], [
    '10.1.0.250',
    8080,
    true,
  ]);
  const [rs1, rs2] = vs?.realServers ?? [];
  t.is(rs1?.inhibitOnFailure, true, 'from VS');
  t.is(rs2?.port, 80, 'real without a port takes the VS port');
  const [http, tcp] = rs1?.checkers ?? [];
  t.is(http?.type, 'HTTP_GET');
  if (http?.type === 'HTTP_GET') {
    t.is(http.connectPort, 8080);
    t.is(http.retry, 4, 'VS retry');
    t.is(http.delayBeforeRetryMs, 2000, 'VS delay_before_retry beats the HTTP default');
    t.is(http.virtualhost, 'www.example.com');
    t.deepEqual(http.urls[0]?.statusCodes, [
      [200, 200],
      [301, 302],
    ]);
    t.is(http.urls[0]?.digest, '9b3a0c85a887a256d6939da88aabd8cd');
  }
  t.is(tcp?.delayLoopMs, 3000, 'checker delay_loop');
  t.is(tcp?.retry, 1, 'checker retry');
  t.is(tcp?.connectTimeoutMs, 2000, 'VS connect_timeout');
  t.deepEqual(rs2?.method, { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } });
  const misc = rs2?.checkers[0];
  if (misc?.type === 'MISC_CHECK') {
    t.is(misc.miscTimeoutMs, 10_000, 'misc_timeout defaults to delay_loop');
    t.is(misc.miscPath.user, 'nobody');
  } else t.fail();
  const dns = rs2?.checkers[1];
  if (dns?.type === 'DNS_CHECK') t.is(dns.queryType, 'A');
  else t.fail();
  t.deepEqual(fw?.key, { kind: 'fwmark', family: 'inet6', fwmark: 66 });
  t.is(fw && forwardMethodOf(fw.method), 'masq');
  const udp = fw?.realServers[0]?.checkers[0];
  if (udp?.type === 'UDP_CHECK') t.is(udp.requireReply, '00xx');
  else t.fail();
  t.deepEqual(grp?.key, { kind: 'group', name: 'WEB', family: 'inet', protocol: 'tcp' });
  const ssl = grp?.realServers[0]?.checkers[0];
  t.is(ssl?.delayBeforeRetryMs, 3000, 'SSL_GET default delay_before_retry');
  t.deepEqual(
    model.virtualServerGroups[0]?.entries.map((e) =>
      e.kind === 'addr' ? `${e.address}:${e.port}` : `fwm${e.fwmark}`,
    ),
    ['10.1.0.100:80', '10.1.0.110:80', '10.1.0.111:80', '10.1.0.112:80', 'fwm7'],
  );
});

test('defaults of a minimal instance and virtual server', (t) => {
  const r = parse(
    `${vi('')}virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    TCP_CHECK {\n    }\n  }\n}\n`,
  );
  t.deepEqual(r.diagnostics, []);
  const i = r.model?.vrrpInstances[0];
  t.is(i?.initialState, 'BACKUP');
  t.is(i?.priority, 100);
  t.is(i?.advertIntMs, 1000);
  t.is(i?.version, 2);
  t.is(i?.accept, true);
  t.is(r.model?.global.routerId, 'lvs1', 'router_id defaults to the config id');
  const vs = r.model?.virtualServers[0];
  t.is(vs?.scheduler, 'wlc');
  t.deepEqual(vs?.method, { method: 'NAT' });
  t.is(vs?.delayLoopMs, 60_000);
  const c = vs?.realServers[0]?.checkers[0];
  t.like(c, {
    connectIp: '10.0.1.1',
    connectPort: 80,
    connectTimeoutMs: 5000,
    retry: 1,
    delayBeforeRetryMs: 1000,
  });
});

test('IPv6 instances are VRRPv3 and accept centisecond adverts', (t) => {
  const r = parse(vi('  advert_int 0.05\n  virtual_ipaddress {\n    fe80::1/64\n    2001:DB8:0:0::10\n  }'));
  t.deepEqual(r.diagnostics, []);
  t.like(r.model?.vrrpInstances[0], { version: 3, family: 'inet6', advertIntMs: 50 });
  t.is(r.model?.vrrpInstances[0]?.vips[1]?.address, '2001:db8::10', 'canonical text');
});

test('strict mode: accept off and lower_prio_no_advert on by default', (t) => {
  const r = parse(vi('  virtual_ipaddress {\n    10.0.0.1\n  }', 'global_defs {\n  vrrp_strict\n}\n'));
  t.deepEqual(r.diagnostics, []);
  t.like(r.model?.vrrpInstances[0], { strict: true, accept: false, lowerPrioNoAdvert: true });
});

const preemptRows: Array<{ name: string; body: string; want: [boolean, number]; warnings: string[] }> = [
  { name: 'nopreempt + BACKUP is kept', body: '  nopreempt', want: [true, 0], warnings: [] },
  {
    name: 'nopreempt + state MASTER: nopreempt cleared, stays MASTER',
    body: '  state MASTER\n  nopreempt',
    want: [false, 0],
    warnings: ['vrrp_instance `VI_1`: `nopreempt` does not work with `state MASTER`; cleared'],
  },
  {
    name: 'nopreempt + priority 255: cleared',
    body: '  priority 255\n  nopreempt',
    want: [false, 0],
    warnings: [
      'vrrp_instance `VI_1`: `nopreempt` does not apply to an address owner (priority 255); cleared',
    ],
  },
  {
    name: 'preempt_delay + state MASTER: cleared',
    body: '  state MASTER\n  preempt_delay 10',
    want: [false, 0],
    warnings: ['vrrp_instance `VI_1`: `preempt_delay` does not work with `state MASTER`; cleared'],
  },
  {
    name: 'preempt_delay + nopreempt: cleared',
    body: '  nopreempt\n  preempt_delay 10',
    want: [true, 0],
    warnings: ['vrrp_instance `VI_1`: `preempt_delay` has no effect with `nopreempt`; cleared'],
  },
  { name: 'preempt_delay + BACKUP is kept', body: '  preempt_delay 2.5', want: [false, 2500], warnings: [] },
];

for (const row of preemptRows) {
  test(`preemption: ${row.name} (as keepalived)`, (t) => {
    const r = parse(vi(row.body));
    t.deepEqual(
      r.diagnostics.map((d) => d.message),
      row.warnings,
    );
    t.true(r.diagnostics.every((d) => d.severity === 'warning'));
    const i = r.model?.vrrpInstances[0];
    t.deepEqual([i?.nopreempt, i?.preemptDelayMs], row.want);
    if (row.body.includes('MASTER')) t.is(i?.initialState, 'MASTER');
  });
}

test('--lenient turns unsupported keepalived keywords into warnings; unknown stays an error', (t) => {
  const text = 'global_defs {\n  enable_dbus\n  snmp_socket udp:1.2.3.4:705\n}\n';
  t.is(parse(text).model, undefined);
  const lenient = parse(text, { lenient: true });
  t.truthy(lenient.model);
  t.deepEqual(
    lenient.diagnostics.map((d) => [d.severity, d.line, d.keyword]),
    [
      ['warning', 2, 'enable_dbus'],
      ['warning', 3, 'snmp_socket'],
    ],
  );
  t.is(parse('global_defs {\n  routr_id x\n}\n', { lenient: true }).model, undefined);
});

test('errors do not stop checking: all of them are reported in one run', (t) => {
  const r = parse(vi('  priority 300\n  advert_int x\n  state SLAVE\n  bogus 1'));
  t.deepEqual(
    r.diagnostics.map((d) => d.line),
    [4, 5, 6, 7],
  );
});

test('auth_pass longer than 8 characters is truncated with a warning', (t) => {
  const r = parse(vi('  authentication {\n    auth_type PASS\n    auth_pass 0123456789\n  }'));
  t.is(r.model?.vrrpInstances[0]?.auth?.pass, '01234567');
  t.is(r.diagnostics[0]?.severity, 'warning');
});

test('auth_type AH is accepted (v2, IPv4): the instance carries it to the VRRP worker', (t) => {
  const ah = '  version 2\n  authentication {\n    auth_type AH\n    auth_pass secret1\n  }';
  const r = parse(vi(ah));
  t.deepEqual(r.diagnostics, []);
  t.like(r.model?.vrrpInstances[0]?.auth, { type: 'AH', pass: 'secret1' });
});

test('the same VRID on another interface or family is not a conflict', (t) => {
  const a =
    'vrrp_instance A {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n';
  const b =
    'vrrp_instance B {\n interface eth1\n virtual_router_id 5\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n';
  const c =
    'vrrp_instance C {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  2001:db8::1\n }\n}\n';
  t.deepEqual(parse(a + b + c).diagnostics, []);
});

test('at most 255 addresses in virtual_ipaddress (the advert count is 8 bits)', (t) => {
  const ips = (n: number): string =>
    Array.from({ length: n }, (_, i) => `    10.${Math.floor(i / 250)}.${i % 250}.1`).join('\n');
  t.deepEqual(parse(vi(`  virtual_ipaddress {\n${ips(255)}\n  }`)).diagnostics, []);
  const r = parse(vi(`  virtual_ipaddress {\n${ips(256)}\n  }`));
  t.deepEqual(
    r.diagnostics.map((d) => [d.line, d.message]),
    [
      [
        260,
        'vrrp_instance `VI_1`: `virtual_ipaddress` has 256 addresses; an advert carries at most 255 (put the rest in virtual_ipaddress_excluded)',
      ],
    ],
  );
});

test('no virtual_ipaddress: a warning in VRRPv2, an error in VRRPv3 (as keepalived)', (t) => {
  t.deepEqual(
    parse(vi('', '', false)).diagnostics.map((d) => [d.severity, d.message]),
    [['warning', 'vrrp_instance `VI_1`: no `virtual_ipaddress`; adverts will carry no address']],
  );
  t.deepEqual(
    parse(vi('  version 3', '', false)).diagnostics.map((d) => [d.severity, d.message]),
    [['error', 'vrrp_instance `VI_1`: `virtual_ipaddress` needs at least one address in VRRPv3']],
  );
});

test('sync group members: tracker weights are ignored (set to 0) with a warning', (t) => {
  const text =
    'vrrp_script chk {\n  script "/bin/true"\n  weight -20\n}\n' +
    vi(
      '  virtual_ipaddress {\n    10.0.0.1\n  }\n  track_script {\n    chk\n  }\n  track_interface {\n    eth1 weight 5\n    eth2\n  }',
    ) +
    'vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n';
  const r = parse(text);
  t.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.line, d.message]),
    [
      [
        'warning',
        12,
        'vrrp_instance `VI_1` is in vrrp_sync_group `G`: `track_script` chk weight -20 is ignored (set to 0)',
      ],
      [
        'warning',
        15,
        'vrrp_instance `VI_1` is in vrrp_sync_group `G`: `track_interface` eth1 weight 5 is ignored (set to 0)',
      ],
    ],
  );
  const i = r.model?.vrrpInstances[0];
  t.is(i?.trackScripts[0]?.weight, 0);
  t.is(i?.trackInterfaces[0]?.weight, 0);
  t.is(i?.trackInterfaces[1]?.weight, undefined);
});

test('full.conf: the whole normalized model equals the reviewed snapshot (full.expected.json)', async (t) => {
  const { model } = await loadConfig(`${okDir}full.conf`, { env: {} });
  const expected: unknown = JSON.parse(readFileSync(`${okDir}full.expected.json`, 'utf8'));
  t.deepEqual(JSON.parse(JSON.stringify(model).replaceAll(okDir, '')), expected);
});

test('scheduler names are case-insensitive and stored in lower case', (t) => {
  const r = parse('virtual_server 10.0.0.1 80 {\n  lb_algo WRR\n}\n');
  t.is(r.model?.virtualServers[0]?.scheduler, 'wrr');
});

const timerRows: Array<{
  name: string;
  head?: string;
  body: string;
  want: { downTimerAdverts: number; ownerIgnoreAdverts: boolean; notifyPriorityChanges: boolean };
  warnings: string[];
}> = [
  {
    name: 'defaults',
    body: '',
    want: { downTimerAdverts: 3, ownerIgnoreAdverts: false, notifyPriorityChanges: false },
    warnings: [],
  },
  {
    name: 'instance values',
    body: '  priority 255\n  down_timer_adverts 5\n  owner_ignore_adverts\n  notify_priority_changes',
    want: { downTimerAdverts: 5, ownerIgnoreAdverts: true, notifyPriorityChanges: true },
    warnings: [],
  },
  {
    name: 'globals apply; owner_ignore_adverts only for priority 255',
    head: 'global_defs {\n  vrrp_down_timer_adverts 4\n  vrrp_owner_ignore_adverts\n  vrrp_notify_priority_changes true\n}\n',
    body: '',
    want: { downTimerAdverts: 4, ownerIgnoreAdverts: false, notifyPriorityChanges: true },
    warnings: [],
  },
  {
    name: 'owner_ignore_adverts without priority 255 is ignored',
    body: '  owner_ignore_adverts',
    want: { downTimerAdverts: 3, ownerIgnoreAdverts: false, notifyPriorityChanges: false },
    warnings: ['vrrp_instance `VI_1`: `owner_ignore_adverts` ignored since priority is not 255'],
  },
  {
    name: 'strict mode: owner ignores adverts, down_timer_adverts reset',
    head: 'global_defs {\n  vrrp_strict\n}\n',
    body: '  priority 255\n  state MASTER\n  down_timer_adverts 7',
    want: { downTimerAdverts: 3, ownerIgnoreAdverts: true, notifyPriorityChanges: false },
    warnings: ['vrrp_instance `VI_1`: `down_timer_adverts` is incompatible with strict mode; reset to 3'],
  },
];

for (const row of timerRows) {
  test(`down_timer_adverts / owner_ignore_adverts / notify_priority_changes: ${row.name}`, (t) => {
    const r = parse(vi(row.body, row.head ?? ''));
    t.deepEqual(
      r.diagnostics.map((d) => d.message),
      row.warnings,
    );
    t.like(r.model?.vrrpInstances[0], row.want);
  });
}

test('notify_master_rx_lower_pri is a notify script', (t) => {
  const r = parse(vi('  notify_master_rx_lower_pri "/bin/x lower" root'));
  t.like(r.model?.vrrpInstances[0]?.notify.masterRxLowerPri, { argv: ['/bin/x', 'lower'], user: 'root' });
});

test('PING_CHECK and SMTP_CHECK: defaults, helo_name, deprecated host blocks expanded as keepalived', (t) => {
  const { model, diagnostics } = parse(`virtual_server 10.0.0.1 25 {
  real_server 10.0.0.2 25 {
    PING_CHECK {
      bind_if eth1
    }
    SMTP_CHECK {
      helo_name lvs1.example
    }
    SMTP_CHECK {
      connect_timeout 3
      host {
        connect_ip 10.0.0.3
        connect_port 2525
      }
    }
    SMTP_CHECK {
      helo_name old
      host {
        connect_ip 10.0.0.4
      }
      host {
        connect_ip 10.0.0.5
        bindto 10.0.0.1
      }
    }
  }
}
`);
  t.deepEqual(
    diagnostics.map((d) => `${d.severity} ${d.line}`),
    ['warning 11', 'warning 18', 'warning 21'],
    'each deprecated host block warns',
  );
  const checks = model?.virtualServers[0]?.realServers[0]?.checkers ?? [];
  t.deepEqual(
    checks.map((c) => [
      c.type,
      c.connectIp,
      c.connectPort,
      c.type === 'SMTP_CHECK' ? c.heloName : '',
      c.bindIf ?? c.bindTo ?? '',
    ]),
    [
      ['PING_CHECK', '10.0.0.2', 25, '', 'eth1'],
      ['SMTP_CHECK', '10.0.0.2', 25, 'lvs1.example', ''],
      // own connection option (connect_timeout): the checker itself, plus one per host
      ['SMTP_CHECK', '10.0.0.2', 25, 'smtpchecker.keepalived.org', ''],
      ['SMTP_CHECK', '10.0.0.3', 2525, 'smtpchecker.keepalived.org', ''],
      // none of its own: the first host's options are the checker's
      ['SMTP_CHECK', '10.0.0.4', 25, 'old', ''],
      ['SMTP_CHECK', '10.0.0.5', 25, 'old', '10.0.0.1'],
    ],
  );
  t.is(checks[2]?.connectTimeoutMs, 3000);
});

test('PING_CHECK: no port needed; fwmark and bind_port are errors; SMTP_CHECK bind_if is an error', (t) => {
  const ok = parse(`virtual_server fwmark 7 {\n  real_server 10.0.0.2 {\n    PING_CHECK {\n    }\n  }\n}\n`);
  t.deepEqual(ok.diagnostics, []);
  t.is(ok.model?.virtualServers[0]?.realServers[0]?.checkers[0]?.type, 'PING_CHECK');
  const bad = parse(`virtual_server 10.0.0.1 25 {
  real_server 10.0.0.2 25 {
    PING_CHECK {
      fwmark 3
      bind_port 99
    }
    SMTP_CHECK {
      bind_if eth0
    }
  }
}
`);
  t.deepEqual(
    bad.diagnostics.map((d) => d.message),
    [
      '`PING_CHECK`: `bind_port` means nothing to an ICMP echo',
      "`PING_CHECK`: `fwmark` is supported on TCP_CHECK only (lvsd's ICMP socket does not set SO_MARK)",
      '`SMTP_CHECK`: `bind_if` is supported on TCP_CHECK only (SMTP_CHECK probes run on Node sockets, which cannot set SO_BINDTODEVICE)',
    ],
  );
});

test('a checker`s fwmark / bind_if error is located at the keyword (file:line:column), not at the checker', (t) => {
  const r = parse(`virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 80 {
    HTTP_GET {
      url {
        path /
      }
      fwmark 3
    }
    SMTP_CHECK {
      host {
        connect_ip 10.0.0.3
         bind_if eth0
      }
    }
  }
}
`);
  t.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.file, d.line, d.col, d.keyword]),
    [
      ['mem.conf', 7, 7, 'fwmark'],
      ['mem.conf', 12, 10, 'bind_if'],
    ],
  );
});

/** use_vmac, vmac_xmit_base, unicast_ttl, unicast_fault_no_peer, track_src_ip (as keepalived resolves them). */
const vmacRows: Array<{ name: string; head?: string; body: string; want: object; messages: string[] }> = [
  {
    name: 'use_vmac alone: vrrp.VRID, 00:00:5e:00:01:VRID',
    body: '  use_vmac',
    want: { useVmac: { name: 'vrrp.9', mac: '00:00:5e:00:01:09', xmitBase: false } },
    messages: [],
  },
  {
    name: 'name and five-octet MAC (the VRID is the sixth), either order, with vmac_xmit_base',
    body: '  use_vmac 02:AA:bb:cc:dd vip9\n  vmac_xmit_base',
    want: { useVmac: { name: 'vip9', mac: '02:aa:bb:cc:dd:09', xmitBase: true } },
    messages: [],
  },
  {
    name: 'later keepalived: `name NAME` read, `group` and `netlink_notify_msg` refused',
    body: '  use_vmac name v9 group 5 netlink_notify_msg',
    want: {},
    messages: [
      '`use_vmac` option `group` is a keepalived option that lvsd does not support',
      '`use_vmac` option `netlink_notify_msg` is a keepalived option that lvsd does not support',
    ],
  },
  {
    name: 'IPv6: 00:00:5e:00:02:VRID',
    body: '  use_vmac\n  virtual_ipaddress {\n    fd00::1\n  }',
    want: { useVmac: { name: 'vrrp.9', mac: '00:00:5e:00:02:09' } },
    messages: [],
  },
  {
    name: 'unicast peers force vmac_xmit_base; unicast_ttl and unicast_fault_no_peer kept',
    body: '  use_vmac\n  unicast_peer {\n    10.9.9.2\n  }\n  unicast_ttl 10\n  unicast_fault_no_peer',
    want: { useVmac: { xmitBase: true }, unicastTtl: 10, unicastFaultNoPeer: true },
    messages: [
      'vrrp_instance `VI_1`: unicast peers with `use_vmac` need `vmac_xmit_base`; set (as keepalived)',
    ],
  },
  {
    name: 'track_src_ip with unicast_src_ip',
    body: '  unicast_src_ip 10.9.9.1\n  track_src_ip',
    want: { trackSrcIp: true },
    messages: [],
  },
  {
    name: 'resets as keepalived (warnings): unicast_ttl without peers, track_src_ip without a source, vmac_xmit_base without use_vmac',
    body: '  unicast_ttl 3\n  track_src_ip\n  vmac_xmit_base',
    want: { useVmac: undefined, unicastTtl: undefined, trackSrcIp: undefined },
    messages: [
      'vrrp_instance `VI_1`: `unicast_ttl` without `unicast_peer`; ignored',
      'vrrp_instance `VI_1`: `track_src_ip` without `unicast_src_ip` or `mcast_src_ip` has nothing to track; ignored',
      'vrrp_instance `VI_1`: `vmac_xmit_base` without `use_vmac`; ignored',
    ],
  },
  {
    name: 'errors: RFC 5798 MAC, multicast MAC, bad name, strict mode with a MAC and vmac_xmit_base',
    head: 'global_defs {\n  vrrp_strict\n}\n',
    body: '  use_vmac 00:00:5e:00:01:09 bad/name\n  use_vmac 03:00:00:00:00:01\n  use_vmac 02:00:00:00:00:01\n  vmac_xmit_base',
    want: {},
    messages: [
      '`use_vmac`: 00:00:5e:00:01:09 is an RFC 5798 virtual router MAC (the default: leave the MAC out)',
      "`use_vmac`: bad/name is not a valid interface name (1..15 characters, no '/', ':' or spaces)",
      '`use_vmac`: 03:00:00:00:00:01 is a multicast MAC address',
      'vrrp_instance `VI_1`: strict mode (vrrp_strict) does not allow a VMAC MAC address',
      'vrrp_instance `VI_1`: strict mode (vrrp_strict) does not allow `vmac_xmit_base`',
    ],
  },
];

for (const row of vmacRows) {
  test(`VMAC and unicast knobs: ${row.name}`, (t) => {
    const r = parse(vi(row.body, row.head ?? ''));
    t.deepEqual(
      r.diagnostics.map((d) => d.message),
      row.messages,
    );
    if (r.model && Object.keys(row.want).length > 0) t.like(r.model.vrrpInstances[0], row.want);
  });
}

test('VMAC names: an IPv6 instance with the same VRID gets vrrp6.VRID; a written name used twice is an error', (t) => {
  const two = (a: string, b: string) =>
    parse(
      `vrrp_instance A {\n  interface eth0\n  virtual_router_id 9\n  ${a}\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n` +
        `vrrp_instance B {\n  interface eth0\n  virtual_router_id 9\n  ${b}\n  virtual_ipaddress {\n    fd00::1\n  }\n}\n`,
    );
  const ok = two('use_vmac', 'use_vmac');
  t.deepEqual(
    ok.model?.vrrpInstances.map((i) => i.useVmac?.name),
    ['vrrp.9', 'vrrp6.9'],
  );
  t.deepEqual(
    two('use_vmac v1', 'use_vmac v1').diagnostics.map((d) => d.message),
    ['vrrp_instance `B`: VMAC name v1 is already the VMAC of vrrp_instance `A`'],
  );
});

test('nftables settings and garp_group; vrrp_iptables is refused with the reason', (t) => {
  const r = parse(
    'global_defs {\n  nftables vrrp_fw\n  nftables_priority 7\n  nftables_counters\n  nftables_ifindex\n}\n' +
      'garp_group {\n  gna_interval 0.05\n  interface eth0\n  interfaces {\n    eth1\n  }\n}\n' +
      vi(''),
  );
  t.deepEqual(r.diagnostics, []);
  t.deepEqual(r.model?.global.vrrpNftables, { table: 'vrrp_fw', priority: 7, counters: true });
  t.like(r.model?.global.garpGroups?.[0], { gnaIntervalMs: 50, interfaces: ['eth0', 'eth1'] });
  const bad = parse(
    'global_defs {\n  vrrp_iptables\n  nftables bad-name\n}\ngarp_group {\n  interface eth0\n}\ngarp_group {\n  garp_interval 1\n  interface eth0\n}\n',
  );
  t.deepEqual(
    bad.diagnostics.map((d) => `${d.line}: ${d.message}`),
    [
      '2: `vrrp_iptables`: lvsd has no iptables backend; its VRRP firewall is an nftables table (use `nftables [TABLE]`, or nothing: lvsd turns it on by itself for no_accept and use_vmac)',
      "3: `nftables`: table name must be a letter or '_' then up to 62 letters, digits or '_' (got bad-name)",
      '5: `garp_group` needs `garp_interval` and/or `gna_interval`',
      '10: `garp_group`: interface eth0 is already in the garp_group at mem.conf:5:1',
    ],
  );
});
