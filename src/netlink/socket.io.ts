// SPDX-License-Identifier: Apache-2.0
/**
 * The one place lvsd touches a netlink socket: `NetlinkTransport` over the native addon's netlink
 * socket (native/lvsd_net.c openNetlink). Its users: rtnetlink requests and the link/address events
 * of the VRRP worker (rtnl-socket.io.ts), IPVS over generic netlink (ipvs/kernel.io.ts), and
 * netlink@0.3.0's rtnetlink requests (routes, rules, VMAC links, the BGP route table: rt-socket.io.ts
 * carries them). The library's own socket is never opened. Why: it ends the process on any socket error: on
 * POLLERR (a receive-queue overrun sets the socket's error: ENOBUFS) its poll handler builds an error
 * with a null syscall name, which node-addon-api turns into a C++ exception nobody catches:
 * std::terminate (test/netns/daemon/event-storm.test.ts: the VRRP worker aborted on an event storm).
 * Here an overrun reaches `onError` as ENOBUFS and the socket goes on.
 *
 * Datagrams given to `send` in one turn of the event loop leave together at its end (setImmediate),
 * as the library's did from its poll handler: a takeover's VIP adds do not wake other processes one
 * by one in the middle of the takeovers that follow.
 */
import type { Buffer } from 'node:buffer';
import { LvsdError } from '../core/errors.js';
import { native } from '../net/raw-socket.io.js';
import { errnoName } from './codec.js';
import { NETLINK_GENERIC, type NetlinkTransport, type TransportOptions } from './transport.js';

type NetlinkError = Error & { code?: string };

const errorOf = (code: string, message: string, cause?: unknown): NetlinkError =>
  Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });

/** Open a netlink socket of `protocol` (default generic netlink) in the caller's network namespace. */
export function openNetlinkTransport(
  protocol = NETLINK_GENERIC,
  opts: TransportOptions = {},
): NetlinkTransport {
  const addon = native();
  let messageCb = (_d: Buffer): void => {};
  let errorCb = (_e: NetlinkError): void => {};
  let sock: object;
  try {
    sock = addon.openNetlink(
      protocol,
      [...(opts.groups ?? [])],
      opts.recvBufferSize ?? 1 << 20,
      (data, _src, _dst, _ifindex, errno) => {
        if (errno === 0) messageCb(data);
        else {
          const code = errnoName(errno);
          errorCb(errorOf(code, `netlink socket: ${code}`));
        }
      },
      opts.sendBufferSize ?? 1 << 20,
    );
  } catch (e) {
    throw new LvsdError('LVSD_E_SOCKET', `cannot open netlink socket (protocol ${protocol}): ${String(e)}`, {
      cause: e,
    });
  }
  // the socket keeps the event loop alive only while the caller waits for replies
  addon.keepLoopAlive(sock, false);
  const port = addon.netlinkPort(sock);
  let outgoing: Buffer[] = [];
  let closed = false;
  const flush = (): void => {
    const batch = outgoing;
    outgoing = [];
    for (const d of batch) {
      if (closed) return;
      try {
        addon.sendNetlink(sock, d);
      } catch (e) {
        const err = e as NetlinkError;
        errorCb(errorOf(err.code ?? 'EUNKNOWN', `netlink send: ${err.message}`, e));
      }
    }
  };
  return {
    port,
    send(datagram) {
      if (closed) throw errorOf('EBADF', 'netlink socket closed');
      if (outgoing.length === 0) setImmediate(flush);
      outgoing.push(datagram);
    },
    exchangeNow(requests, maxBytes) {
      if (closed) throw errorOf('EBADF', 'netlink socket closed');
      flush(); // what was sent before goes first
      return addon.exchangeNetlink(sock, requests, maxBytes);
    },
    keepAlive(on) {
      if (!closed) addon.keepLoopAlive(sock, on);
    },
    onMessage(cb) {
      messageCb = cb;
    },
    onError(cb) {
      errorCb = cb;
    },
    close() {
      if (closed) return;
      closed = true;
      outgoing = [];
      addon.close(sock);
    },
  };
}
