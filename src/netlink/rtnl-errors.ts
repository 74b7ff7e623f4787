// SPDX-License-Identifier: Apache-2.0
/** rtnetlink failures as `NetlinkError`s naming the errno, the operation and its target. Pure. */
import { NetlinkError } from '../core/errors.js';
import { errnoName } from './codec.js';

/** netlink@0.3.0's rejection text ("Request rejected: EEXIST") → "EEXIST"; anything else → "EUNKNOWN". */
export function errnoOf(e: unknown): string {
  const m = /Request rejected: ([A-Z0-9]+)/.exec(e instanceof Error ? e.message : String(e));
  return m?.[1] ?? 'EUNKNOWN';
}

/** A request the library reports rejected, as a NetlinkError with its errno name. */
export function netlinkError(op: string, target: string, e: unknown): NetlinkError {
  return refused(op, target, errnoOf(e), { cause: e });
}

/** A request the kernel refused with `errno` (a number, from a hand-written request). */
export function errnoError(op: string, target: string, errno: number): NetlinkError {
  return refused(op, target, errnoName(errno));
}

function refused(op: string, target: string, errno: string, options?: ErrorOptions): NetlinkError {
  return new NetlinkError({ errno, op, target, message: `${op} ${target}: ${errno}` }, options);
}
