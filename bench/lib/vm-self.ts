// SPDX-License-Identifier: Apache-2.0
/**
 * How the VM benchmarks run: the bench file boots scripts/ipvs-vm.sh and runs itself again inside
 * it (`--inner`) in a network namespace of its own, which prints one `TAG {json}` line; this returns
 * that JSON (throws, with the VM's output, when the run failed or printed none).
 */
import { spawn } from 'node:child_process';

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
