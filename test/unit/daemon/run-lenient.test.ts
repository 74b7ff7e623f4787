// SPDX-License-Identifier: Apache-2.0
// `lvsd run --lenient` means what `check-config --lenient` means (keepalived keywords lvsd does not
// implement are warnings and ignored; unknown keywords stay errors), at start and in the reload
// validation, which is built from the same options (validationOf) and runs check-config in a child.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { validationOf } from '../../../src/daemon/run-config.js';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lvsd-lenient-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const instance =
  'vrrp_instance VI {\n interface lo\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n';
/** enable_snmp_vrrp: a keepalived keyword lvsd lacks (it has no SNMP agent); routr_id: a typo, an error in every mode. */
const withTypo = join(dir, 'typo.conf');
writeFileSync(withTypo, `global_defs {\n  enable_snmp_vrrp\n  routr_id x\n}\n${instance}`);
const stock = join(dir, 'stock.conf');
writeFileSync(stock, `global_defs {\n  enable_snmp_vrrp\n}\n${instance}`);

async function lvsdRun(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(bin, ['run', ...args, '--run-dir', join(dir, 'run')]);
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

test('lvsd run --lenient: an unsupported keepalived keyword is a located warning; an unknown one still refuses the file', async (t) => {
  const lenient = await lvsdRun(['--lenient', '-f', withTypo]);
  t.is(lenient.code, 1);
  t.regex(
    lenient.stderr,
    /typo\.conf:2:3: warning: `enable_snmp_vrrp` is a keepalived keyword that lvsd does not support \(ignored\)/,
  );
  t.regex(lenient.stderr, /typo\.conf:3:3: error: unknown keyword `routr_id`/);
  const strict = await lvsdRun(['-f', withTypo]);
  t.is(strict.code, 1);
  t.regex(
    strict.stderr,
    /typo\.conf:2:3: error: `enable_snmp_vrrp` is a keepalived keyword that lvsd does not support\n/,
  );
});

test('the reload validation takes the run mode: --lenient accepts the stock file, strict refuses it', async (t) => {
  const opts = { configFile: stock, configId: 'lvs1', io: { stderr: () => {} } };
  t.deepEqual(validationOf({ ...opts, lenient: true }), {
    configFile: stock,
    configId: 'lvs1',
    lenient: true,
  });
  t.is(validationOf(opts, '/other.conf').lenient, false);
  const lenient = await validateConfigInChild(validationOf({ ...opts, lenient: true }));
  t.truthy(lenient.model);
  t.true(lenient.diagnostics.some((d) => d.severity === 'warning' && d.keyword === 'enable_snmp_vrrp'));
  const strict = await validateConfigInChild(validationOf(opts));
  t.is(strict.model, undefined);
  t.true(strict.diagnostics.some((d) => d.severity === 'error' && d.keyword === 'enable_snmp_vrrp'));
});
