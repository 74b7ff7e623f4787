// SPDX-License-Identifier: Apache-2.0
// A command whose reader has gone before it writes (`lvsd ... | head -1`, a pager quit early) drops
// its output and ends with its own status, without Node's EPIPE stack trace (cli/io.ts). Bundled
// commands through bin/lvsd, both ways in: the ES bundle (`lvsd --help`, `lvsd completion bash`)
// and the one-file `lvsd ipvs`. Any user.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Run `lvsd ARGS` with its stdout pipe closed from the start: its exit status and stderr. */
async function withClosedStdout(args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [`${root}bin/lvsd`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // before its first write: Node takes ~30 ms to start
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, err };
}

for (const args of [['--help'], ['completion', 'bash'], ['ipvs', '-h'], ['ipvs', '--version']]) {
  test(`lvsd ${args.join(' ')} into a closed pipe: exit 0 and nothing on stderr`, async (t) => {
    const r = await withClosedStdout(args);
    t.is(r.err, '');
    t.is(r.code, 0);
  });
}
