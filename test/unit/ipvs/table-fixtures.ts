// SPDX-License-Identifier: Apache-2.0
/** Shared by the IPVS table tests: services, reals and entries with defaults, overridable. */
import type { IpvsDestination, IpvsService, IpvsServiceEntry, ServiceKey } from '../../../src/ipvs/model.js';
import { noSchedulerFlags } from '../../../src/ipvs/model.js';

export const tcp = (address: string, port: number): ServiceKey => ({
  kind: 'addr',
  family: 'inet',
  protocol: 'tcp',
  address,
  port,
});
export const svc = (key: ServiceKey, scheduler = 'rr', extra: Partial<IpvsService> = {}): IpvsService => ({
  key,
  scheduler,
  flags: noSchedulerFlags,
  ...extra,
});
export const real = (address: string, port = 80, extra: Partial<IpvsDestination> = {}): IpvsDestination => ({
  family: address.includes(':') ? 'inet6' : 'inet',
  address,
  port,
  method: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});
export const entry = (service: IpvsService, destinations: IpvsDestination[]): IpvsServiceEntry => ({
  service,
  destinations,
});
