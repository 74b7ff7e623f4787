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

/** A process's resident anonymous memory by what holds it, kB (from /proc/PID/smaps). */
export interface AnonymousParts {
  /** glibc's main arena (`[heap]`, grown by brk). */
  brkHeap: number;
  /** glibc's arenas of other threads: regions of 64 MB reserved (HEAP_MAX_SIZE) each. */
  threadArenas: number;
  /** Stacks: the main thread's and those of the other threads (regions of 8 MB and more, mostly untouched). */
  stacks: number;
  /** Every other anonymous mapping: V8's heap pages (256 KB each), its code space, and the rest. */
  other: number;
}

/**
 * Split by mapping: each anonymous mapping's Rss, counted where its name and size say it belongs.
 * A guess from sizes, said as such in the reports: glibc reserves 64 MB for each thread arena, a
 * thread stack is 8 MB (ulimit -s) or libuv's 4 MB; V8's pages are smaller and many.
 */
export function anonymousParts(pid: number): AnonymousParts {
  const parts: AnonymousParts = { brkHeap: 0, threadArenas: 0, stacks: 0, other: 0 };
  let kind: keyof AnonymousParts | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const [, from = '0', to = '0', inode = '0', name = ''] = head;
      const size = (parseInt(to, 16) - parseInt(from, 16)) / 1024;
      if (name === '[heap]') kind = 'brkHeap';
      else if (name === '[stack]') kind = 'stacks';
      else if (inode !== '0' || name !== '') kind = undefined;
      else if (size === 65536 || size === 131072 || (size < 65536 && (parseInt(from, 16) & 0x3ffffff) === 0))
        kind = 'threadArenas';
      else if (size === 8192 || size === 4096 || size === 8196 || size === 4100) kind = 'stacks';
      else kind = 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && kind) parts[kind] += Number(rss[1]);
  }
  return parts;
}

/** A heap snapshot's live objects: MB in all, and the `top` largest node types ("object 10.16, array 4.65"). */
export function heapSummary(
  heap: Map<string, number> | undefined,
  top: number,
): { mb: number; largest: string } {
  const h = heap ?? new Map<string, number>();
  const largest = [...h]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([t, b]) => `${t} ${(b / 2 ** 20).toFixed(2)}`)
    .join(', ');
  return { mb: [...h.values()].reduce((a, b) => a + b, 0) / 2 ** 20, largest };
}
