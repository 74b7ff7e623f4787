// SPDX-License-Identifier: Apache-2.0
/** keepalived.conf text → config Model → check specs (what `lvsd run --check-only` runs). */
import test from 'ava';
import { parseConfigText } from '../../../src/config/load.io.js';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { desiredTable } from '../../../src/check/desired.js';
import { buildWorld } from '../../../src/check/virtual-server.js';
import { hiddenClasses } from '../../helpers/hidden-class.js';

const text = `
global_defs {
  lvs_notify_fifo /run/lvsd/lvs.fifo
}
virtual_server 192.0.2.10 443 {
  delay_loop 2
  lb_algo wrr
  lb_kind DR
  protocol TCP
  persistence_timeout 300
  quorum 3
  hysteresis 1
  quorum_up "/usr/local/bin/q up"
  sorry_server 10.0.0.99 443
  sorry_server_inhibit
  real_server 10.0.0.1 443 {
    weight 5
    uthreshold 100
    lthreshold 10
    inhibit_on_failure
    notify_down "/usr/local/bin/rs down"
    SSL_GET {
      url {
        path /health
        digest 9b3a4a6d9c5e2e0c4f1a2b3c4d5e6f70
        status_code 200-204
      }
      enable_sni
      virtualhost www.example
      connect_timeout 3
      retry 2
      delay_before_retry 1
    }
    MISC_CHECK {
      misc_path "/usr/local/bin/weight.sh 10.0.0.1"
      misc_timeout 4
      misc_dynamic
    }
  }
  real_server 10.0.0.2 443 {
    weight 1
    TCP_CHECK {
      connect_port 8443
      bindto 10.0.0.254
    }
    DNS_CHECK {
      type A
      name www.example
    }
    UDP_CHECK {
      payload 0102
      require_reply 0X
    }
  }
}
`;

test('a keepalived config maps onto check specs with keepalived semantics', (t) => {
  const { model, diagnostics } = parseConfigText(text, 'test.conf', { configId: 'lvs1', env: {} });
  t.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const spec = checkSpecFromModel(model!);
  t.deepEqual(spec.notifyFifos, ['/run/lvsd/lvs.fifo']);
  const vs = spec.virtualServers[0]!;
  t.deepEqual(vs.service.key, {
    kind: 'addr',
    family: 'inet',
    protocol: 'tcp',
    address: '192.0.2.10',
    port: 443,
  });
  t.is(vs.service.scheduler, 'wrr');
  t.is(vs.service.persistence?.timeout, 300);
  t.is(vs.quorum, 3);
  t.is(vs.hysteresis, 1);
  t.deepEqual(vs.quorumUp, { argv: ['/usr/local/bin/q', 'up'] });
  t.true(vs.sorryServerInhibit);
  t.like(vs.sorryServer, { address: '10.0.0.99', port: 443, method: 'droute' });
  const [a, b] = vs.reals;
  t.like(a, { weight: 5, method: 'droute', upperThreshold: 100, lowerThreshold: 10, inhibitOnFailure: true });
  t.deepEqual(a!.notifyDown, { argv: ['/usr/local/bin/rs', 'down'] });
  const ssl = a!.checkers[0]!;
  t.like(ssl, { kind: 'http', tls: true, enableSni: true, virtualhost: 'www.example' });
  t.like(ssl.timing, { connectTimeoutMs: 3000, retry: 2, delayBeforeRetryMs: 1000, delayLoopMs: 2000 });
  if (ssl.kind === 'http') t.deepEqual(ssl.urls[0]!.statusCodes, [[200, 204]]);
  t.like(a!.checkers[1], {
    kind: 'misc',
    argv: ['/usr/local/bin/weight.sh', '10.0.0.1'],
    timeoutMs: 4000,
    dynamic: true,
  });
  t.like(b!.checkers[0], { kind: 'tcp', connectPort: 8443, bindTo: '10.0.0.254' });
  t.like(b!.checkers[1], { kind: 'dns', type: 'A', name: 'www.example' });
  const udp = b!.checkers[2]!;
  t.like(udp, { kind: 'udp', requireReply: true });
  if (udp.kind === 'udp') {
    t.deepEqual([...(udp.payload ?? [])], [1, 2]);
    t.deepEqual([...(udp.replyPattern?.mask ?? [])], [0xf0]);
  }
  // Without alpha every real starts up: the table holds both reals and the inhibited sorry server.
  const table = desiredTable(spec, buildWorld(spec));
  t.deepEqual(
    table[0]!.destinations.map((d) => `${d.address}:${d.port}:${d.weight}`),
    ['10.0.0.1:443:5', '10.0.0.2:443:1', '10.0.0.99:443:0'],
  );
});

