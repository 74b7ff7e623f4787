// SPDX-License-Identifier: Apache-2.0
/**
 * lvsd's version, as `lvsd --version`, the man pages and the .deb name show it. Pure: a constant,
 * not read from package.json at run time (the installed tree need not carry it at a known path);
 * test/unit/core/version.test.ts keeps it equal to package.json's `version`.
 */
export const LVSD_VERSION = '0.1.0';
