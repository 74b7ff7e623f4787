// SPDX-License-Identifier: Apache-2.0
/** Small builders of check specs for the unit tests of src/check. */
import { noSchedulerFlags } from '../../../src/ipvs/model.js';
import type {
  CheckerSpec,
  CheckTiming,
  RealServerSpec,
  VirtualServerSpec,
} from '../../../src/check/types.js';

export const timing: CheckTiming = {
  connectTimeoutMs: 1000,
  retry: 2,
  delayBeforeRetryMs: 500,
  delayLoopMs: 3000,
  warmupMs: 0,
  alpha: false,
  logAllFailures: false,
};

export function tcp(t: Partial<CheckTiming> = {}): CheckerSpec {
  return { kind: 'tcp', timing: { ...timing, ...t } };
}

export function real(last: number, over: Partial<RealServerSpec> = {}): RealServerSpec {
  return {
    family: 'inet',
    address: `10.0.0.${last}`,
    port: 80,
    weight: 1,
    method: 'masq',
    upperThreshold: 0,
    lowerThreshold: 0,
    inhibitOnFailure: false,
    checkers: [tcp()],
    ...over,
  };
}

export function vs(reals: RealServerSpec[], over: Partial<VirtualServerSpec> = {}): VirtualServerSpec {
  return {
    service: {
      key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80 },
      scheduler: 'wrr',
      flags: noSchedulerFlags,
    },
    quorum: 1,
    hysteresis: 0,
    sorryServerInhibit: false,
    omega: false,
    haSuspend: false,
    reals,
    ...over,
  };
}
