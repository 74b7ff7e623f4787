// SPDX-License-Identifier: Apache-2.0
/**
 * The netlink transport port: a bound netlink socket as the codec and the IPVS driver use it,
 * declared here so they stay pure. The real one is socket.io.ts; tests use
 * test/fakes/fake-netlink.ts (the kernel as a function).
 */
import type { Buffer } from 'node:buffer';

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
  /**
   * Where the socket can (the real one; a fake that says so): send each request of `requests`
   * (netlink messages back to back, each a dump or asking for an ACK) alone and read its answer
   * before sending the next, all in this call and without blocking. A run of dumps needs that (a
   * socket runs one dump at a time) and pays no turn of the event loop per request this way. The
   * datagrams read are returned, not given to `onMessage`; an answer the socket had not finished
   * when it ran dry comes to `onMessage` as usual. No request is sent once `maxBytes` have been read
   * (the caller then decodes at most about that much at once; the rest go in its next call).
   */
  exchangeNow?(requests: Buffer, maxBytes?: number): InlineExchange;
  /** Keep the event loop alive (true) while replies are awaited; false when idle. */
  keepAlive(on: boolean): void;
  close(): void;
}

/** What `exchangeNow` did. */
export interface InlineExchange {
  /** Every datagram read, back to back (each padded to 4 bytes), answers to other requests too. */
  received: Buffer;
  /** Requests sent, from the first. */
  sent: number;
  /** Of those, how many were answered to the end (NLMSG_DONE / NLMSG_ERROR): `sent` or `sent` - 1. */
  answered: number;
  /**
   * 0, or why it stopped early: the errno of a send that failed (that request not sent), of a
   * receive-queue overrun (ENOBUFS: answers were lost) or of a datagram cut short (EMSGSIZE).
   */
  errno: number;
}

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

export interface TransportOptions {
  /** SO_RCVBUF in bytes (past net.core.rmem_max as root: SO_RCVBUFFORCE). @default 1 MiB */
  recvBufferSize?: number;
  /** SO_SNDBUF in bytes (a datagram larger than it is refused: EMSGSIZE). @default 1 MiB */
  sendBufferSize?: number;
  /** Multicast groups to join (rtnetlink's RTNLGRP_*: `ip monitor`). */
  groups?: readonly number[];
}
