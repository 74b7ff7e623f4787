// SPDX-License-Identifier: Apache-2.0
/**
 * The structured logger interface every module is given. Pure: interface only.
 * The daemon backs it with winston (src/daemon/logger.ts); tests use a recording fake or
 * test/fakes/silent-logger.ts.
 */

export type LogFields = Record<string, string | number | boolean | undefined | null>;

/**
 * One method per syslog priority lvsd uses (RFC 5424): error (3), warning (4), notice (5: a normal
 * but significant event, such as a VRRP transition or a reload applied), info (6), debug (7).
 */
export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  notice(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ vrid: 51, iface: 'eth0' }`). */
  child(fields: LogFields): Logger;
}
