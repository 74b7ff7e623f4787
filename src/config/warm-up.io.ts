// SPDX-License-Identifier: Apache-2.0
/**
 * A configuration to parse and throw away, so that a validator started ahead of need (the
 * supervisor's standby validator: daemon/validator-standby.ts) meets the operator's file with the
 * parser's functions already compiled and optimized: a fresh process parses 1,000 virtual servers x
 * 10 reals ~15-20 % faster after this on the host, more where compiling is dearer (an emulated
 * CPU). The text exercises the common statements: global_defs, a vrrp_instance, virtual servers
 * with TCP_CHECK and HTTP_GET real servers. An .io module for the loader it runs (load.io.ts); the
 * text names no include, so it reads no file.
 */
import { parseConfigText } from './load.io.js';
import type { Model } from './model.js';

function warmUpText(virtualServers: number): string {
  const out = [
    'global_defs {\n  router_id lvsd-warm-up\n}',
    'vrrp_instance WARM_UP {\n  state BACKUP\n  interface lo\n  virtual_router_id 1\n  priority 100\n' +
      '  advert_int 1\n  virtual_ipaddress {\n    192.0.2.1/32\n  }\n}',
  ];
  for (let i = 0; i < virtualServers; i++) {
    out.push(
      `virtual_server 198.18.${(i >> 8) & 255}.${i & 255} 80 {\n  delay_loop 5\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`,
    );
    for (let j = 1; j <= 10; j++) {
      const check =
        j % 2 === 1
          ? 'TCP_CHECK {\n      connect_timeout 3\n    }'
          : 'HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 3\n    }';
      out.push(`  real_server 198.19.${i & 255}.${j} 8080 {\n    weight ${j}\n    ${check}\n  }`);
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/**
 * Parse a generated configuration of `virtualServers` x 10 reals; its model, to be thrown away
 * (six rounds of 50 warm the parser as much as one of 300, and can stop between rounds).
 */
export function warmUpParser(virtualServers = 50): Model | undefined {
  return parseConfigText(warmUpText(virtualServers), '/lvsd-warm-up.conf', { configId: 'warm-up', env: {} })
    .model;
}
