// SPDX-License-Identifier: Apache-2.0
/**
 * Kernel network settings through /proc/sys/net (what `sysctl net.KEY` reads and writes), for the
 * VRRP engine's VMACs: synchronous, as they are a handful of one-line files written when a VMAC is
 * made or removed, never on an advert's path.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Sysctls } from '../vrrp/ports.js';

const ROOT = '/proc/sys/net';

/** A key is path segments under net/ (`ipv4/conf/eth0/arp_ignore`); no `..`, no empty segment. */
function pathOf(key: string): string {
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new Error(`bad sysctl key ${key}`);
  return `${ROOT}/${key}`;
}

export const procSysctls: Sysctls = {
  get(key) {
    try {
      const v = Number(readFileSync(pathOf(key), 'utf8').trim());
      return Number.isInteger(v) ? v : undefined;
    } catch {
      return undefined;
    }
  },
  set(key, value) {
    writeFileSync(pathOf(key), `${value}\n`);
  },
  ipv4Interfaces() {
    try {
      return readdirSync(`${ROOT}/ipv4/conf`).filter((n) => n !== 'all' && n !== 'default');
    } catch {
      return [];
    }
  },
};
