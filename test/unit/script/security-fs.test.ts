// SPDX-License-Identifier: Apache-2.0
/**
 * `enable_script_security` on the real file system, through the host checks (`hostDiagnostics`)
 * and the runner's check before each start: a 0777 script and a script in a 0777 directory that
 * would run as root are refused with keepalived's message, at their file:line:col; a safe script
 * runs as the configured user (`nobody`) with the minimal environment (it writes `id` and the
 * environment it was given to a file); a script made unsafe after start is refused at its next run.
 *
 * CI runs the unit layer as root, which this needs to own files as root and switch to nobody. Not
 * as root, the same files are the test user's, so a run as root is refused for their owner, the
 * runner cannot switch to nobody (EPERM, asserted), and the environment is read from a run as the
 * test user instead.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { hostDiagnostics } from '../../../src/config/host.io.js';
import { formatDiagnostic, parseConfigText } from '../../../src/config/load.io.js';
import { withDefaultUser } from '../../../src/script/command.js';
import { DEFAULT_SCRIPT_PATH } from '../../../src/script/env.js';
import { ScriptRunner } from '../../../src/script/runner.io.js';
import { lookupIds } from '../../../src/script/users.io.js';

const isRoot = process.getuid?.() === 0;
const nobody = lookupIds('nobody');

/** id, then the environment exactly as exec'd (the shell adds PWD to its own `env`). */
const REPORT = '#!/bin/sh\nid > "$1"\ntr "\\0" "\\n" < /proc/$$/environ >> "$1"\n';

interface Tree {
  base: string;
  out: string;
  safe: string;
  w777: string;
  inOpen: string;
}

