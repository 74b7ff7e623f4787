// SPDX-License-Identifier: Apache-2.0
/**
 * The one place that touches a native netlink socket. Wraps `netlink@0.3.0`'s RawNetlinkSocket
 * (N-API prebuilds; pinned: its API is not stable) behind `NetlinkTransport`, so the library can
 * be swapped for the project's own addon without touching the codec or the IPVS driver.
 */
import type { Buffer } from 'node:buffer';
import netlink from 'netlink';
import { LvsdError } from '../core/errors.js';

/** A bound netlink socket that sends and receives whole datagrams. */
export interface NetlinkTransport {
  /** Our netlink port id (nlmsg_pid of our requests). */
  readonly port: number;
  /** Send one datagram (one or more netlink messages) to the kernel. */
  send(datagram: Buffer): void;
  /** Each received datagram (may hold several messages). */
  onMessage(cb: (datagram: Buffer) => void): void;
  /** Asynchronous socket errors (e.g. ENOBUFS when the receive queue overflowed). */
  onError(cb: (err: Error & { code?: string }) => void): void;
  /** Keep the event loop alive (true) while replies are awaited; false when idle. */
  keepAlive(on: boolean): void;
  close(): void;
}

export const NETLINK_GENERIC = 16;

export interface TransportOptions {
  /** SO_RCVBUF in bytes (the kernel caps it at net.core.rmem_max). @default 1 MiB */
  recvBufferSize?: number;
  /** SO_SNDBUF in bytes. @default 1 MiB */
  sendBufferSize?: number;
}

/** Open a netlink socket of `protocol` (default generic netlink) in the caller's network namespace. */
export function openNetlinkTransport(
  protocol = NETLINK_GENERIC,
  opts: TransportOptions = {},
): NetlinkTransport {
  let raw: InstanceType<typeof netlink.RawNetlinkSocket>;
  try {
    raw = new netlink.RawNetlinkSocket(protocol, {
      recvBufferSize: opts.recvBufferSize ?? 1 << 20,
      sendBufferSize: opts.sendBufferSize ?? 1 << 20,
    });
  } catch (e) {
    throw new LvsdError('LVSD_E_SOCKET', `cannot open netlink socket (protocol ${protocol}): ${String(e)}`, {
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
