// SPDX-License-Identifier: Apache-2.0
// `virtual_routes`, `virtual_rules`, `static_ipaddress`, `static_routes`, `static_rules` and
// `virtual_ipaddress_excluded` in the Model: keepalived 2.2.7's words and defaults (table main,
// protocol keepalived unless `no_track`, rule priorities from 16384 down in file order), and a
// located error for every option lvsd does not carry out.
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import type { IpRoute, IpRule } from '../../../src/config/model.js';

function parse(text: string, lenient = false) {
  return parseConfigText(text, 'mem.conf', { configId: 'lvs1', env: {}, lenient });
}

/** Diagnostics as [severity, line:col, message]. */
function diags(text: string, lenient = false): Array<[string, string, string]> {
  return parse(text, lenient).diagnostics.map((d) => [d.severity, `${d.line}:${d.col}`, d.message]);
}

/** The one static route a line makes (fields other than `loc`). */
function route(line: string): Omit<IpRoute, 'loc'> | undefined {
  const r = parse(`static_routes {\n  ${line}\n}\n`);
  if (r.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const x = r.model?.staticRoutes[0];
  if (!x) return undefined;
  const { loc: _loc, ...rest } = x;
  return rest;
}

function rule(line: string): Omit<IpRule, 'loc'> | undefined {
  const r = parse(`static_rules {\n  ${line}\n}\n`);
  if (r.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const x = r.model?.staticRules[0];
  if (!x) return undefined;
  const { loc: _loc, ...rest } = x;
  return rest;
}

const base = { family: 'inet', type: 'unicast', table: 254, protocol: 18, onlink: false } as const;

const routeRows: Array<[string, Omit<IpRoute, 'loc'>]> = [
  ['10.80.0.0/16 via 10.0.0.254', { ...base, to: { address: '10.80.0.0', prefix: 16 }, via: '10.0.0.254' }],
  ['to 10.80.0.0/16 gw 10.0.0.254', { ...base, to: { address: '10.80.0.0', prefix: 16 }, via: '10.0.0.254' }],
  [
    '10.81.0.0/16 dev eth1 src 10.1.0.1 metric 10 table 100 scope link tos 0x10 onlink',
    {
      ...base,
      to: { address: '10.81.0.0', prefix: 16 },
      dev: 'eth1',
      src: '10.1.0.1',
      metric: 10,
      table: 100,
      scope: 253,
      tos: 16,
      onlink: true,
    },
  ],
  ['blackhole 10.82.0.0/16', { ...base, type: 'blackhole', to: { address: '10.82.0.0', prefix: 16 } }],
  ['unreachable 10.83.0.1', { ...base, type: 'unreachable', to: { address: '10.83.0.1', prefix: 32 } }],
  [
    'prohibit 10.84.0.0/16 table local',
    { ...base, type: 'prohibit', table: 255, to: { address: '10.84.0.0', prefix: 16 } },
  ],
  [
    'default via 10.0.0.1 table 70000',
    { ...base, table: 70000, to: { address: '0.0.0.0', prefix: 0 }, via: '10.0.0.1' },
  ],
  [
    'fd00:99::/64 from fd00:1::/64 via fd00:1::1 preference 20',
    {
      ...base,
      family: 'inet6',
      to: { address: 'fd00:99::', prefix: 64 },
      from: { address: 'fd00:1::', prefix: 64 },
      via: 'fd00:1::1',
      metric: 20,
    },
  ],
  [
    '10.85.0.0/16 dev eth0 protocol static no_track',
    { ...base, to: { address: '10.85.0.0', prefix: 16 }, dev: 'eth0', protocol: 4 },
  ],
  ['10.85.0.0/16 protocol 99 no_track', { ...base, to: { address: '10.85.0.0', prefix: 16 }, protocol: 99 }],
  [
    '10.86.0.0/16 via 10.0.0.1 or 10.0.0.2',
    {
      ...base,
      to: { address: '10.86.0.0', prefix: 16 },
      nexthops: [
        { via: '10.0.0.1', onlink: false },
        { via: '10.0.0.2', onlink: false },
      ],
    },
  ],
  [
    '10.87.0.0/16 nexthop via 10.0.0.1 dev eth0 weight 3 nexthop via 10.1.0.1 dev eth1 onlink',
    {
      ...base,
      to: { address: '10.87.0.0', prefix: 16 },
      nexthops: [
        { via: '10.0.0.1', dev: 'eth0', weight: 3, onlink: false },
        { via: '10.1.0.1', dev: 'eth1', onlink: true },
      ],
    },
  ],
];

for (const [line, want] of routeRows) {
  test(`route: ${line}`, (t) => {
    t.deepEqual(route(line), want);
  });
}

const routeErrors: Array<[string, string]> = [
  ['10.80.0.0/16 via fd00::1', '`static_routes`: fd00::1 is IPv6 but the line is IPv4'],
  ['10.80.0.0/16 from 10.0.0.0/8', '`static_routes`: `from` is for IPv6 routes only (as in keepalived)'],
  ['10.80.1.0/16 via 10.0.0.1', '`static_routes`: 10.80.1.0/16 has host bits set (the kernel refuses it)'],
  ['via 10.0.0.1', '`static_routes`: a route needs a destination'],
  [
    '10.80.0.0/16 table mytable',
    '`static_routes`: `table` must be a number in 0..4294967295 or one of default, main, local (got mytable)',
  ],
  ['10.80.0.0/16 table 0', '`static_routes`: table 0 is not a routing table'],
  ['10.80.0.0/16 bogus', '`static_routes`: unknown route option `bogus`'],
  ['10.80.0.0/16 dev', '`static_routes`: `dev` needs a value'],
  ['10.80.0.0/16 mtu 1400', '`static_routes` option `mtu` is a keepalived option that lvsd does not support'],
  ['10.80.0.0/16 nexthop via 10.0.0.1 weight 0', '`static_routes`: `weight` must be 1..256 (got 0)'],
  ['10.80.0.0/16 or 10.0.0.2', '`static_routes`: `or` needs a `via` before it'],
  ['nat 10.80.0.0/16', '`static_routes` option `nat` is a keepalived option that lvsd does not support'],
];

for (const [line, message] of routeErrors) {
  test(`route error: ${line}`, (t) => {
    const d = diags(`static_routes {\n  ${line}\n}\n`).filter(([s]) => s === 'error');
    t.deepEqual(
      d.map(([, , m]) => m),
      [message],
    );
    t.regex(d[0]?.[1] ?? '', /^2:\d+$/);
  });
}

test('route: an unsupported option is located at its word, and --lenient drops the line with a warning', (t) => {
  const text = 'static_routes {\n  10.80.0.0/16 via 10.0.0.1 realms 5\n  10.81.0.0/16 via 10.0.0.1\n}\n';
  t.deepEqual(diags(text), [
    ['error', '2:29', '`static_routes` option `realms` is a keepalived option that lvsd does not support'],
  ]);
  const r = parse(text, true);
  t.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.message]),
    [
      [
        'warning',
        '`static_routes` option `realms` is a keepalived option that lvsd does not support (the line is ignored)',
      ],
    ],
  );
  t.deepEqual(
    r.model?.staticRoutes.map((x) => x.to.address),
    ['10.81.0.0'],
  );
});