test('timing: warmup defaults to delay_loop, inherits checker → real → virtual server; pacing by checker type', (t) => {
  const conf = `
virtual_server 192.0.2.20 80 {
  delay_loop 4
  lb_algo rr
  protocol TCP
  real_server 10.0.0.1 80 {
    TCP_CHECK {
    }
    HTTP_GET {
      url {
        path /
      }
      warmup 0
    }
    MISC_CHECK {
      misc_path /bin/true
      delay_loop 2
    }
  }
  real_server 10.0.0.2 80 {
    warmup 7
    UDP_CHECK {
    }
  }
}
virtual_server 192.0.2.21 80 {
  delay_loop 4
  warmup 9
  lb_algo rr
  protocol TCP
  real_server 10.0.0.3 80 {
    PING_CHECK {
    }
  }
}
`;
  const { model, diagnostics } = parseConfigText(conf, 'timing.conf', { configId: 'lvs1', env: {} });
  t.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const [v1, v2] = checkSpecFromModel(model!).virtualServers;
  const [tcp, http, misc] = v1!.reals[0]!.checkers;
  t.like(tcp!.timing, { warmupMs: 4000, failurePacing: 'always' });
  t.is(tcp!.timing.pacedFromStart, undefined);
  t.like(http!.timing, { warmupMs: 0, failurePacing: 'http', urlRound: 1 });
  t.like(misc!.timing, {
    warmupMs: 2000,
    delayLoopMs: 2000,
    failurePacing: 'while-up',
    pacedFromStart: true,
  });
  // keepalived's misc_timeout default is the virtual server's delay_loop, not the checker's
  t.like(misc, { kind: 'misc', timeoutMs: 4000 });
  t.like(v1!.reals[1]!.checkers[0]!.timing, { warmupMs: 7000, failurePacing: 'while-up' });
  t.like(v2!.reals[0]!.checkers[0]!.timing, { warmupMs: 9000, failurePacing: 'while-up' });
});

test('checker specs of one kind and options share one hidden class (no copy by spread per real)', (t) => {
  const reals = (n: number, check: string): string =>
    Array.from({ length: n }, (_, i) => `  real_server 10.1.0.${i + 1} 80 {\n    ${check}\n  }`).join('\n');
  const conf = [
    `virtual_server 192.0.2.1 80 {\n  protocol TCP\n${reals(60, 'TCP_CHECK { connect_timeout 2 }')}\n}`,
    `virtual_server 192.0.2.2 80 {\n  protocol TCP\n${reals(60, 'HTTP_GET { url { path /h } }')}\n}`,
    `virtual_server 192.0.2.3 80 {\n  protocol TCP\n${reals(60, 'MISC_CHECK { misc_path "/bin/true" }')}\n}`,
  ].join('\n');
  const r = parseConfigText(conf, 'classes.conf', { configId: 'lvs1', env: {} });
  if (!r.model) return t.fail(JSON.stringify(r.diagnostics));
  const spec = checkSpecFromModel(r.model);
  for (const vs of spec.virtualServers) {
    const checkers = vs.reals.flatMap((rs) => rs.checkers);
    t.is(checkers.length, 60);
    t.is(hiddenClasses(checkers), 1, `${checkers[0]?.kind}: one class for 60 specs`);
    t.is(hiddenClasses(checkers.map((c) => c.timing)), 1, `${checkers[0]?.kind}: one class of timing`);
  }
});
