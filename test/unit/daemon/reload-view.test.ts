// SPDX-License-Identifier: Apache-2.0
// The reload's validating child hands the LVS worker the whole model with its fingerprints (read
// keeping the virtual servers the worker has), and the VRRP worker its view without real servers: a
// large table must not be parsed on the VRRP timers' event loop at every reload.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { modelFingerprints } from '../../../src/config/fingerprints.js';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';

const file = fileURLToPath(new URL('../../../../etc/lvs-nat.conf', import.meta.url));

test('the reload child: the whole model with fingerprints, or the VRRP view without reals', async (t) => {
  const [whole, vrrp] = await Promise.all([
    validateConfigInChild({ configFile: file, configId: 'lvs1' }),
    validateConfigInChild({ configFile: file, configId: 'lvs1', view: 'vrrp' }),
  ]);
  if (!whole.model || !vrrp.model) return t.fail(JSON.stringify([whole.diagnostics, vrrp.diagnostics]));
  const { fingerprints, ...model } = whole.model;
  t.deepEqual(fingerprints, modelFingerprints(model));
  t.true(model.virtualServers.some((vs) => vs.realServers.length > 0));
  // handed the model it runs, the reader keeps its unchanged virtual servers
  const again = await validateConfigInChild({ configFile: file, configId: 'lvs1', previous: whole.model });
  t.true(
    again.model !== undefined &&
      again.model.virtualServers.length > 0 &&
      again.model.virtualServers.every((vs, i) => vs === whole.model!.virtualServers[i]),
  );
  t.deepEqual(vrrp.model, {
    ...model,
    virtualServers: model.virtualServers.map((vs) => ({ ...vs, realServers: [] })),
  });
});
