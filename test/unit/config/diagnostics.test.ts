// SPDX-License-Identifier: Apache-2.0
// How diagnostics print: located findings as file:line:col, an unreadable file (no position in it)
// as file: alone, which is also what makes `lvsd check-config` exit 2 instead of 1.
import test from 'ava';
import { formatDiagnostic, isUnreadableFile, unreadableFile } from '../../../src/config/diagnostics.js';
import { loadConfig } from '../../../src/config/load.io.js';

test('an unreadable file has no position and prints as file: error: cannot read ...', (t) => {
  const d = unreadableFile('/etc/lvsd/lvsd.conf', 'configuration', 'permission denied');
  t.like(d, { severity: 'error', code: 'LVSD_E_CONFIG_IO', line: 0, col: 0 });
  t.is(formatDiagnostic(d), '/etc/lvsd/lvsd.conf: error: cannot read configuration: permission denied');
  t.true(isUnreadableFile(d));
});

test('a located finding prints as file:line:col and is not an unreadable file', (t) => {
  const d = {
    severity: 'warning' as const,
    code: 'LVSD_E_CONFIG_IO' as const,
    message: 'cannot read included file x.conf: no such file',
    file: 'a.conf',
    line: 2,
    col: 9,
  };
  t.is(formatDiagnostic(d), 'a.conf:2:9: warning: cannot read included file x.conf: no such file');
  t.false(isUnreadableFile(d));
});

test('loadConfig reports a missing file as an unreadable file', async (t) => {
  const r = await loadConfig('/nonexistent/lvsd.conf', { configId: 'lvs1', env: {} });
  t.is(r.model, undefined);
  t.deepEqual(r.diagnostics, [unreadableFile('/nonexistent/lvsd.conf', 'configuration', 'no such file')]);
});
