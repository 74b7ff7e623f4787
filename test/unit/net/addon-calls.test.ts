// SPDX-License-Identifier: Apache-2.0
// The native addon is checked for every call lvsd makes when it loads (net/raw-socket.io.ts
// `missingAddonCalls`): the addon this checkout built has them all; an older one is named by what it lacks.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { missingAddonCalls, native } from '../../../src/net/raw-socket.io.js';

const built = fileURLToPath(new URL('../../../../build/Release/lvsd_net.node', import.meta.url));

test('the built addon has every call, and native() loads it', (t) => {
  const addon = createRequire(import.meta.url)(built) as object;
  t.deepEqual(missingAddonCalls(addon), []);
  t.is(typeof native().mallocTrim, 'function');
});

test('an addon from older sources is named by the calls it lacks', (t) => {
  const real = createRequire(import.meta.url)(built) as Record<string, unknown>;
  // the addon's properties are not enumerable (napi_default): copied by name
  const addon = Object.fromEntries(Object.getOwnPropertyNames(real).map((k) => [k, real[k]]));
  delete addon['mallocTrim'];
  addon['spawnScript'] = 42; // present but not a function
  t.deepEqual(missingAddonCalls(addon), ['mallocTrim', 'spawnScript']);
});
