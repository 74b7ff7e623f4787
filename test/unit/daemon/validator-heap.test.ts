// SPDX-License-Identifier: Apache-2.0
// The reload validator's heap follows the loading limits: a file that `lvsd check-config` accepts
// (Node's own heap, sized from the machine) is not refused on reload because the child ran out of
// memory; a child that does run out says so. The large case parses 3.1 million words in a child (~5 s,
// ~1 GB); any user.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultLimits, loadHeapMb } from '../../../src/config/limits.js';
import { validateConfigInChild } from '../../../src/daemon/validate-config.js';
import { validatorArgv } from '../../../src/daemon/validator-argv.js';
import { validatorHeapFlags } from '../../../src/daemon/validator-heap.js';

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

/**
 * A preload (NODE_OPTIONS `--require`, which the child inherits) that counts the child's full
 * (mark-compact) collections and writes the count to a file at exit.
 */
const GC_COUNTER = `
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');
let major = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => writeFileSync(process.env.LVSD_TEST_GC_COUNT, String(major)));
`;

test.serial(
  'the validating child runs no full collection on a file that fits its first old space',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-validator-gc-'));
    const saved = { options: process.env.NODE_OPTIONS, count: process.env.LVSD_TEST_GC_COUNT };
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
      for (const [k, v] of [
        ['NODE_OPTIONS', saved.options],
        ['LVSD_TEST_GC_COUNT', saved.count],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    });
    const file = join(dir, 'lvsd.conf');
    writeFileSync(file, largeConfig(2_000)); // 20,000 reals, ~390,000 words: within the default limits
    writeFileSync(join(dir, 'gc-counter.cjs'), GC_COUNTER);
    process.env.NODE_OPTIONS = `--require ${join(dir, 'gc-counter.cjs')}`;
    const countFile = join(dir, 'count');
    process.env.LVSD_TEST_GC_COUNT = countFile;
    const fullCollections = (): number => Number(readFileSync(countFile, 'utf8'));

    // the same child with V8's heap defaults, as before validatorHeapFlags
    const bin = fileURLToPath(new URL('../../../../bin/lvsd', import.meta.url));
    const plain = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=512',
        bin,
        'check-config',
        '--result-json',
        '--host',
        '-f',
        file,
        '--config-id',
        'gc',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 30 },
    );
    t.is(plain.status, 0, plain.stderr);
    const before = fullCollections();

    const r = await validateConfigInChild({ configFile: file, configId: 'gc' });
    t.is(r.model?.virtualServers.length, 2_000);
    const after = fullCollections();
    t.log(`full collections: ${before} with V8's defaults, ${after} with validatorHeapFlags`);
    t.true(before >= 2, `V8's defaults: ${before}`);
    t.true(after <= 1, `validatorHeapFlags: ${after}`);
  },
);

test('validatorHeapFlags: the heap limit, half of it as the first old space, a young generation within it', (t) => {
  t.deepEqual(validatorHeapFlags(512), [
    '--max-old-space-size=512',
    '--initial-old-space-size=256',
    '--min-semi-space-size=16',
    '--max-semi-space-size=64',
  ]);
  t.deepEqual(validatorHeapFlags(16).slice(2), ['--min-semi-space-size=2', '--max-semi-space-size=2']);
});

test('validatorHeapFlags: a configuration of known size gets a young generation sized by it, never above the heap’s', (t) => {
  const semi = (flags: string[]): string[] => flags.slice(2);
  // the lab's 10,000 reals (0.99 MB): 6 MB a semi-space, where any file would get 16–64
  t.deepEqual(semi(validatorHeapFlags(512, 1_041_748)), [
    '--min-semi-space-size=6',
    '--max-semi-space-size=6',
  ]);
  // 100,000 reals (10.5 MB): about what every child had
  t.deepEqual(semi(validatorHeapFlags(512, 10.5 * 2 ** 20)), [
    '--min-semi-space-size=16',
    '--max-semi-space-size=63',
  ]);
  t.deepEqual(semi(validatorHeapFlags(512, 300 * 1024)), [
    '--min-semi-space-size=2',
    '--max-semi-space-size=2',
  ]);
  t.deepEqual(semi(validatorHeapFlags(512, 2 ** 30)), [
    '--min-semi-space-size=16',
    '--max-semi-space-size=64',
  ]);
  t.deepEqual(semi(validatorHeapFlags(16, 10.5 * 2 ** 20)), [
    '--min-semi-space-size=2',
    '--max-semi-space-size=2',
  ]);
  // what a standby is started with reaches its command line
  const argv = validatorArgv(
    { configFile: '/etc/lvsd/lvsd.conf', configId: undefined, configBytes: 1_041_748 },
    { wait: true, heapMb: 512, written: undefined },
  );
  t.true(argv.includes('--max-semi-space-size=6'), argv.join(' '));
  t.true(
    validatorArgv(
      { configFile: '/f', configId: undefined },
      { wait: false, heapMb: 512, written: undefined },
    ).includes('--max-semi-space-size=64'),
  );
});
