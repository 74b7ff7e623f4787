// SPDX-License-Identifier: Apache-2.0
/**
 * The one place that touches a native netlink socket. Wraps `netlink@0.3.0`'s RawNetlinkSocket
 * (N-API prebuilds; pinned: its API is not stable) behind `NetlinkTransport`, so the library can
 * be swapped for the project's own addon without touching the codec or the IPVS driver.
 * Only the package's raw-socket module is imported: its index also loads the rtnetlink, nl80211
 * and WireGuard layers (a dozen generated files) that lvsd never uses, a cost on every start.
 */
import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { LvsdError } from '../core/errors.js';
import { NETLINK_GENERIC, type NetlinkTransport, type TransportOptions } from './transport.js';

/** Open a netlink socket of `protocol` (default generic netlink) in the caller's network namespace. */
export function openNetlinkTransport(
  protocol = NETLINK_GENERIC,
  opts: TransportOptions = {},
): NetlinkTransport {
  let raw: RawNetlinkSocket;
  try {
    raw = new RawNetlinkSocket(protocol, {
      recvBufferSize: opts.recvBufferSize ?? 1 << 20,
      sendBufferSize: opts.sendBufferSize ?? 1 << 20,
    });
  } catch (e) {
    throw new LvsdError('LVSD_E_SOCKET', `cannot open netlink socket (protocol ${protocol}): ${String(e)}`, {
      cause: e,
    });
  }
  try {
    for (const g of opts.groups ?? []) raw.addMembership(g);
  } catch (e) {
    raw.close();
    throw new LvsdError('LVSD_E_SOCKET', `cannot join netlink group (protocol ${protocol}): ${String(e)}`, {
      cause: e,
    });
  }
  const port = raw.address().port;
  let errorCb: (err: Error & { code?: string }) => void = () => {};
  raw.on('error', (e) => errorCb(e));
  raw.on('truncatedMessage', () => {
    const e: Error & { code?: string } = new Error('netlink message truncated');
    e.code = 'EMSGSIZE';
    errorCb(e);
  });
  // The socket keeps the event loop alive only while the caller waits for replies.
  raw.unref();
  return {
    port,
    send(datagram) {
      raw.send(datagram, {}, (e) => {
        if (e) errorCb(e);
      });
    },
    keepAlive(on) {
      if (on) raw.ref();
      else raw.unref();
    },
    onMessage(cb) {
      raw.on('message', (msg) => cb(msg));
    },
    onError(cb) {
      errorCb = cb;
    },
    close() {
      raw.close();
    },
  };
}
