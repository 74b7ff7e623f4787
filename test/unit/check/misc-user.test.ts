// SPDX-License-Identifier: Apache-2.0
/**
 * MISC_CHECK `user USER [GROUP]` and global `script_user`: config -> CheckerSpec -> a real script
 * that writes its `id -u`/`id -g`. As root (CI) the script runs as `nobody`/`daemon`; not as root,
 * switching user must fail with EPERM (asserted instead). Unknown users are located errors at start.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { checkSpecFromModel } from '../../../src/check/from-model.js';
import { miscProbe } from '../../../src/check/misc.io.js';
import { checkEnvironment } from '../../../src/config/environment.js';
import { hostProbe } from '../../../src/config/host.io.js';
import { formatDiagnostic, parseConfigText } from '../../../src/config/load.io.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import { lookupIds } from '../../../src/script/users.io.js';

/** Root can run scripts as anyone; others only as themselves (else EPERM). */
function canBecome(ids: { uid: number; gid: number }): boolean {
  return process.getuid?.() === 0 || (process.getuid?.() === ids.uid && process.getgid?.() === ids.gid);
}

function scratch(t: { teardown(fn: () => void): void }): { dir: string; script: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-misc-user-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o777); // the script writes here as another user
  const script = join(dir, 'whoami.sh');
  writeFileSync(script, '#!/bin/sh\necho "$(id -u) $(id -g)" > "$1"\n');
  chmodSync(script, 0o755);
  return { dir, script };
}

function configText(script: string, out: string, misc: string, global = ''): string {
  return (
    `global_defs {\n${global}\n}\nvirtual_server 10.1.1.1 80 {\n  real_server 10.1.1.2 80 {\n` +
    `    MISC_CHECK {\n      misc_path "${script} ${out}"\n${misc}\n    }\n  }\n}\n`
  );
}

/** The misc checker of a config (user/group as mapped from the Model). */
function miscOf(text: string) {
  const { model, diagnostics } = parseConfigText(text, 'misc.conf', { env: {} });
  if (!model) throw new Error(diagnostics.map(formatDiagnostic).join('; '));
  const c = checkSpecFromModel(model).virtualServers[0]?.reals[0]?.checkers[0];
  if (c?.kind !== 'misc') throw new Error('no MISC checker');
  return { model, c };
}

const runner = new ScriptRunner();

function runOf(c: ReturnType<typeof miscOf>['c']) {
  return miscProbe({ ...c, timeoutMs: 5000, dynamic: false }, runner)();
}

const nobody = lookupIds('nobody');
const daemon = lookupIds('daemon', 'nogroup');

test('MISC_CHECK user runs the script with that uid and the user login gid', async (t) => {
  if (!nobody.ok) return t.fail('this machine has no nobody user');
  const { dir, script } = scratch(t);
  const out = join(dir, 'ids');
  const { c } = miscOf(configText(script, out, '      user nobody'));
  t.is(c.user, 'nobody');
  const r = await runOf(c);
  if (canBecome(nobody)) {
    t.deepEqual(r, { ok: true });
    t.is(readFileSync(out, 'utf8'), `${nobody.uid} ${nobody.gid}\n`);
  } else {
    // Needs root to switch users; anything else must not run the script as ourselves.
    t.deepEqual(r, { ok: false, reason: 'EPERM' });
  }
});

test('MISC_CHECK user USER GROUP sets the gid; global script_user is the default', async (t) => {
  if (!daemon.ok || !nobody.ok) return t.fail('this machine has no daemon/nobody user');
  const { dir, script } = scratch(t);
  const out = join(dir, 'ids');
  const own = miscOf(configText(script, out, '      user daemon nogroup', '  script_user nobody'));
  t.like(own.c, { user: 'daemon', group: 'nogroup' });
  const dflt = miscOf(configText(script, out, '', '  script_user daemon nogroup'));
  t.like(dflt.c, { user: 'daemon', group: 'nogroup' });
  for (const { c } of [own, dflt]) {
    rmSync(out, { force: true });
    const r = await runOf(c);
    if (canBecome(daemon)) {
      t.deepEqual(r, { ok: true });
      t.is(readFileSync(out, 'utf8'), `${daemon.uid} ${daemon.gid}\n`);
    } else t.deepEqual(r, { ok: false, reason: 'EPERM' });
  }
  // No user anywhere: runs as lvsd itself.
  rmSync(out, { force: true });
  const self = miscOf(configText(script, out, ''));
  t.is(self.c.user, undefined);
  t.deepEqual(await runOf(self.c), { ok: true });
  t.is(readFileSync(out, 'utf8'), `${process.getuid?.()} ${process.getgid?.()}\n`);
});

