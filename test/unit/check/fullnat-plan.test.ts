// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { fullNatServicesFromModel } from '../../../src/check/fullnat-plan.js';
import { parseConfigText } from '../../../src/config/load.io.js';

const conf = `
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind FULLNAT
  protocol TCP
  real_server 192.168.1.12 8080 {
  }
  real_server 192.168.1.11 8080 {
  }
}
virtual_server 10.0.0.2 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.168.2.11 80 {
  }
  real_server 192.168.2.12 80 {
    lvs_method FULLNAT
  }
}
virtual_server 10.0.0.3 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 192.168.3.11 80 {
  }
}
`;

test('FULLNAT services: by the virtual server method, or by the reals that use it', (t) => {
  const { model, diagnostics } = parseConfigText(conf, 'fullnat.conf', { configId: 'lvs1', env: {} });
  t.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  t.truthy(model);
  if (!model) return;
  t.deepEqual(fullNatServicesFromModel(model), [
    {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
      reals: ['192.168.1.12', '192.168.1.11'],
    },
    {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '10.0.0.2', port: 80 },
      reals: ['192.168.2.12'],
    },
  ]);
});
