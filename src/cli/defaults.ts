// SPDX-License-Identifier: Apache-2.0
/** Defaults every command shares, in a module of their own so that readers without commander (run-argv.ts) share them too. Pure. */

/** The configuration file when no `-f` is given. */
export const defaultConfigFile = '/etc/lvsd/lvsd.conf';
