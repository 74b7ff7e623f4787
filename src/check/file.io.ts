// SPDX-License-Identifier: Apache-2.0
/**
 * FILE_CHECK: read a tracked file's integer. With a weight multiplier W (reverse negates), the
 * real is down when value×W reaches keepalived's fault level (≤ −2^31), otherwise up; with W = 0
 * it is down when the value is non-zero. With `dynamic`, value×W is added to the real's weight.
 * A missing or unreadable file reads as 0, as keepalived does.
 */
import { open } from 'node:fs/promises';
import type { Probe } from './probe.js';
import type { ProbeResult } from './result.js';
import type { CheckerSpec } from './types.js';

export type FileCheckerSpec = Extract<CheckerSpec, { kind: 'file' }>;

const weightFault = -2147483648;

export function parseTrackedValue(text: string): number {
  const m = /^\s*(-?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

export function fileResult(
  value: number,
  spec: Pick<FileCheckerSpec, 'weight' | 'reverse' | 'dynamic'>,
): ProbeResult {
  if (spec.weight === 0) return value !== 0 ? { ok: false, reason: `value ${value}` } : { ok: true };
  const scaled = value * spec.weight * (spec.reverse ? -1 : 1);
  if (scaled <= weightFault) return { ok: false, reason: `value ${value}` };
  return spec.dynamic ? { ok: true, weight: scaled } : { ok: true };
}

export function fileProbe(spec: FileCheckerSpec): Probe {
  return async () => {
    let text = '';
    try {
      const fh = await open(spec.file, 'r');
      try {
        const buf = Buffer.alloc(64);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        text = buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
    } catch {
      text = '';
    }
    return fileResult(parseTrackedValue(text), spec);
  };
}