test('unknown user or group: located error at start, failing probe if run anyway', async (t) => {
  const { dir, script } = scratch(t);
  const out = join(dir, 'ids');
  const bad = miscOf(configText(script, out, '      user lvsd-no-such-user'));
  t.deepEqual(checkEnvironment(bad.model, hostProbe()).map(formatDiagnostic), [
    `misc.conf:7:17: error: MISC_CHECK misc_path: cannot run ${script} as lvsd-no-such-user: no such user lvsd-no-such-user`,
  ]);
  t.deepEqual(await runOf(bad.c), { ok: false, reason: 'no such user lvsd-no-such-user' });
  const badGroup = miscOf(configText(script, out, '', '  script_user nobody lvsd-no-such-group'));
  t.deepEqual(checkEnvironment(badGroup.model, hostProbe()).map(formatDiagnostic), [
    `misc.conf:7:17: error: MISC_CHECK misc_path: cannot run ${script} as nobody (script_user): no such group lvsd-no-such-group`,
  ]);
  t.deepEqual(await runOf(badGroup.c), { ok: false, reason: 'no such group lvsd-no-such-group' });
  const good = miscOf(configText(script, out, '      user nobody'));
  // Runs as nobody: keepalived's script-security summary only (the option is off)
  t.deepEqual(checkEnvironment(good.model, hostProbe()).map(formatDiagnostic), [
    'misc.conf:7:17: warning: SECURITY VIOLATION - check scripts are being executed but script_security not enabled.',
  ]);
});

test('notify_up / quorum_up scripts run as their USER [GROUP], else script_user', async (t) => {
  if (!daemon.ok || !nobody.ok) return t.fail('this machine has no daemon/nobody user');
  const { dir, script } = scratch(t);
  const text =
    `global_defs {\n  script_user nobody\n}\nvirtual_server 10.1.1.1 80 {\n` +
    `  quorum_up "${script} ${dir}/q"\n` +
    `  real_server 10.1.1.2 80 {\n    notify_up "${script} ${dir}/up" daemon nogroup\n    TCP_CHECK {\n    }\n  }\n}\n`;
  const { model, diagnostics } = parseConfigText(text, 'n.conf', { env: {} });
  if (!model) return t.fail(diagnostics.map(formatDiagnostic).join('; '));
  const vs = checkSpecFromModel(model).virtualServers[0];
  const up = vs?.reals[0]?.notifyUp;
  const q = vs?.quorumUp;
  t.deepEqual(up, { argv: [script, `${dir}/up`], user: 'daemon', group: 'nogroup' });
  t.deepEqual(q, { argv: [script, `${dir}/q`], user: 'nobody' });
  if (!up || !q) return;
  for (const [cmd, ids, out] of [
    [up, daemon, `${dir}/up`],
    [q, nobody, `${dir}/q`],
  ] as const) {
    const o = await runner.run(cmd, { timeoutMs: 5000 });
    if (canBecome(ids)) {
      t.deepEqual(o, { kind: 'exit', code: 0 });
      t.is(readFileSync(out, 'utf8'), `${ids.uid} ${ids.gid}\n`);
    } else t.deepEqual(o, { kind: 'error', error: 'EPERM' });
  }
  t.deepEqual(
    await runner.run({ argv: [script, `${dir}/x`], user: 'lvsd-no-such-user' }, { timeoutMs: 5000 }),
    {
      kind: 'error',
      error: 'no such user lvsd-no-such-user',
    },
  );
});
