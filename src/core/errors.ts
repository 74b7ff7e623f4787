// SPDX-License-Identifier: Apache-2.0
/**
 * The one error class of lvsd and the registry of its stable codes. Pure.
 * Every code is documented in docs/errors.md; test/unit/core/errors.test.ts keeps the two in step.
 * Callers branch on `code` (and on `errno` for netlink), never on message text.
 */

export const ErrorCodes = {
  LVSD_E_CONFIG_SYNTAX: 'the configuration text is malformed',
  LVSD_E_CONFIG_INVALID: 'the configuration parsed but failed validation',
  LVSD_E_CONFIG_IO: 'a configuration file could not be read',
  LVSD_E_CONFIG_LIMIT: 'loading the configuration reached a limit (size, files, words) and stopped',
  LVSD_E_NETLINK: 'the kernel rejected a netlink request',
  LVSD_E_NETLINK_DECODE: 'a netlink reply could not be decoded',
  LVSD_E_IPVS_EXISTS: 'an IPVS service or destination already exists',
  LVSD_E_IPVS_NOT_FOUND: 'an IPVS service or destination does not exist',
  LVSD_E_IPVS_UNAVAILABLE: 'the ip_vs kernel module is not available',
  LVSD_E_IPVS_PARTIAL: 'a batch of IPVS operations stopped part way',
  LVSD_E_NATIVE: 'the native socket addon failed or is missing',
  LVSD_E_SOCKET: 'a socket operation failed',
  LVSD_E_CONTROL: 'the control socket request failed',
  LVSD_E_STARTING: 'the worker is starting: it answers once its configuration is applied',
  LVSD_E_RUNNING: 'another lvsd process already runs on this run directory',
  LVSD_E_UNSAFE_PATH: 'a directory or file lvsd uses could be changed by another user',
  LVSD_E_FULLNAT: 'the FULLNAT nftables rules or sysctl could not be applied',
  LVSD_E_INTERNAL: 'a bug in lvsd: an invariant did not hold',
} as const;

export type LvsdErrorCode = keyof typeof ErrorCodes;

export class LvsdError extends Error {
  override readonly name: string = 'LvsdError';
  readonly code: LvsdErrorCode;

  constructor(code: LvsdErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A kernel error from netlink, with the errno kept as data (`EEXIST`, `ESRCH`, ...). */
export class NetlinkError extends LvsdError {
  override readonly name: string = 'NetlinkError';
  readonly errno: string;
  readonly op: string;
  readonly target: string | undefined;

  constructor(
    init: { errno: string; op: string; target?: string; code?: LvsdErrorCode; message: string },
    options?: ErrorOptions,
  ) {
    super(init.code ?? 'LVSD_E_NETLINK', init.message, options);
    this.errno = init.errno;
    this.op = init.op;
    this.target = init.target;
  }
}

export function isLvsdError(e: unknown, code?: LvsdErrorCode): e is LvsdError {
  return e instanceof LvsdError && (code === undefined || e.code === code);
}

/** Result type for pure code that reports expected failures as data. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
