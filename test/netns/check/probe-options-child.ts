// SPDX-License-Identifier: Apache-2.0
/**
 * Runs inside a test namespace (`ip netns exec NS node probe-options-child.js JSON`): adds the
 * given probe targets to the native TCP check engine, waits for each one's first result and prints
 * them as one JSON line `{ id: ProbeResult }`. Node cannot enter a namespace itself, so the probe
 * sockets of probe-options.test.ts are opened by this child.
 */
import type { ProbeTarget } from '../../../src/check/probe.js';
import type { ProbeResult } from '../../../src/check/result.js';
import { nativeTcpEngine } from '../../../src/net/tcp-check-engine.io.js';

const probes = JSON.parse(process.argv[2] ?? '[]') as Array<{ id: number; target: ProbeTarget }>;
const results: Record<number, ProbeResult> = {};
let left = probes.length;

const finish = (): void => {
  clearTimeout(guard);
  engine.stop();
  process.stdout.write(`${JSON.stringify(results)}\n`);
};
const engine = nativeTcpEngine((id, r) => {
  if (results[id] !== undefined) return;
  results[id] = r;
  if (--left === 0) setImmediate(finish);
});
// every probe has a 3 s deadline: what is asserted is where a probe goes, not how fast. With 1 s, a
// first probe through a fresh veth timed out once in a loaded CI run instead of being refused: a
// lost first ARP request is sent again only after 1 s (retrans_time). The guard bounds a broken engine.
const guard = setTimeout(finish, 10_000);
for (const p of probes) engine.add(p.id, p.target, 3000, 60_000, 0);
