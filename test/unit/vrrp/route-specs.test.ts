// SPDX-License-Identifier: Apache-2.0
// A configured route against the routes a kernel dump shows (src/vrrp/route-specs.ts routeMatches,
// the identity a hitless restart takes routes over under): what the configuration sets must be the
// same; what it leaves to the kernel (a gateway's interface, the scope, IPv6's default metric) may be
// whatever the kernel chose.
import test from 'ava';
import type { RouteEntry, RouteSpec } from '../../../src/netlink/rtnl.js';
import { routeMatches } from '../../../src/vrrp/route-specs.js';

const viaOnly: RouteSpec = {
  family: 'inet',
  dst: '10.80.0.0',
  dstLen: 16,
  type: 'unicast',
  table: 254,
  protocol: 18,
  gateway: '10.0.0.254',
};

/** What `ip route` shows for `viaOnly`: the gateway resolved to eth0 (ifindex 2), scope global. */
const shown: RouteEntry = {
  family: 'inet',
  dst: '10.80.0.0',
  dstLen: 16,
  type: 'unicast',
  table: 254,
  protocol: 18,
  scope: 0,
  tos: 0,
  srcLen: 0,
  gateway: '10.0.0.254',
  ifindex: 2,
  onlink: false,
};

test('a gateway route without dev matches the route the kernel shows with the interface it resolved', (t) => {
  t.true(routeMatches(viaOnly, shown));
  t.true(routeMatches({ ...viaOnly, ifindex: 2 }, shown));
  t.false(routeMatches({ ...viaOnly, ifindex: 3 }, shown), 'a dev written must be the same');
});

test('any field the configuration sets must be the same', (t) => {
  t.false(routeMatches({ ...viaOnly, gateway: '10.0.0.253' }, shown));
  t.false(routeMatches({ ...viaOnly, table: 100 }, shown));
  t.false(routeMatches({ ...viaOnly, protocol: 4 }, shown));
  t.false(routeMatches({ ...viaOnly, metric: 10 }, shown));
  t.false(routeMatches({ ...viaOnly, type: 'blackhole' }, shown));
  t.false(routeMatches({ ...viaOnly, dstLen: 24 }, shown));
  t.false(routeMatches(viaOnly, { ...shown, metric: 10 }), 'no metric written is metric 0');
  const { gateway: _gw, ...direct } = shown;
  t.false(routeMatches(viaOnly, direct), 'a route without the gateway is another route');
  t.false(routeMatches(viaOnly, { ...shown, prefsrc: '10.0.0.1' }));
});

test('IPv6: the default metric 1024 and the address text in any form', (t) => {
  const want: RouteSpec = {
    family: 'inet6',
    dst: 'fd00:99::',
    dstLen: 64,
    type: 'unicast',
    table: 254,
    protocol: 18,
    gateway: 'fd00:1::254',
  };
  const got: RouteEntry = {
    ...shown,
    family: 'inet6',
    dst: 'fd00:99:0:0::',
    dstLen: 64,
    gateway: 'fd00:1:0::254',
    metric: 1024,
  };
  t.true(routeMatches(want, got));
  t.false(routeMatches({ ...want, metric: 100 }, got));
});

test("multipath: each path in order, its interface the kernel's when not written", (t) => {
  const { gateway: _a, ...noGateway } = viaOnly;
  const want: RouteSpec = {
    ...noGateway,
    nexthops: [{ gateway: '10.0.0.254' }, { gateway: '10.1.0.254', ifindex: 3, hops: 1 }],
  };
  const { gateway: _b, ifindex: _c, ...noPath } = shown;
  const got: RouteEntry = {
    ...noPath,
    nexthops: [
      { gateway: '10.0.0.254', ifindex: 2, hops: 0, onlink: false },
      { gateway: '10.1.0.254', ifindex: 3, hops: 1, onlink: false },
    ],
  };
  t.true(routeMatches(want, got));
  t.false(routeMatches(want, { ...got, nexthops: got.nexthops?.slice(0, 1) ?? [] }));
  t.false(routeMatches(want, { ...got, nexthops: [...(got.nexthops ?? [])].reverse() }));
  t.false(routeMatches(viaOnly, got), 'a single path is not a multipath route');
});
