// SPDX-License-Identifier: Apache-2.0
/**
 * keepalived's script security as a pure rule (src/script/security.ts), from tables: paths,
 * owners, modes, sticky directories, setuid/setgid files, symbolic links, who the script runs as,
 * with the option on and off; and who a script runs as (script_user, keepalived_script, lvsd).
 */
import test from 'ava';
import {
  checkScript,
  noDefaultUserMessage,
  runAs,
  walkPath,
  type Ids,
  type ScriptVerdict,
} from '../../../src/script/security.js';
import { resolveIds } from '../../../src/script/users.js';
import {
  baseTree,
  dir,
  fakeFiles,
  file,
  groups,
  link,
  passwd,
  passwdWithDefault,
} from '../../fakes/fake-files.js';

const tree = {
  ...baseTree,
  '/etc/lvsd/ok.sh': file(0o755),
  '/etc/lvsd/w777.sh': file(0o777),
  '/etc/lvsd/g-root.sh': file(0o775, 0, 0),
  '/etc/lvsd/g-staff.sh': file(0o775, 0, 50),
  '/etc/lvsd/user.sh': file(0o755, 1000, 0),
  '/etc/lvsd/rootonly.sh': file(0o700),
  '/etc/lvsd/to-open.sh': link('/open/s.sh'),
  '/etc/lvsd/user-link.sh': link('ok.sh', 1000),
  '/etc/lvsd/rel-link.sh': link('../lvsd/ok.sh'),
  '/open': dir(0o777),
  '/open/s.sh': file(0o755),
  '/open/suid': file(0o4755),
  '/open/sgid': file(0o2755),
  '/open/suid-user': file(0o4755, 1000, 1000),
  '/open/suid-noexec': file(0o4645), // others may run it; the owner's x bit is off
  '/tmp/s.sh': file(0o755),
  '/tmp/ud': dir(0o1777, 1000, 1000),
  '/tmp/ud/s.sh': file(0o755),
  '/srv': dir(0o755),
  '/srv/staff': dir(0o2775, 0, 50),
  '/srv/staff/s.sh': file(0o755),
  '/srv/rootgrp': dir(0o775, 0, 0),
  '/srv/rootgrp/s.sh': file(0o755),
  '/loop': link('/loop'),
};

const root: Ids = { uid: 0, gid: 0 };
const nobody: Ids = { uid: 65534, gid: 65534 };
const opsRootGroup: Ids = { uid: 1000, gid: 0 };

const unsafe = (script: string, why: string): ScriptVerdict => ({
  ok: false,
  why: 'insecure',
  message: `Unsafe permissions found for script '${script}' - disabling. (${why})`,
});
const ok = (script: string): ScriptVerdict => ({ ok: true, file: script });

