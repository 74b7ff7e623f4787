// SPDX-License-Identifier: Apache-2.0
/**
 * Steady HTTP traffic for the lab (I/O): runs scripts/lab/client.js inside the client namespace and
 * collects its one-line-per-request results as they arrive. `stop()` ends the client (SIGTERM, then
 * SIGKILL) and resolves when it has exited.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RequestRecord } from './timeline.js';

const clientJs = fileURLToPath(new URL('./client.js', import.meta.url));

export interface Traffic {
  /** Every finished request so far, in the order they finished. */
  readonly records: RequestRecord[];
  /** Did the client exit before `stop()` (it should not)? Its stderr then says why. */
  failed(): string | undefined;
  stop(): Promise<void>;
}

export interface TrafficOptions {
  netns: string;
  host: string;
  rate: number;
  timeoutMs: number;
  maxMs: number;
  /** What the body of a served request starts with (the real's name) [RS: RS1, RS2]. */
  bodyPrefix?: string;
}

export function startTraffic(o: TrafficOptions): Traffic {
  // nsenter execs node, so the child's pid is the client's: it is ended by that pid only
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${o.netns}`,
      '--',
      process.execPath,
      clientJs,
      o.host,
      String(o.rate),
      String(o.timeoutMs),
      String(o.maxMs),
      o.bodyPrefix ?? 'RS',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const records: RequestRecord[] = [];
  let stderr = '';
  let stopping = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      records.push(JSON.parse(line) as RequestRecord);
    } catch {
      stderr += `unparsable line: ${line}\n`;
    }
  });
  const exited = new Promise<void>((res) => child.once('close', () => res()));
  return {
    records,
    failed: () =>
      !stopping && child.exitCode !== null ? `client exited ${child.exitCode}: ${stderr}` : undefined,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs + 5000);
        await exited;
        clearTimeout(kill);
      }
    },
  };
}
