// SPDX-License-Identifier: Apache-2.0
/**
 * The kernel's process events (the proc connector: NETLINK_CONNECTOR, CN_IDX_PROC) and a scan of
 * /proc, through the native addon (native/proc_events.c), for vrrp_track_process. Node has no
 * netlink sockets; the socket is polled by the event loop (uv_poll), and each readiness gives one
 * batch of records (proc-records.ts). Errors become `SocketError` with the errno name.
 */
import { SocketError, native } from './raw-socket.io.js';
import { decodeProcRecords, type ProcRecord } from './proc-records.js';

export interface ProcConnectorOptions {
  /** SO_RCVBUF [the kernel's default]. */
  readonly rcvBufBytes?: number;
  /** SO_RCVBUFFORCE instead (past net.core.rmem_max). */
  readonly force?: boolean;
  /** Command-line bytes read at each exec (0: none; only vrrp_track_process full_command needs it). */
  readonly cmdlineMax: number;
  readonly onRecords: (records: ProcRecord[]) => void;
}

export interface ProcConnectorStats {
  readonly messages: number;
  readonly overflows: number;
  /** lvsd runs in another network namespace: the socket was opened from the initial one. */
  readonly viaInitialNetns: boolean;
  /** The socket's receive buffer (as the kernel reports it), -1 once closed. */
  readonly rcvBufBytes: number;
}

export interface ProcConnector {
  stats(): ProcConnectorStats;
  setRcvBuf(bytes: number, force: boolean): void;
  /** Stop listening (PROC_CN_MCAST_IGNORE) and close; no records are delivered after it. */
  close(): void;
}

function nativeCall<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err instanceof SocketError) throw err;
    throw new SocketError(op, err.code ?? 'EUNKNOWN', err.message, { cause: e });
  }
}

/** Listen to the proc connector (`PROC_CN_MCAST_LISTEN`); throws SocketError when the kernel refuses. */
export function openProcConnector(o: ProcConnectorOptions): ProcConnector {
  const addon = native();
  let closed = false;
  const handle = nativeCall('proc connector', () =>
    addon.procEventsOpen(
      (buf) => {
        if (!closed) o.onRecords(decodeProcRecords(buf));
      },
      o.rcvBufBytes ?? 0,
      o.force ?? false,
      o.cmdlineMax,
    ),
  );
  return {
    stats() {
      const [messages, overflows, via, rcvBufBytes] = addon.procEventsStats(handle);
      return { messages, overflows, viaInitialNetns: via === 1, rcvBufBytes };
    },
    setRcvBuf(bytes, force) {
      nativeCall('setsockopt SO_RCVBUF', () => addon.procEventsSetRcvBuf(handle, bytes, force));
    },
    close() {
      if (closed) return;
      closed = true;
      addon.procEventsClose(handle);
    },
  };
}

/** Every running process (zombies left out) with its comm and the first `cmdlineMax` bytes of its command line. */
export function scanProcesses(cmdlineMax: number): ProcRecord[] {
  return decodeProcRecords(nativeCall('scan /proc', () => native().procScan(cmdlineMax)));
}