type Row = readonly [name: string, program: string, ids: Ids, want: ScriptVerdict];
const rows: readonly Row[] = [
  ['root-owned 0755 file in root-owned 0755 directories', '/etc/lvsd/ok.sh', root, ok('/etc/lvsd/ok.sh')],
  [
    'a 0777 script',
    '/etc/lvsd/w777.sh',
    root,
    unsafe('/etc/lvsd/w777.sh', '/etc/lvsd/w777.sh is writable by others'),
  ],
  ["group-writable by root's group passes", '/etc/lvsd/g-root.sh', root, ok('/etc/lvsd/g-root.sh')],
  [
    'group-writable by another group',
    '/etc/lvsd/g-staff.sh',
    root,
    unsafe('/etc/lvsd/g-staff.sh', '/etc/lvsd/g-staff.sh is writable by group 50'),
  ],
  [
    'owned by a user',
    '/etc/lvsd/user.sh',
    root,
    unsafe('/etc/lvsd/user.sh', '/etc/lvsd/user.sh is owned by uid 1000'),
  ],
  ['in a 0777 directory', '/open/s.sh', root, unsafe('/open/s.sh', '/open is writable by others')],
  ['in a root-owned sticky directory (/tmp) passes', '/tmp/s.sh', root, ok('/tmp/s.sh')],
  [
    'in a sticky directory owned by a user',
    '/tmp/ud/s.sh',
    root,
    unsafe('/tmp/ud/s.sh', '/tmp/ud is owned by uid 1000'),
  ],
  [
    'in a setgid directory writable by a non-root group',
    '/srv/staff/s.sh',
    root,
    unsafe('/srv/staff/s.sh', '/srv/staff is writable by group 50'),
  ],
  ["in a directory writable by root's group passes", '/srv/rootgrp/s.sh', root, ok('/srv/rootgrp/s.sh')],
  [
    'through a root-owned symlink to a 0777 directory',
    '/etc/lvsd/to-open.sh',
    root,
    unsafe('/etc/lvsd/to-open.sh', '/open is writable by others'),
  ],
  [
    'through a symlink owned by a user',
    '/etc/lvsd/user-link.sh',
    root,
    unsafe('/etc/lvsd/user-link.sh', '/etc/lvsd/user-link.sh is owned by uid 1000'),
  ],
  ['a relative symlink with ..', '/etc/lvsd/rel-link.sh', root, ok('/etc/lvsd/rel-link.sh')],
  ['merged /usr: /bin is a root symlink', '/bin/true', root, ok('/bin/true')],
  [
    '.. still passes through the directory named',
    '/open/../etc/lvsd/ok.sh',
    root,
    unsafe('/open/../etc/lvsd/ok.sh', '/open is writable by others'),
  ],
  ['relative to the working directory', 'etc/lvsd/ok.sh', root, ok('etc/lvsd/ok.sh')],
  ['a bare name is looked up in PATH', 'true', root, ok('/usr/bin/true')],
  // not root: nothing to protect, as keepalived
  ['a 0777 script run as nobody', '/etc/lvsd/w777.sh', nobody, ok('/etc/lvsd/w777.sh')],
  ['in a 0777 directory, run as nobody', '/open/s.sh', nobody, ok('/open/s.sh')],
  ['setuid root, run as nobody', '/open/suid', nobody, unsafe('/open/suid', '/open is writable by others')],
  ['setgid root, run as nobody', '/open/sgid', nobody, unsafe('/open/sgid', '/open is writable by others')],
  ['setuid to a user, run as nobody', '/open/suid-user', nobody, ok('/open/suid-user')],
  [
    "setuid bit without the owner's x bit is not setuid",
    '/open/suid-noexec',
    nobody,
    ok('/open/suid-noexec'),
  ],
  [
    'a user whose group is root (gid 0)',
    '/open/s.sh',
    opsRootGroup,
    unsafe('/open/s.sh', '/open is writable by others'),
  ],
  // found, typed and executable, whatever the option
  [
    'not executable by its user',
    '/etc/lvsd/rootonly.sh',
    nobody,
    {
      ok: false,
      why: 'not-executable',
      message:
        "WARNING - script '/etc/lvsd/rootonly.sh' is not executable for uid:gid 65534:65534 - disabling.",
    },
  ],
  [
    'missing',
    '/etc/lvsd/none.sh',
    root,
    {
      ok: false,
      why: 'not-found',
      message: 'Script /etc/lvsd/none.sh cannot be accessed - No such file or directory',
    },
  ],
  [
    'a file used as a directory',
    '/etc/lvsd/ok.sh/x',
    root,
    { ok: false, why: 'not-found', message: 'Script /etc/lvsd/ok.sh/x cannot be accessed - Not a directory' },
  ],
  [
    'a symlink loop',
    '/loop',
    root,
    {
      ok: false,
      why: 'not-found',
      message: 'Script /loop cannot be accessed - Too many levels of symbolic links',
    },
  ],
  [
    'a directory',
    '/etc/lvsd',
    root,
    { ok: false, why: 'wrong-type', message: "Wrong file type found in script path '/etc/lvsd'." },
  ],
  [
    'a bare name nowhere in PATH',
    'lvsd-nosuch',
    root,
    { ok: false, why: 'not-found', message: 'Cannot find script lvsd-nosuch in path - disabling' },
  ],
];

for (const [name, program, ids, want] of rows) {
  test(`script security: ${name}`, (t) => {
    const check = { program, ids, secure: true, path: '/usr/local/bin:/usr/bin:/bin', cwd: '/' };
    t.deepEqual(checkScript(check, fakeFiles(tree)), want);
  });
}