function tree(t: { teardown(fn: () => void): void }): Tree {
  const base = mkdtempSync(join(tmpdir(), 'lvsd-script-security-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  chmodSync(base, 0o755); // nobody must reach the safe script
  const out = join(base, 'out');
  mkdirSync(out);
  chmodSync(out, 0o777); // where scripts write, never on a script's path
  mkdirSync(join(base, 'safe'), { mode: 0o755 });
  mkdirSync(join(base, 'open'));
  chmodSync(join(base, 'open'), 0o777);
  const write = (path: string, mode: number): string => {
    writeFileSync(path, REPORT);
    chmodSync(path, mode);
    return path;
  };
  return {
    base,
    out,
    safe: write(join(base, 'safe', 'safe.sh'), 0o755),
    w777: write(join(base, 'safe', 'w777.sh'), 0o777),
    inOpen: write(join(base, 'open', 'in-open.sh'), 0o755),
  };
}

/** The config: script_user nobody; the unsafe scripts given root explicitly (the only way to root). */
function configOf(f: Tree): string {
  return [
    'global_defs {',
    '  enable_script_security',
    '  script_user nobody',
    '}',
    'vrrp_script w777 {',
    `  script "${f.w777} ${f.out}/w777"`,
    '  user root',
    '}',
    'vrrp_script open {',
    `  script "${f.inOpen} ${f.out}/open"`,
    '  user root',
    '}',
    'vrrp_script safe {',
    `  script "${f.safe} ${f.out}/safe"`,
    '}',
    'vrrp_script safe_root {',
    `  script "${f.safe} ${f.out}/safe-root"`,
    '  user root',
    '}',
    '',
  ].join('\n');
}

function modelOf(f: Tree) {
  const r = parseConfigText(configOf(f), 'sec.conf', { env: {} });
  if (!r.model) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.model;
}

test('host checks refuse a 0777 script and a script in a 0777 directory run as root, located', (t) => {
  const f = tree(t);
  const found = hostDiagnostics(modelOf(f), { PATH: DEFAULT_SCRIPT_PATH }).map(formatDiagnostic);
  // as root the first unsafe node is the one the test made unsafe; otherwise the test user's base
  const mine = `${f.base} is owned by uid ${process.getuid?.()}`;
  const w777Why = isRoot ? `${f.w777} is writable by others` : mine;
  const openWhy = isRoot ? `${join(f.base, 'open')} is writable by others` : mine;
  t.deepEqual(found, [
    `sec.conf:6:10: error: vrrp_script \`w777\`: Unsafe permissions found for script '${f.w777}' - disabling. (${w777Why})`,
    `sec.conf:10:10: error: vrrp_script \`open\`: Unsafe permissions found for script '${f.inOpen}' - disabling. (${openWhy})`,
    ...(isRoot
      ? []
      : [
          `sec.conf:17:10: error: vrrp_script \`safe_root\`: Unsafe permissions found for script '${f.safe}' - disabling. (${mine})`,
        ]),
  ]);
});

test('the runner refuses them too, and runs the safe one as nobody with the minimal environment', async (t) => {
  if (!nobody.ok) return t.fail('this machine has no nobody user');
  const f = tree(t);
  const model = modelOf(f);
  const runner = new ScriptRunner({
    scriptSecurity: true,
    env: { PATH: DEFAULT_SCRIPT_PATH },
    // not root: pretend lvsd is, so that a script with no user would run as root and be checked
    ...(isRoot ? {} : { self: { uid: 0, gid: 0 } }),
  });
  const run = (name: string) => {
    const s = model.vrrpScripts.find((v) => v.name === name);
    if (!s) throw new Error(`no vrrp_script ${name}`);
    return runner.run(withDefaultUser(s.script, model.global.scriptUser), { timeoutMs: 10_000 });
  };
  for (const [name, script] of [
    ['w777', f.w777],
    ['open', f.inOpen],
  ] as const) {
    const o = await run(name);
    t.like(o, { kind: 'error', refused: true });
    t.true(
      o.kind === 'error' &&
        o.error.startsWith(`Unsafe permissions found for script '${script}' - disabling.`),
      JSON.stringify(o),
    );
    t.false(existsSync(join(f.out, name)), `${name} must not have run`);
  }
  const safe = await run('safe');
  if (!isRoot && process.getuid?.() !== nobody.uid) {
    // only root switches users: a script meant for nobody is not started
    t.deepEqual(safe, { kind: 'error', error: 'EPERM' });
    return;
  }
  t.deepEqual(safe, { kind: 'exit', code: 0 });
  const [id = '', ...env] = readFileSync(join(f.out, 'safe'), 'utf8').trim().split('\n');
  // nobody's uid and primary group, and no supplementary group of lvsd's
  t.regex(
    id,
    new RegExp(`^uid=${nobody.uid}\\(nobody\\) gid=${nobody.gid}\\(\\w+\\) groups=${nobody.gid}\\(\\w+\\)$`),
  );
  t.deepEqual(env, [`PATH=${DEFAULT_SCRIPT_PATH}`]);
});

test('a script made unsafe after start is refused at its next run as root', async (t) => {
  const f = tree(t);
  const runner = new ScriptRunner({ scriptSecurity: true, env: { PATH: DEFAULT_SCRIPT_PATH } });
  const out = join(f.out, 'again');
  // As root: root's own safe script. Not root: a run as the test user is not protected (not root).
  const cmd = { argv: [f.safe, out], user: isRoot ? 'root' : String(process.getuid?.()) };
  t.deepEqual(await runner.run(cmd, { timeoutMs: 10_000 }), { kind: 'exit', code: 0 });
  const [id = '', ...env] = readFileSync(out, 'utf8').trim().split('\n');
  t.regex(id, new RegExp(`^uid=${process.getuid?.()}\\(`));
  t.deepEqual(env, [`PATH=${DEFAULT_SCRIPT_PATH}`]);
  rmSync(out);
  chmodSync(join(f.base, 'safe'), 0o777); // the directory is opened to everyone while lvsd runs
  const again = await runner.run(cmd, { timeoutMs: 10_000 });
  if (isRoot) {
    t.like(again, { kind: 'error', refused: true });
    t.false(existsSync(out));
  } else {
    // not root: nothing to protect, so it runs (keepalived protects root runs only)
    t.deepEqual(again, { kind: 'exit', code: 0 });
  }
  // switching the option off at run time (a reload) runs it again
  runner.scriptSecurity = false;
  t.deepEqual(await runner.run(cmd, { timeoutMs: 10_000 }), { kind: 'exit', code: 0 });
});
