// SPDX-License-Identifier: Apache-2.0
/**
 * VM test helper: an `IpvsKernel` whose real driver runs in a child process inside a network
 * namespace (see driver-worker.ts). Use: `const k = await openDriverIn(ns)`, then the IpvsKernel
 * methods; `await k.shutdown()` in teardown.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type {
  IpvsDestination,
  IpvsInfo,
  IpvsService,
  IpvsServiceState,
  IpvsTimeouts,
  ServiceKey,
  SyncDaemon,
} from '../../../src/ipvs/model.js';
import type { ApplyReport, IpvsKernel, IpvsOp } from '../../../src/ipvs/ops.js';
import type { Netns } from './netns.js';
import { fromWire, toWire } from './wire.js';

export interface RemoteKernel extends IpvsKernel {
  /** Close the driver and wait for the worker process to exit. */
  shutdown(): Promise<void>;
}

const workerPath = fileURLToPath(new URL('./driver-worker.js', import.meta.url));

export async function openDriverIn(ns: Netns, opts: { window?: number } = {}): Promise<RemoteKernel> {
  const child = spawn('nsenter', [`--net=/run/netns/${ns.name}`, '--', process.execPath, workerPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`driver worker exited (${String(code)})`));
    waiting.clear();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const r = fromWire(line) as { id: number; ok: boolean; value?: unknown; error?: unknown };
    const w = waiting.get(r.id);
    if (w === undefined) return;
    waiting.delete(r.id);
    if (r.ok) w.resolve(r.value);
    else w.reject(r.error);
  });
  const call = (method: string, ...args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.stdin.write(toWire({ id, method, args }) + '\n');
    });
  await call('open', opts);
  return {
    info: () => call('info') as Promise<IpvsInfo>,
    dump: () => call('dump') as Promise<IpvsServiceState[]>,
    dumpServices: () => call('dumpServices') as Promise<IpvsService[]>,
    // a missing service crosses the pipe as null (JSON has no undefined in arrays)
    dumpDestinations: async (keys: readonly ServiceKey[]) =>
      ((await call('dumpDestinations', keys)) as Array<IpvsDestination[] | null>).map((d) => d ?? undefined),
    getTimeouts: () => call('getTimeouts') as Promise<IpvsTimeouts>,
    getDaemons: () => call('getDaemons') as Promise<SyncDaemon[]>,
    apply: (ops: readonly IpvsOp[]) => call('apply', ops) as Promise<ApplyReport>,
    close: () => {
      child.stdin.end();
    },
    async shutdown() {
      if (child.exitCode === null) {
        await call('close').catch(() => undefined);
        child.stdin.end();
      }
      await exited;
    },
  };
}
