// SPDX-License-Identifier: Apache-2.0
/**
 * Which kernel services need lvsd's FULLNAT source-NAT rule: every service of a virtual server whose
 * `lb_kind` (or any of whose reals' `lvs_method`) is the lvsd extension FULLNAT. Pure; the LVS worker
 * hands the result to `FullNat.applyByReals` (src/ipvs/fullnat.ts) at start and after each reload.
 */
import type { Model } from '../config/model.js';
import type { FullNatServiceByReals } from '../ipvs/fullnat.js';
import { serviceKeys } from './from-model.js';

export function fullNatServicesFromModel(model: Model): FullNatServiceByReals[] {
  const out: FullNatServiceByReals[] = [];
  for (const vs of model.virtualServers) {
    const fullnat = vs.realServers.filter((rs) => rs.method.method === 'FULLNAT');
    if (vs.method.method !== 'FULLNAT' && fullnat.length === 0) continue;
    const reals = (vs.method.method === 'FULLNAT' ? vs.realServers : fullnat).map((rs) => rs.address);
    for (const key of serviceKeys(vs, model)) out.push({ key, reals });
  }
  return out;
}
