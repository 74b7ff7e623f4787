// SPDX-License-Identifier: Apache-2.0
// Host checks: a valid config whose scripts are missing on this machine gives located errors, a
// missing interface a located warning (the engine waits for it). Uses the real machine probe
// (/sys/class/net, the file system), no root needed.
import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEnvironment } from '../../../src/config/environment.js';
import { hostProbe } from '../../../src/config/host.io.js';
import { formatDiagnostic, machineProbe, parseConfigText } from '../../../src/config/load.io.js';

test('missing scripts are located errors, missing interfaces warnings; present ones pass', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-env-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ok = join(dir, 'ok.sh');
  const noexec = join(dir, 'noexec.sh');
  writeFileSync(ok, '#!/bin/sh\nexit 0\n');
  chmodSync(ok, 0o755);
  writeFileSync(noexec, '#!/bin/sh\n');
  chmodSync(noexec, 0o644);
  const text = [
    'vrrp_script good {',
    `  script "${ok} arg"`,
    '}',
    'vrrp_script bad {',
    `  script "${noexec}"`,
    '}',
    'vrrp_instance V {',
    '  interface lo',
    '  virtual_router_id 1',
    '  virtual_ipaddress {',
    '    127.0.0.99/32 dev lvsdnoif0',
    '  }',
    '  track_interface {',
    '    lo',
    '  }',
    '  notify_master "true"',
    `  notify_backup "${dir}/missing.sh"`,
    '}',
    'virtual_server 127.0.0.1 80 {',
    '  real_server 127.0.0.2 80 {',
    '    MISC_CHECK {',
    '      misc_path "lvsd-no-such-program --x"',
    '    }',
    '    TCP_CHECK {',
    '      bind_if lvsdnoif1',
    '    }',
    '  }',
    '}',
  ].join('\n');
  const r = parseConfigText(text, 'env.conf', { env: {} });
  t.deepEqual(r.diagnostics, []);
  if (!r.model) return t.fail();
  const found = checkEnvironment(r.model, hostProbe({ PATH: '/usr/bin:/bin' })).map(formatDiagnostic);
  t.deepEqual(found, [
    // the scripts that can run run without enable_script_security: keepalived's warning, once
    'env.conf:2:10: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
    `env.conf:5:10: error: vrrp_script \`bad\`: cannot run ${noexec}: not executable`,
    'env.conf:11:5: warning: vrrp_instance `V` address 127.0.0.99: interface lvsdnoif0 does not exist on this machine (the instance waits for it)',
    `env.conf:17:17: error: vrrp_instance \`V\` notify_backup: cannot run ${dir}/missing.sh: no such file`,
    'env.conf:22:17: error: MISC_CHECK misc_path: cannot run lvsd-no-such-program: no such file (searched PATH)',
    // at the keyword, not at the checker
    'env.conf:25:7: warning: TCP_CHECK bind_if: interface lvsdnoif1 does not exist on this machine (its probes fail until it exists)',
  ]);
});

test('interface names cannot escape /sys/class/net', (t) => {
  const p = machineProbe();
  t.true(p.interfaceExists('lo'));
  t.false(p.interfaceExists('../net/lo'));
  t.false(p.interfaceExists('..'));
});

test('a virtual server checked again (the same object, kept by a reload) is checked on the machine as it is now', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-env-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'up.sh');
  const text = [
    'virtual_server 127.0.0.1 80 {',
    '  real_server 127.0.0.2 80 {',
    `    notify_up "${script}"`,
    '    TCP_CHECK {',
    '      bind_if lvsdnoif2',
    '    }',
    '  }',
    '}',
  ].join('\n');
  const r = parseConfigText(text, 'again.conf', { env: {} });
  if (!r.model) return t.fail(JSON.stringify(r.diagnostics));
  const model = r.model;
  const base = hostProbe({ PATH: '/usr/bin:/bin' });
  const check = (ifaceExists: boolean): string[] =>
    checkEnvironment(model, { ...base, interfaceExists: (n) => ifaceExists || base.interfaceExists(n) }).map(
      formatDiagnostic,
    );
  const before = check(false);
  t.true(before.some((d) => d.includes(`cannot run ${script}: no such file`)));
  t.true(before.some((d) => d.includes('interface lvsdnoif2 does not exist')));
  // the script made and the interface come since: the same virtual server object, no finding left
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  const after = check(true);
  t.false(
    after.some((d) => d.includes('cannot run') || d.includes('does not exist')),
    after.join('\n'),
  );
  // and gone again
  rmSync(script);
  t.deepEqual(check(false), before);
});
