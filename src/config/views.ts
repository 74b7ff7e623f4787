// SPDX-License-Identifier: Apache-2.0
/**
 * What each worker reads of a validated Model. The VRRP worker needs the virtual servers' keys (a
 * drill connects to their ports) but none of their real servers, which are nearly all of a large
 * model: 10,000 virtual servers x 10 reals is ~60 MB of JSON and ~340 ms of `JSON.parse` on the
 * host, a pause of the VRRP timers on every reload that a 100 ms advert interval would not survive.
 * The model's fingerprints stay (config/fingerprints.ts: they name the virtual servers the views are
 * made from, and a view changes only with them): a reader of the view file (the VRRP worker, the
 * supervisor) keeps the objects of unchanged virtual servers and parses only the others' lines.
 * Pure.
 */
import type { Model } from './model.js';

/** The model as the VRRP worker reads it: every virtual server without its real servers. */
export function vrrpView(model: Model): Model {
  return { ...model, virtualServers: model.virtualServers.map((vs) => ({ ...vs, realServers: [] })) };
}
