// SPDX-License-Identifier: Apache-2.0
/**
 * A netlink socket that only listens to multicast groups (rtnetlink's link and address events,
 * `ip monitor`), on lvsd's own addon (native/lvsd_net.c openNetlink) rather than netlink@0.3.0.
 * Why: the library's socket ends the process on a receive-queue overrun. An overrun sets the
 * socket's error, poll reports POLLERR, and the library's poll handler then builds its error with
 * a null syscall name, which node-addon-api turns into a C++ exception nobody catches:
 * std::terminate, the VRRP worker gone (test/netns/net/rtnl-events-lost.test.ts reproduces it with
 * the library). An event socket overruns whenever addresses or links change faster than the worker
 * reads them (thousands of addresses added at once, a long pause of its event loop). Here an overrun
 * reaches `onError` as ENOBUFS (the engine then reads links and addresses again) and the socket
 * goes on listening. Its receive queue is set past net.core.rmem_max (SO_RCVBUFFORCE, as root).
 */
import type { Buffer } from 'node:buffer';
import { LvsdError } from '../core/errors.js';
import { native } from '../net/raw-socket.io.js';
import type { NetlinkTransport } from './transport.js';

const ERRNO_NAMES: Readonly<Record<number, string>> = { 105: 'ENOBUFS', 90: 'EMSGSIZE' };

export interface ListenerOptions {
  /** Multicast groups to join (RTNLGRP_*). */
  readonly groups: readonly number[];
  /** SO_RCVBUF in bytes. @default 4 MiB */
  readonly recvBufferSize?: number;
}

/**
 * Open a listening netlink socket of `protocol` in the caller's network namespace. A transport
 * without `send` (it throws): requests go on a socket of their own (acked-requests.ts).
 */
export function openNetlinkListener(protocol: number, opts: ListenerOptions): NetlinkTransport {
  const addon = native();
  let onMessage = (_d: Buffer): void => {};
  let onError = (_e: Error & { code?: string }): void => {};
  let sock: object;
  try {
    sock = addon.openNetlink(
      protocol,
      [...opts.groups],
      opts.recvBufferSize ?? 4 << 20,
      (data, _s, _d, _i, errno) => {
        if (errno === 0) {
          onMessage(data);
          return;
        }
        const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
        const e: Error & { code?: string } = new Error(`netlink listener: ${code}`);
        e.code = code;
        onError(e);
      },
    );
  } catch (e) {
    throw new LvsdError(
      'LVSD_E_SOCKET',
      `cannot open a netlink listener (protocol ${protocol}): ${String(e)}`,
      {
        cause: e,
      },
    );
  }
  // a listener alone does not keep the process running (as the library's sockets did not)
  addon.keepLoopAlive(sock, false);
  return {
    port: 0,
    send() {
      throw new LvsdError('LVSD_E_SOCKET', 'a netlink listener sends nothing');
    },
    keepAlive(on) {
      addon.keepLoopAlive(sock, on);
    },
    onMessage(cb) {
      onMessage = cb;
    },
    onError(cb) {
      onError = cb;
    },
    close() {
      addon.close(sock);
    },
  };
}