test('route: a `protocol` on a tracked route is replaced by keepalived (18), with a warning, as keepalived does', (t) => {
  const text = 'static_routes {\n  10.80.0.0/16 dev eth0 protocol static\n}\n';
  t.deepEqual(diags(text), [
    [
      'warning',
      '2:34',
      '`static_routes`: `protocol static` is replaced by 18 (keepalived), as keepalived does for a tracked entry; add `no_track` to keep it',
    ],
  ]);
  t.is(parse(text).model?.staticRoutes[0]?.protocol, 18);
});

const ruleBase = { family: 'inet', invert: false, action: 'table', protocol: 18 } as const;

const ruleRows: Array<[string, Omit<IpRule, 'loc'>]> = [
  [
    'from 10.0.0.0/24 table 100 priority 10',
    { ...ruleBase, from: { address: '10.0.0.0', prefix: 24 }, table: 100, priority: 10 },
  ],
  [
    'to 10.1.0.0/16 lookup main preference 11',
    { ...ruleBase, to: { address: '10.1.0.0', prefix: 16 }, table: 254, priority: 11 },
  ],
  [
    'from all table 70000 order 12',
    { ...ruleBase, from: { address: '0.0.0.0', prefix: 0 }, table: 70000, priority: 12 },
  ],
  [
    'fwmark 0x10/0xff table 100 priority 13',
    { ...ruleBase, fwmark: 16, fwmask: 255, table: 100, priority: 13 },
  ],
  [
    'iif eth0 oif eth1 tos 0x10 table 100 priority 14',
    { ...ruleBase, iif: 'eth0', oif: 'eth1', tos: 16, table: 100, priority: 14 },
  ],
  [
    'not from 10.0.0.0/8 table 100 priority 15',
    { ...ruleBase, invert: true, from: { address: '10.0.0.0', prefix: 8 }, table: 100, priority: 15 },
  ],
  [
    'from 10.2.0.0/16 blackhole priority 16',
    { ...ruleBase, action: 'blackhole', from: { address: '10.2.0.0', prefix: 16 }, priority: 16 },
  ],
  [
    'from 10.2.0.0/16 type prohibit priority 17',
    { ...ruleBase, action: 'prohibit', from: { address: '10.2.0.0', prefix: 16 }, priority: 17 },
  ],
  [
    'to 10.3.0.0/16 goto 200 priority 18',
    { ...ruleBase, action: 'goto', to: { address: '10.3.0.0', prefix: 16 }, goto: 200, priority: 18 },
  ],
  [
    'from 10.4.0.0/16 nop priority 19',
    { ...ruleBase, action: 'nop', from: { address: '10.4.0.0', prefix: 16 }, priority: 19 },
  ],
  [
    'from fd00::/64 table 100 priority 20',
    { ...ruleBase, family: 'inet6', from: { address: 'fd00::', prefix: 64 }, table: 100, priority: 20 },
  ],
  [
    'fwmark 7 table 100 priority 21 protocol 4 no_track',
    { family: 'inet', invert: false, action: 'table', fwmark: 7, table: 100, priority: 21, protocol: 4 },
  ],
  [
    'fwmark 7 table 100 priority 22 no_track',
    { family: 'inet', invert: false, action: 'table', fwmark: 7, table: 100, priority: 22 },
  ],
];

