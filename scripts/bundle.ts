// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run build`'s second step: bundles the compiled CLI (dist/src/cli/main.js, tsc's output, the
 * code the unit tests ran) into dist/bundle/lvsd/, which bin/lvsd loads. Why: every process lvsd
 * starts (the supervisor, its workers, the validating child, each `lvsd` command) paid for
 * resolving and loading ~150 small ES modules one by one: ~60 ms of a daemon's cold start on the
 * host (bench/results/cold-start.md) and, in the QEMU test VM, 0.5 s of `lvsd --version` (README).
 * esbuild does the bundling (no hand-written code for it); this file only says how.
 *
 * - Code splitting keeps the lazy imports lazy: each dynamic `import()` becomes its own chunk,
 *   so `lvsd ipvs` does not load the VRRP engine, and the supervisor's first moments load neither
 *   the parser nor prom-client (test/unit/cli/bundle.test.ts reads the metafile to hold that).
 * - `netlink` stays a package (its index finds its prebuilt addon from its own directory), and so
 *   do `.node` addons.
 * - winston is bundled apart, into one CommonJS file (dist/bundle/lvsd/winston.cjs) that the logger
 *   requires synchronously where a line is first logged (src/daemon/logger.ts). As a package it was
 *   ~90 files, each found by Node's CommonJS resolution (stat and package.json reads per file): ~3 s
 *   of the supervisor's CPU at start in the QEMU test VM, on its 9p root, while its workers program
 *   the first table. One file keeps it out of every chunk's start and costs one read.
 * - `lvsd ipvs` is bundled a third time, alone, into one CommonJS file (dist/bundle/lvsd/ipvs.cjs,
 *   src/cli/ipvs-entry.ts) that bin/lvsd requires: an ipvsadm-style command pays neither Node's ES
 *   module loader nor one read per chunk (~15 ms on the host, ~0.4 s in the test VM, per command).
 * - The chunks sit three directories below the checkout, as dist/src/<concept>/*.js do: the few
 *   paths found from `import.meta.url` (bin/lvsd for forks, build/Release for the addon) resolve
 *   the same from either.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { winstonBundleName } from '../src/daemon/logger.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundleDir = join(root, 'dist', 'bundle', 'lvsd');
const depth = (dir: string): number => relative(root, dir).split(sep).length;

async function main(): Promise<void> {
  const compiledMain = join(root, 'dist', 'src', 'cli', 'main.js');
  if (depth(bundleDir) !== depth(dirname(dirname(compiledMain))) + 1)
    throw new Error('bundle: the chunks must sit as deep as dist/src/<concept>/ (see the header)');
  rmSync(bundleDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: compiledMain },
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['netlink', '*.node'],
    // CommonJS dependencies (commander, prom-client, nodemailer) require Node built-ins: an ES
    // module has no `require`, so each chunk gets one.
    banner: {
      js: "import { createRequire as lvsdCreateRequire } from 'node:module'; const require = lvsdCreateRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  });
  if (result.warnings.length > 0) throw new Error(`bundle: ${result.warnings.length} warning(s), see above`);
  writeFileSync(join(root, 'dist', 'bundle', 'meta.json'), JSON.stringify(result.metafile));
  const logs = await build({
    entryPoints: [createRequire(import.meta.url).resolve('winston')],
    outfile: join(bundleDir, winstonBundleName),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  if (logs.warnings.length > 0)
    throw new Error(`bundle: winston: ${logs.warnings.length} warning(s), see above`);
  // `lvsd ipvs` alone, one CommonJS file (src/cli/ipvs-entry.ts): its modules find files beside
  // them from import.meta.url, which CommonJS lacks: each gets the file's own URL instead.
  const ipvs = await build({
    entryPoints: [join(root, 'dist', 'src', 'cli', 'ipvs-entry.js')],
    outfile: join(bundleDir, 'ipvs.cjs'), // bin/lvsd requires it by this name
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['netlink', '*.node'],
    define: { 'import.meta.url': 'lvsdImportMetaUrl' },
    banner: { js: "const lvsdImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  if (ipvs.warnings.length > 0)
    throw new Error(`bundle: ipvs: ${ipvs.warnings.length} warning(s), see above`);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
