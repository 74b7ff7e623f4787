// SPDX-License-Identifier: Apache-2.0
/** The one user/group resolver (pure) and its cached reader of this machine's files. */
import test from 'ava';
import { resolveIds } from '../../../src/script/users.js';
import { lookupIds } from '../../../src/script/users.io.js';

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'web:x:1001:1500::/home/web:/bin/sh',
  // a user whose name is a number: the name wins over the uid it spells
  '2000:x:3000:3100::/home/n:/bin/sh',
  '',
].join('\n');
const groups = ['root:x:0:', 'www:x:1500:', 'ops:x:1600:web', '7:x:1700:', ''].join('\n');

const rows: ReadonlyArray<readonly [name: string, user: string, group: string | undefined, want: unknown]> = [
  ['user by name: its primary group', 'web', undefined, { ok: true, uid: 1001, gid: 1500 }],
  ['user and group by name', 'web', 'ops', { ok: true, uid: 1001, gid: 1600 }],
  ['numeric user with a numeric group', '1001', '99', { ok: true, uid: 1001, gid: 99 }],
  [
    'numeric user without a group: primary group of its passwd line',
    '1001',
    undefined,
    { ok: true, uid: 1001, gid: 1500 },
  ],
  ['numeric user with a group by name', '1001', 'ops', { ok: true, uid: 1001, gid: 1600 }],
  ['numeric user without a passwd line, with a group', '4242', '4243', { ok: true, uid: 4242, gid: 4243 }],
  [
    'numeric user without a passwd line and no group: refused, never gid = uid',
    '4242',
    undefined,
    { ok: false, reason: 'user 4242 has no /etc/passwd entry, so no primary group: name a group' },
  ],
  ['a name that is a number is a name first', '2000', undefined, { ok: true, uid: 3000, gid: 3100 }],
  ['a group name that is a number is a name first', 'web', '7', { ok: true, uid: 1001, gid: 1700 }],
  ['root', 'root', undefined, { ok: true, uid: 0, gid: 0 }],
  ['unknown user', 'nosuch', undefined, { ok: false, reason: 'no such user nosuch' }],
  ['unknown user with a group', 'nosuch', 'ops', { ok: false, reason: 'no such user nosuch' }],
  ['unknown group', 'web', 'nosuch', { ok: false, reason: 'no such group nosuch' }],
  ['(uid_t)-1 is not an id', '4294967295', '1', { ok: false, reason: 'no such user 4294967295' }],
  ['empty user', '', undefined, { ok: false, reason: 'no such user ' }],
];

for (const [name, user, group, want] of rows) {
  test(`resolveIds: ${name}`, (t) => {
    t.deepEqual(resolveIds(passwd, groups, user, group), want);
  });
}

test('lookupIds reads this machine`s files: root, a number with a group, an unknown user', (t) => {
  t.deepEqual(lookupIds('root'), { ok: true, uid: 0, gid: 0 });
  t.deepEqual(lookupIds('0'), { ok: true, uid: 0, gid: 0 });
  t.deepEqual(lookupIds('1234', '99'), { ok: true, uid: 1234, gid: 99 });
  t.deepEqual(lookupIds('no-such-user-lvsd'), { ok: false, reason: 'no such user no-such-user-lvsd' });
});
