// SPDX-License-Identifier: Apache-2.0
/**
 * How many strings of the V8 heap hold `value` now (each a copy of its own), from a heap snapshot
 * of this process: what shows whether objects share one string or each carries its own.
 */
import { getHeapSnapshot } from 'node:v8';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

export async function stringCopies(value: string): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [type, name] = [fields.indexOf('type'), fields.indexOf('name')];
  let copies = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length)
    if (types[snap.nodes[i + type]!] === 'string' && snap.strings[snap.nodes[i + name]!] === value) copies++;
  return copies;
}
