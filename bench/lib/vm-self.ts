// SPDX-License-Identifier: Apache-2.0
/**
 * How the VM benchmarks run: the bench file boots scripts/ipvs-vm.sh and runs itself again inside
 * it (`--inner`) in a network namespace of its own, which prints one `TAG {json}` line; this returns
 * that JSON (throws, with the VM's output, when the run failed or printed none).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function runSelfInVm(
  self: string,
  tag: string,
  env: Record<string, string | number>,
): Promise<unknown> {
  const ns = `lvbench${process.pid}`;
  const script =
    `ip netns add ${ns} && ip -n ${ns} link set lo up && ` +
    `nsenter --net=/run/netns/${ns} -- ${process.execPath} ${self} --inner; rc=$?; ip netns del ${ns}; exit $rc`;
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const child = spawn('bash', ['scripts/ipvs-vm.sh', ...envArgs, '--', 'bash', '-c', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith(`${tag} `));
  if (code !== 0 || line === undefined) throw new Error(`VM run failed (exit ${String(code)}):\n${out}`);
  return JSON.parse(line.slice(tag.length + 1));
}

/**
 * The VM benches that need bench/tools' C programs (the capacity lab's listener, the connect
 * flood): compile `tools` on the host into a directory the guest sees, then run `self --in-vm
 * ...args` in the VM with LVSD_BENCH_TOOLS naming it and bench/results writable.
 */
export function runInVmWithTools(
  self: string,
  tools: readonly string[],
  args: readonly string[],
  env: Record<string, string> = {},
): void {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-bench-'));
  try {
    for (const tool of tools)
      execFileSync('gcc', ['-O2', '-o', join(dir, tool), join(repo, 'bench', 'tools', `${tool}.c`)]);
    const envArgs = Object.entries({ LVSD_BENCH_TOOLS: dir, ...env }).flatMap(([k, v]) => [
      '-e',
      `${k}=${v}`,
    ]);
    execFileSync(
      'bash',
      [
        join(repo, 'scripts/ipvs-vm.sh'),
        '-w',
        join(repo, 'bench', 'results'),
        ...envArgs,
        '--',
        process.execPath,
        self,
        '--in-vm',
        ...args,
      ],
      { stdio: 'inherit', cwd: repo },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
