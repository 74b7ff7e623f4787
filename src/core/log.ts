// SPDX-License-Identifier: Apache-2.0
/**
 * The structured logger interface every module is given. Pure: interface only.
 * The daemon backs it with winston (src/daemon/logger.ts); tests use a recording fake or
 * test/fakes/silent-logger.ts.
 */

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ vrid: 51, iface: 'eth0' }`). */
  child(fields: LogFields): Logger;
}