test("without enable_script_security an unsafe script runs, with keepalived's message to warn", (t) => {
  const check = { program: '/open/s.sh', ids: root, secure: false, path: '/usr/bin', cwd: '/' };
  t.deepEqual(checkScript(check, fakeFiles(tree)), {
    ok: true,
    file: '/open/s.sh',
    unsafe: "Unsafe permissions found for script '/open/s.sh'. (/open is writable by others)",
  });
  // what the option would refuse for other reasons than safety is refused either way
  const missing = { ...check, program: '/etc/lvsd/none.sh' };
  t.like(checkScript(missing, fakeFiles(tree)), { ok: false, why: 'not-found' });
});

test('a PATH entry that is not executable by the user is a permissions failure', (t) => {
  const check = { program: 'rootonly.sh', ids: nobody, secure: true, path: '/etc/lvsd', cwd: '/' };
  t.deepEqual(checkScript(check, fakeFiles(tree)), {
    ok: false,
    why: 'not-found',
    message: 'Permissions failure for script rootonly.sh in path - disabling',
  });
});

test('the walk visits every node the kernel passes, links and their targets', (t) => {
  const w = walkPath('/bin/true', '/', fakeFiles(tree));
  if (!w.ok) return t.fail(w.code);
  t.deepEqual(
    w.visits.map((v) => v.path),
    ['/', '/bin', '/usr', '/usr/bin', '/usr/bin/true'],
  );
  const rel = walkPath('/etc/lvsd/rel-link.sh', '/', fakeFiles(tree));
  if (!rel.ok) return t.fail(rel.code);
  t.deepEqual(
    rel.visits.map((v) => v.path),
    ['/', '/etc', '/etc/lvsd', '/etc/lvsd/rel-link.sh', '/etc/lvsd', '/etc/lvsd/ok.sh'],
  );
});

const lookupIn = (text: string) => (user: string, group?: string) => resolveIds(text, groups, user, group);
const self = { uid: 4242, gid: 4242 };

test('who runs a script: its user, else script_user, else keepalived_script, else lvsd', (t) => {
  const base = { secure: false, lookup: lookupIn(passwd), self };
  t.deepEqual(runAs('/x', { user: 'nobody' }, base), { ok: true, uid: 65534, gid: 65534 });
  t.deepEqual(runAs('/x', { user: 'nobody', group: 'root' }, base), { ok: true, uid: 65534, gid: 0 });
  t.deepEqual(runAs('/x', {}, { ...base, scriptUser: { user: 'ops' } }), { ok: true, uid: 1000, gid: 0 });
  // its own user wins over script_user
  t.deepEqual(runAs('/x', { user: 'nobody' }, { ...base, scriptUser: { user: 'ops' } }), {
    ok: true,
    uid: 65534,
    gid: 65534,
  });
  t.deepEqual(runAs('/x', {}, { ...base, lookup: lookupIn(passwdWithDefault) }), {
    ok: true,
    uid: 998,
    gid: 998,
  });
  t.deepEqual(runAs('/x', {}, base), { ok: true, ...self });
  t.deepEqual(runAs('/x', { user: 'nosuch' }, base), {
    ok: false,
    reason: 'no such user nosuch',
    refused: false,
  });
});

test('with enable_script_security and no user to run as, the script is refused, never run as root', (t) => {
  const o = { secure: true, lookup: lookupIn(passwd), self: { uid: 0, gid: 0 } };
  t.deepEqual(runAs('/etc/lvsd/ok.sh', {}, o), {
    ok: false,
    refused: true,
    reason: noDefaultUserMessage('/etc/lvsd/ok.sh', 'no such user keepalived_script'),
  });
  t.regex(
    noDefaultUserMessage('/p', 'no such user keepalived_script'),
    /^Unable to set default user keepalived_script for script \/p - ignoring/,
  );
  // the fall-backs that are not root's still apply
  t.deepEqual(runAs('/x', {}, { ...o, scriptUser: { user: 'nobody' } }), {
    ok: true,
    uid: 65534,
    gid: 65534,
  });
  t.deepEqual(runAs('/x', {}, { ...o, lookup: lookupIn(passwdWithDefault) }), {
    ok: true,
    uid: 998,
    gid: 998,
  });
  // a script given root explicitly is root's choice: the path rule protects it
  t.deepEqual(runAs('/x', { user: 'root' }, o), { ok: true, uid: 0, gid: 0 });
});
