// SPDX-License-Identifier: Apache-2.0
/**
 * A process's memory for the footprint benches (bench/footprint.ts, bench/footprint-lvs.ts): its
 * /proc/PID/smaps_rollup, and the live JavaScript objects of a V8 heap snapshot by node type.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../test/netns/harness.js';

export interface ProcessMemory {
  pid: number;
  what: string;
  rssKb: number;
  pssKb: number;
  /** Private_Clean + Private_Dirty: pages no other process maps. */
  privateKb: number;
  anonKb: number;
  fileKb: number;
  /** Live JavaScript heap by node type, bytes (lvsd only). */
  heap?: Map<string, number>;
}

export function memoryOf(pid: number, what: string): ProcessMemory {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return {
    pid,
    what,
    rssKb: kb('Rss'),
    pssKb: kb('Pss'),
    privateKb: kb('Private_Clean') + kb('Private_Dirty'),
    anonKb: kb('Pss_Anon'),
    fileKb: kb('Pss_File'),
  };
}

/** heapByType of a snapshot file, or undefined while it is still being written. */
export function wholeSnapshot(file: string): Map<string, number> | undefined {
  try {
    return heapByType(file);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

/** Self sizes of a heap snapshot's nodes by V8 node type. */
export function heapByType(file: string): Map<string, number> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [it, is, n] = [fields.indexOf('type'), fields.indexOf('self_size'), fields.length];
  const out = new Map<string, number>();
  for (let i = 0; i < s.nodes.length; i += n) {
    const t = types[s.nodes[i + it] ?? 0] ?? '?';
    out.set(t, (out.get(t) ?? 0) + (s.nodes[i + is] ?? 0));
  }
  return out;
}

/**
 * A heap snapshot of each process (started with `--heapsnapshot-signal=SIGWINCH` and
 * `--diagnostic-dir=dir`), read into its `heap`; `timeoutMs` for all to be written.
 */
export async function takeHeapSnapshots(mem: ProcessMemory[], dir: string, timeoutMs: number): Promise<void> {
  for (const m of mem) process.kill(m.pid, 'SIGWINCH');
  await waitFor(
    'the heap snapshots',
    () => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).length >= mem.length,
    timeoutMs,
    100,
  );
  for (const m of mem) {
    const f = readdirSync(dir).find((x) => x.includes(`.${m.pid}.`));
    // the file appears as the snapshot starts to be written: read it once it parses whole
    if (f) m.heap = await waitFor('a whole heap snapshot', () => wholeSnapshot(join(dir, f)), timeoutMs, 200);
  }
}
