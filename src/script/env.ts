// SPDX-License-Identifier: Apache-2.0
/**
 * The environment a user script gets: built, never inherited. Pure.
 *
 * keepalived 2.2.7 passes its whole environment to scripts; 2.4 passes it less IFS, LD_PRELOAD and
 * LD_LIBRARY_PATH. Neither sets or documents any variable of its own for scripts (a script's
 * input is its arguments; keepalived also clears NOTIFY_SOCKET). lvsd passes only PATH: lvsd's own
 * PATH, the one bare program names were looked up in at start (`checkEnvironment`), or, when lvsd
 * has none, systemd's default. Nothing else of the daemon's environment (NOTIFY_SOCKET, LVSD_*,
 * credentials a unit may carry) reaches a script.
 */

/** systemd's default PATH for services (and Debian's for root). */
export const DEFAULT_SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The names a script's environment may hold; tests and docs/config.md list the same. */
export const SCRIPT_ENV_NAMES = ['PATH'] as const;

export type ScriptEnvironment = Readonly<Record<(typeof SCRIPT_ENV_NAMES)[number], string>>;

/** The environment of every script, from lvsd's own PATH (undefined or empty: the default). */
export function scriptEnvironment(daemonPath: string | undefined): ScriptEnvironment {
  return { PATH: daemonPath !== undefined && daemonPath !== '' ? daemonPath : DEFAULT_SCRIPT_PATH };
}
