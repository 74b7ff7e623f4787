// SPDX-License-Identifier: Apache-2.0
// The version constant is package.json's (npm run package names the .deb after package.json).
import { readFileSync } from 'node:fs';
import test from 'ava';
import { LVSD_VERSION } from '../../../src/core/version.js';

test('LVSD_VERSION is package.json version', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  t.is(LVSD_VERSION, pkg.version);
});
