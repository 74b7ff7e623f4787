// SPDX-License-Identifier: Apache-2.0
/**
 * The real IPVS kernel port: the driver (driver.ts) over real generic netlink sockets in this
 * process's network namespace. `ipvsadm`'s equivalent is opening its netlink socket.
 */
import { openNetlinkTransport } from '../netlink/socket.io.js';
import { openIpvsDriver, type IpvsDriver, type IpvsDriverOptions } from './driver.js';

export function openKernelIpvs(
  opts: Omit<IpvsDriverOptions, 'transport' | 'openTransport'> = {},
): Promise<IpvsDriver> {
  return openIpvsDriver({ ...opts, openTransport: () => openNetlinkTransport() });
}