for (const [line, want] of ruleRows) {
  test(`rule: ${line}`, (t) => {
    t.deepEqual(rule(line), want);
  });
}

const ruleErrors: Array<[string, string]> = [
  [
    'from 10.0.0.0/24 priority 5',
    '`static_rules`: a rule needs an action (table N, goto N, nop, blackhole, unreachable or prohibit)',
  ],
  [
    'from 10.0.0.0/24 table 100 blackhole priority 5',
    '`static_rules`: only one of table, goto, nop, blackhole, unreachable, prohibit (table is set)',
  ],
  ['to 10.3.0.0/16 goto 200', '`static_rules`: `goto` needs a `priority` lower than its target'],
  ['to 10.3.0.0/16 goto 200 priority 300', '`static_rules`: `goto` needs a `priority` lower than its target'],
  [
    'from 10.0.0.0/24 to fd00::/64 table 1 priority 5',
    '`static_rules`: fd00::/64 is IPv6 but the line is IPv4',
  ],
  ['fwmark 7/x table 1 priority 5', '`static_rules`: `fwmark` must be N or N/MASK, 32-bit numbers (got 7/x)'],
  ['from 10.0.0.0/24 table 0 priority 5', '`static_rules`: table 0 is not a routing table'],
  [
    'from 10.0.0.0/24 table 1 priority 5 sport 80',
    '`static_rules` option `sport` is a keepalived option that lvsd does not support',
  ],
  ['from 10.0.0.0/24 table 1 priority 5 throw', '`static_rules`: unknown rule option `throw`'],
];

