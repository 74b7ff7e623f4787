// SPDX-License-Identifier: Apache-2.0
/** A MachineConfig with keepalived's defaults for tests; rows override what they exercise. */
import type { MachineConfig } from '../../../src/vrrp/types.js';

export function baseConfig(patch: Partial<MachineConfig> = {}): MachineConfig {
  return {
    name: 'VI_1',
    vrid: 51,
    version: 3,
    family: 'inet',
    priority: 100,
    advertIntMs: 100,
    preempt: true,
    preemptDelayMs: 0,
    accept: true,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    ownerIgnoreAdverts: false,
    downTimerAdverts: 3,
    initialState: 'backup',
    primaryAddress: '10.0.0.2',
    unicastPeers: [],
    checkUnicastSrc: false,
    vips: ['10.0.0.100'],
    skipCheckAdvAddr: false,
    auth: { type: 'none' },
    v3ChecksumAsV2: false,
    startupDelayMs: 0,
    garp: {
      masterRepeat: 5,
      masterDelayMs: 5000,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      lowerPrioRepeat: 5,
      lowerPrioDelayMs: 5000,
    },
    ...patch,
  };
}
