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
  /** Keep the event loop alive (true) while replies are awaited; false when idle. */
  keepAlive(on: boolean): void;
  close(): void;
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
