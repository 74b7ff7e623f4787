// SPDX-License-Identifier: Apache-2.0
// The reload validator's heap follows the loading limits: a file that `lvsd check-config` accepts
// (Node's own heap, sized from the machine) is not refused on reload because the child ran out of
// memory; a child that does run out says so. The large case parses 3.1 million words in a child (~5 s,
// ~1 GB); any user.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLimits, loadHeapMb } from '../../../src/config/limits.js';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';

test('loadHeapMb: 512 MB with the default limits, and more for every raised one', (t) => {
  t.is(loadHeapMb(defaultLimits), 512);
  const tokens = loadHeapMb({ ...defaultLimits, maxTokens: 3_500_000 });
  const both = loadHeapMb({ ...defaultLimits, maxTokens: 3_500_000, maxBytes: 256 * 1024 * 1024 });
  t.true(tokens > 1_000 && both > tokens, `${tokens} ${both}`);
});

/** `services` × 10 reals with a TCP_CHECK each: 19.6 words a real. */
function largeConfig(services: number): string {
  const out: string[] = [];
  for (let i = 0; i < services; i++) {
    out.push(
      `virtual_server 10.${(i >> 8) & 255}.${i & 255}.1 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`,
    );
    for (let j = 0; j < 10; j++)
      out.push(
        `  real_server 192.168.${j}.${(i % 250) + 1} 8080 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }`,
      );
    out.push('}');
  }
  return out.join('\n') + '\n';
}

test.serial('a file within raised limits (3.1 million words) is validated by the reload child', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-validator-heap-'));
  const before = process.env.LVSD_CONFIG_MAX_TOKENS;
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    if (before === undefined) delete process.env.LVSD_CONFIG_MAX_TOKENS;
    else process.env.LVSD_CONFIG_MAX_TOKENS = before;
  });
  const file = join(dir, 'lvsd.conf');
  writeFileSync(file, largeConfig(16_000));
  // as an operator raises it for the daemon (its child inherits the environment)
  process.env.LVSD_CONFIG_MAX_TOKENS = '3500000';
  const r = await validateConfigInChild({ configFile: file, configId: 'heap-test' });
  // with a fixed 512 MB the child died of "JavaScript heap out of memory": "the validator failed"
  t.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  t.is(r.model?.virtualServers.length, 16_000);
  t.is(r.model?.virtualServers.at(-1)?.realServers.length, 10);
});

test('a validator that runs out of memory says so, and names its heap limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-validator-oom-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lvsd.conf');
  writeFileSync(file, largeConfig(2_000));
  // a heap far below what the file needs (the limits' own heap holds it: the test above)
  const r = await validateConfigInChild({ configFile: file, configId: 'heap-test', maxHeapMb: 16 });
  t.is(r.model, undefined);
  t.is(r.diagnostics.length, 1);
  t.regex(r.diagnostics[0]?.message ?? '', /^the validator ran out of memory: its heap limit is 16 MB/);
  t.is(r.diagnostics[0]?.code, 'LVSD_E_CONFIG_IO');
});
