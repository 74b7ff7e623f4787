// SPDX-License-Identifier: Apache-2.0
/**
 * `lvsd_sloppy_tcp` / `lvsd_sloppy_sctp` (an lvsd extension): IPVS creates a connection for a packet
 * in the middle of a flow (`net.ipv4.vs.sloppy_tcp`, `sloppy_sctp`), so a director the routers
 * move a flow to (ECMP behind BGP) serves it. The kernel's values are put back when the setting is
 * removed or the worker stops (not on a handoff: the successor takes them over).
 */
import type { GlobalDefs } from '../config/model.js';
import type { Logger } from '../core/log.js';
import { procSysctls } from '../net/sysctl.io.js';

const keys = { tcp: 'ipv4/vs/sloppy_tcp', sctp: 'ipv4/vs/sloppy_sctp' } as const;

export function sloppyFollower(log: Logger): {
  apply(setting: GlobalDefs['lvsdSloppy']): void;
  restore(): void;
} {
  const original = new Map<string, number>();
  const put = (key: string, on: boolean): void => {
    try {
      if (on) {
        if (!original.has(key)) original.set(key, procSysctls.get(key) ?? 0);
        procSysctls.set(key, 1);
      } else if (original.has(key)) {
        procSysctls.set(key, original.get(key) ?? 0);
        original.delete(key);
      }
    } catch (e) {
      log.error('cannot set an IPVS sloppy mode', { key, error: (e as Error).message });
    }
  };
  return {
    apply(setting) {
      put(keys.tcp, setting?.tcp ?? false);
      put(keys.sctp, setting?.sctp ?? false);
    },
    restore() {
      put(keys.tcp, false);
      put(keys.sctp, false);
    },
  };
}
