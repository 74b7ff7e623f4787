// SPDX-License-Identifier: Apache-2.0
/**
 * Warnings about a reload that is valid but probably not meant: comparing the running Model with the
 * new one. Pure. Today one hazard: every virtual server removed while VIPs remain, so this director
 * keeps attracting traffic (as MASTER, or after a failover) with no IPVS table to forward it (an
 * include of conf.d/*.conf that now matches nothing, a file half-copied). Returned as diagnostics, so
 * `lvsd reload` (and --dry-run) prints them and the supervisor logs them; the reload still applies.
 */
import type { Diagnostic, Model } from './model.js';

export function reloadHazards(running: Model, next: Model, file: string): Diagnostic[] {
  const vips = next.vrrpInstances.reduce((n, i) => n + i.vips.length, 0);
  if (running.virtualServers.length === 0 || next.virtualServers.length > 0 || vips === 0) return [];
  return [
    {
      severity: 'warning',
      code: 'LVSD_E_CONFIG_INVALID',
      file,
      line: 0,
      col: 0,
      message:
        `this reload removes every virtual server (${running.virtualServers.length} running) while ` +
        `${vips} VIP${vips === 1 ? '' : 's'} of ${next.vrrpInstances.length} vrrp_instance remain: ` +
        'traffic to the VIPs will find no IPVS table (an include that matches nothing?)',
    },
  ];
}
