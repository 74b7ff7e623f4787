// SPDX-License-Identifier: Apache-2.0
/**
 * Reads the kernel's IPVS connection table, /proc/net/ip_vs_conn, for `lvsd ipvs list -c`, as
 * ipvsadm does (there is no netlink dump of connections). Formatting is format.ts's
 * `formatConnections`. Shell: file I/O only.
 */
import { readFile } from 'node:fs/promises';
import { LvsdError } from '../core/errors.js';

export const CONN_PROC_FILE = '/proc/net/ip_vs_conn';

/** The whole file (header line included); `cannot open file ...` as ipvsadm says it. */
export async function readConnections(path = CONN_PROC_FILE): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new LvsdError('LVSD_E_IPVS_UNAVAILABLE', `cannot open file ${path}`, { cause: e });
  }
}
