// SPDX-License-Identifier: Apache-2.0
/**
 * Kernel operations on the IPVS table as data, and the port (interface) the driver implements.
 * Pure: types only. The reconciler returns `IpvsOp[]`; `IpvsKernel.apply` carries them out over
 * generic netlink; the CLI and the health-check manager depend on `IpvsKernel`, never on netlink.
 */
import type {
  IpvsDestination,
  IpvsInfo,
  IpvsService,
  IpvsServiceState,
  IpvsTimeouts,
  ServiceKey,
  SyncDaemon,
  SyncDaemonState,
} from './model.js';

/** One kernel operation; each names its ipvsadm equivalent. */
export type IpvsOp =
  /** ipvsadm -A */
  | { op: 'addService'; service: IpvsService }
  /** ipvsadm -E */
  | { op: 'editService'; service: IpvsService }
  /** ipvsadm -D */
  | { op: 'delService'; key: ServiceKey }
  /** ipvsadm -a */
  | { op: 'addDest'; key: ServiceKey; dest: IpvsDestination }
  /** ipvsadm -e */
  | { op: 'editDest'; key: ServiceKey; dest: IpvsDestination }
  /** ipvsadm -d */
  | { op: 'delDest'; key: ServiceKey; dest: Pick<IpvsDestination, 'family' | 'address' | 'port'> }
  /** ipvsadm -C */
  | { op: 'flush' }
  /** ipvsadm -Z [service] */
  | { op: 'zero'; key?: ServiceKey }
  /** ipvsadm --set tcp tcpfin udp (0 leaves a value unchanged) */
  | { op: 'setTimeouts'; timeouts: IpvsTimeouts }
  /** ipvsadm --start-daemon */
  | { op: 'startDaemon'; daemon: SyncDaemon }
  /** ipvsadm --stop-daemon */
  | { op: 'stopDaemon'; state: SyncDaemonState };

/** What happened to a batch: ops carried out in order until the first failure. */
export interface ApplyReport {
  /** Ops that succeeded, in the order given. */
  applied: IpvsOp[];
  /** The op that failed and why; absent when all succeeded. */
  failed?: { op: IpvsOp; error: Error };
  /**
   * Ops after `failed` that were already in flight (the driver pipelines a window of requests per
   * datagram, and the kernel runs each) and that the kernel rejected too. Those that succeeded are
   * in `applied`, so `applied` is exactly what changed in the kernel.
   */
  alsoFailed?: { op: IpvsOp; error: Error }[];
  /** Ops not attempted because an earlier one failed. */
  skipped: IpvsOp[];
}

/** The kernel's IPVS table as the rest of lvsd sees it. Implemented by src/ipvs/driver.ts. */
export interface IpvsKernel {
  /** ipvsadm --version / header line of -L */
  info(): Promise<IpvsInfo>;
  /**
   * Every service with its destinations (ipvsadm -Ln --stats, as data), in canonical order. The
   * counters only with `stats` (default true): listings without them and the reconciler skip them.
   */
  dump(opts?: { stats?: boolean }): Promise<IpvsServiceState[]>;
  /** Every service without its destinations or counters, in canonical order (the drift check's first look). */
  dumpServices(): Promise<IpvsService[]>;
  /**
   * The destinations (no counters) of these services, each in canonical order (the drift check
   * reads the table a slice at a time). A service the kernel does not have reads as none, or as
   * undefined: the kernel's GET_DEST dump does not tell it from an empty one (`dumpServices` does).
   */
  dumpDestinations(keys: readonly ServiceKey[]): Promise<Array<IpvsDestination[] | undefined>>;
  /** ipvsadm -L --timeout */
  getTimeouts(): Promise<IpvsTimeouts>;
  /** ipvsadm -L --daemon */
  getDaemons(): Promise<SyncDaemon[]>;
  /** Carry out ops in order; stops at the first failure and says exactly what was applied. */
  apply(ops: readonly IpvsOp[]): Promise<ApplyReport>;
  close(): void;
}