for (const [line, message] of ruleErrors) {
  test(`rule error: ${line}`, (t) => {
    const d = diags(`static_rules {\n  ${line}\n}\n`).filter(([s]) => s === 'error');
    t.deepEqual(
      d.map(([, , m]) => m),
      [message],
    );
  });
}

test('rules without a priority get 16384 counting down per family, static and virtual in file order, with a warning each', (t) => {
  const text = `static_rules {
  from 10.0.0.0/24 table 1
  from fd00::/64 table 1
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress {
    10.9.9.9
  }
  virtual_rules {
    from 10.1.0.0/24 table 1
    from 10.2.0.0/24 table 1 priority 5
    from fd00:1::/64 table 1
  }
}
static_rules {
  from 10.3.0.0/24 table 1
}
`;
  const r = parse(text);
  t.deepEqual(
    r.model?.staticRules.map((x) => x.priority),
    [16384, 16384, 16382],
  );
  t.deepEqual(
    r.model?.vrrpInstances[0]?.virtualRules.map((x) => x.priority),
    [16383, 5, 16383],
  );
  t.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.line]),
    [
      ['warning', 2],
      ['warning', 3],
      ['warning', 12],
      ['warning', 14],
      ['warning', 18],
    ],
  );
});

test('static_ipaddress: VIP syntax; `dev` defaults to eth0 (keepalived default_interface); listed twice is a warning', (t) => {
  const r = parse(
    'static_ipaddress {\n  10.2.0.5/24 dev eth1 scope link label eth1:st\n  10.2.0.6\n  10.2.0.6\n}\n',
  );
  t.deepEqual(
    r.model?.staticAddresses.map((a) => [a.address, a.prefix, a.dev, a.scope, a.label]),
    [
      ['10.2.0.5', 24, 'eth1', 'link', 'eth1:st'],
      ['10.2.0.6', 32, 'eth0', undefined, undefined],
    ],
  );
  t.deepEqual(
    r.diagnostics.map((d) => [d.severity, d.line, d.message]),
    [['warning', 4, '`static_ipaddress`: 10.2.0.6 is listed twice (first at line 3); ignored']],
  );
});

test('virtual_ipaddress_excluded, virtual_routes and virtual_rules land in the instance', (t) => {
  const r = parse(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  virtual_ipaddress {
    10.9.9.9
  }
  virtual_ipaddress_excluded {
    10.9.9.10/24 brd + label eth0:ex
    fd00::10/64
  }
  virtual_routes {
    10.80.0.0/16 via 10.9.9.1
  }
  virtual_rules {
    from 10.9.9.10 table 100 priority 100
  }
}
`);
  t.deepEqual(r.diagnostics, []);
  const i = r.model?.vrrpInstances[0];
  t.deepEqual(
    i?.excludedVips.map((v) => [v.address, v.prefix, v.brd, v.label, v.dev]),
    [
      ['10.9.9.10', 24, '+', 'eth0:ex', 'eth0'],
      ['fd00::10', 64, undefined, undefined, 'eth0'],
    ],
  );
  t.is(i?.family, 'inet');
  t.deepEqual(
    i?.virtualRoutes.map((x) => x.to.address),
    ['10.80.0.0'],
  );
  t.deepEqual(
    i?.virtualRules.map((x) => [x.from?.address, x.priority]),
    [['10.9.9.10', 100]],
  );
});

test('static_* inside a vrrp_instance are unknown keywords there (they are top-level blocks)', (t) => {
  const d = diags(
    'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 9\n  static_routes {\n  }\n  virtual_ipaddress {\n    10.9.9.9\n  }\n}\n',
  );
  t.deepEqual(d, [['error', '4:3', 'unknown keyword `static_routes` in vrrp_instance']]);
});
