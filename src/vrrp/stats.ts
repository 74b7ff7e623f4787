// SPDX-License-Identifier: Apache-2.0
/**
 * Per-instance VRRP counters (keepalived's vrrp_stats: advert_rcvd/sent, become_master,
 * release_master, pri_zero_rcvd/sent, drops by reason), updated from the machine's actions and
 * the codec's drop reasons. Pure: the shell owns the mutable stats object.
 */
import { DROP_REASONS } from './types.js';
import type { DropReason, MachineAction, VrrpStats } from './types.js';

export function newStats(): VrrpStats {
  const drops = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) drops[r] = 0;
  return {
    advertRcvd: 0,
    advertSent: 0,
    becomeMaster: 0,
    releaseMaster: 0,
    priZeroRcvd: 0,
    priZeroSent: 0,
    lowerPrioRcvd: 0,
    answersSuppressed: 0,
    drops,
  };
}

/** Apply one machine action: `count` actions and every `sendAdvert` (priority 0 also counts as pri_zero_sent). */
export function countAction(stats: VrrpStats, action: MachineAction): void {
  if (action.type === 'count') stats[action.counter] += 1;
  else if (action.type === 'sendAdvert') {
    stats.advertSent += 1;
    if (action.priority === 0) stats.priZeroSent += 1;
  }
}

export function countDrop(stats: VrrpStats, reason: DropReason): void {
  stats.drops[reason] += 1;
}
