// SPDX-License-Identifier: Apache-2.0
/**
 * VM test helper: JSON encoding of driver results between a test and a driver worker running in
 * another network namespace (bigints and NetlinkError/LvsdError survive the trip).
 */
import { LvsdError, NetlinkError } from '../../../src/core/errors.js';
import type { LvsdErrorCode } from '../../../src/core/errors.js';

interface WireError {
  $error: { name: string; message: string; code?: string; errno?: string; op?: string; target?: string };
}

export function toWire(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return { $bigint: x.toString() };
    if (x instanceof Error) {
      const e = x as Error & { code?: string; errno?: string; op?: string; target?: string };
      const w: WireError = { $error: { name: e.name, message: e.message } };
      if (typeof e.code === 'string') w.$error.code = e.code;
      if (typeof e.errno === 'string') w.$error.errno = e.errno;
      if (typeof e.op === 'string') w.$error.op = e.op;
      if (typeof e.target === 'string') w.$error.target = e.target;
      return w;
    }
    return x;
  });
}

export function fromWire(s: string): unknown {
  return JSON.parse(s, (_k, x: unknown) => {
    if (x !== null && typeof x === 'object') {
      if ('$bigint' in x) return BigInt((x as { $bigint: string }).$bigint);
      if ('$error' in x) {
        const e = (x as WireError).$error;
        if (e.name === 'NetlinkError' && e.errno !== undefined && e.op !== undefined) {
          return new NetlinkError({
            errno: e.errno,
            op: e.op,
            message: e.message,
            code: e.code as LvsdErrorCode,
            ...(e.target === undefined ? {} : { target: e.target }),
          });
        }
        if (e.code !== undefined && e.code.startsWith('LVSD_E_'))
          return new LvsdError(e.code as LvsdErrorCode, e.message);
        return new Error(e.message);
      }
    }
    return x;
  });
}
