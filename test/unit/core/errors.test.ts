// SPDX-License-Identifier: Apache-2.0
import test from 'ava';
import { readFileSync } from 'node:fs';
import { ErrorCodes, LvsdError, NetlinkError, isLvsdError } from '../../../src/core/errors.js';

test('every error code is documented in docs/errors.md, and nothing else is', (t) => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\| `(LVSD_E_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  t.deepEqual([...documented].sort(), Object.keys(ErrorCodes).sort());
});

test('LvsdError keeps code, name and cause', (t) => {
  const cause = new Error('inner');
  const e = new LvsdError('LVSD_E_CONFIG_IO', 'cannot read', { cause });
  t.is(e.code, 'LVSD_E_CONFIG_IO');
  t.is(e.name, 'LvsdError');
  t.is(e.cause, cause);
  t.true(isLvsdError(e, 'LVSD_E_CONFIG_IO'));
  t.false(isLvsdError(e, 'LVSD_E_NETLINK'));
});

test('NetlinkError carries errno and operation as data', (t) => {
  const e = new NetlinkError({
    errno: 'EEXIST',
    op: 'IPVS_CMD_NEW_SERVICE',
    target: 'TCP 10.0.0.1:80',
    message: 'exists',
  });
  t.is(e.errno, 'EEXIST');
  t.is(e.op, 'IPVS_CMD_NEW_SERVICE');
  t.is(e.code, 'LVSD_E_NETLINK');
  t.true(e instanceof LvsdError);
});
